// passthrough handler: re-signs the client's request for its backend, streams both bodies, maps aliased names back.
import type { Routed } from '../context.js';
import { mapBucketNames, OPERATIONS_NAMING_BUCKET } from '../route/alias.js';
import { forwardableResponseHeaders, headerValue } from '../s3/headers.js';
import { uriEncode } from '../s3/uri.js';
import { xmlText } from '../s3/xml.js';
import { readText, sendUpstream, type UpstreamResponse } from '../upstream/client.js';

/** Headers for the backend: the authorized headers (security.md §4), our Content-Length and framing. */
function upstreamHeaders(ctx: Routed, overrides: Record<string, string | undefined>): Record<string, string> {
  const headers = { ...ctx.headers };
  if (ctx.body.length !== undefined && ctx.body.stream) headers['content-length'] = String(ctx.body.length);
  for (const [name, value] of Object.entries({ ...ctx.body.framing, ...overrides })) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return headers;
}

// Error documents and aliased listings are rewritten in memory; they are small XML documents, never object data.
const MAX_REWRITE_BYTES = 32 * 1024 * 1024;

/**
 * Backend documents the client must not see as they are: every error (its RequestId must be ours, its bucket
 * names the client's), aliased listings, and CompleteMultipartUpload (its Location names our endpoint).
 */
function needsRewrite(ctx: Routed, up: UpstreamResponse): boolean {
  if (ctx.s3.method === 'HEAD' || up.headers['content-length'] === '0') return false;
  if (Number(up.headers['content-length'] ?? 0) > MAX_REWRITE_BYTES) return false;
  if (up.status >= 300) return true;
  if (!/xml/i.test(String(up.headers['content-type'] ?? ''))) return false;
  if (ctx.s3.operation === 'CompleteMultipartUpload') return true;
  return ctx.route.backendBucket !== ctx.s3.bucket && OPERATIONS_NAMING_BUCKET.has(ctx.s3.operation);
}

/** What the access log calls an error answer that has no document (HEAD): the name S3's SDKs give it. */
const BODILESS_ERRORS: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  412: 'PreconditionFailed',
  416: 'InvalidRange',
  500: 'InternalError',
  501: 'NotImplemented',
  503: 'ServiceUnavailable',
};

function clientLocation(ctx: Routed): string {
  const proto = ctx.app.tls ? 'https' : 'http';
  const s3 = ctx.s3;
  const key = s3.key === undefined ? '' : `/${uriEncode(s3.key, false)}`;
  return s3.virtualHosted ? `${proto}://${ctx.req.headers.host}${key}` : `${proto}://${ctx.req.headers.host}/${s3.bucket}${key}`;
}

/** Sends a backend response to the client: status, headers, body; rewriting bucket names where needed. */
export async function relayResponse(ctx: Routed, up: UpstreamResponse): Promise<void> {
  const { res } = ctx;
  const headers = forwardableResponseHeaders(up.headers);
  // Clients see our request id (the one in our access log); the backend's is kept alongside.
  const upstreamId = headerValue(up.headers, 'x-amz-request-id') ?? headerValue(up.headers, 'x-amzn-requestid');
  if (upstreamId) {
    ctx.upstreamRequestId = upstreamId;
    headers['x-s3bridge-upstream-request-id'] = upstreamId;
  }
  // A route with its own CORS rules answers CORS itself (handlers/preflight.ts); the backend's must not mix in.
  if (ctx.route.cors) for (const name of Object.keys(headers)) if (name.startsWith('access-control-')) delete headers[name];
  delete headers['x-amzn-requestid'];
  delete headers['x-amzn-request-id'];
  headers['x-amz-request-id'] = ctx.id;
  // S3 answers an upload with the checksum it verified; SDKs need it for CompleteMultipartUpload.
  // A backend that never saw the checksum (it was a trailer) cannot, so we echo what we verified.
  const verified = up.status === 200 ? ctx.body.verifiedChecksum?.() : undefined;
  if (verified) {
    const name = `x-amz-checksum-${verified.alg.toLowerCase()}`;
    if (headers[name] === undefined) headers[name] = verified.base64;
  }
  if (up.status >= 400) ctx.errorCode ??= BODILESS_ERRORS[up.status] ?? `HTTP${up.status}`;
  // An answer before the client's whole body arrived (a backend that refused an upload early): S3 then closes the
  // connection, and so must we. A client may stop sending once it has the answer (botocore does, after Expect:
  // 100-continue) and send its next request on the same connection, which would be read as the rest of this body.
  if (!ctx.req.complete) headers.connection = 'close';
  if (needsRewrite(ctx, up)) {
    const text = await readText(up.body);
    const location = ctx.s3.operation === 'CompleteMultipartUpload' ? clientLocation(ctx) : undefined;
    let body = mapBucketNames(text, ctx.route.backendBucket, ctx.s3.bucket!, location);
    const code = xmlText(body, 'Code');
    if (code !== undefined && /<Error[\s>]/.test(body)) {
      // S3 guarantees the document's RequestId is the x-amz-request-id header; ours is the one clients see.
      ctx.errorCode = code;
      body = body.replace(/<RequestId>[^<]*<\/RequestId>/, `<RequestId>${ctx.id}</RequestId>`);
      if (!body.includes('<RequestId>')) body = body.replace('</Error>', `<RequestId>${ctx.id}</RequestId></Error>`);
    }
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(up.status, headers);
    res.end(body);
    return;
  }
  res.writeHead(up.status, headers);
  // Object bytes only (the contract's sent_bytes), not listings or error documents.
  if (ctx.s3.operation === 'GetObject') up.body.on('data', (chunk: Buffer) => (ctx.bytesOut += chunk.length));
  await relayBody(ctx, up);
}

/**
 * Pipes the backend's body to the client with backpressure. A plain pipe, not stream.pipeline: that costs an
 * AbortController and several listeners per response. Either side failing ends both: once headers are out, the only
 * honest signal left is a broken connection (never XML in a body).
 */
function relayBody(ctx: Routed, up: UpstreamResponse): Promise<void> {
  const { res } = ctx;
  return new Promise((resolve) => {
    const broken = () => {
      if (res.writableFinished) return resolve();
      up.body.destroy();
      res.destroy();
      if (!ctx.aborted) ctx.errorCode = 'UpstreamBodyFailed';
      resolve();
    };
    up.body.once('error', broken);
    res.once('close', broken);
    res.once('finish', resolve);
    up.body.pipe(res);
  });
}

export async function passthrough(ctx: Routed, overrides: Record<string, string | undefined> = {}): Promise<void> {
  const s3 = ctx.s3;
  const up = await sendUpstream(ctx.backend, {
    operation: s3.operation,
    method: s3.method,
    bucket: ctx.route.backendBucket,
    key: s3.key,
    query: s3.params,
    headers: upstreamHeaders(ctx, overrides),
    body: ctx.body.stream,
    payloadHash: ctx.body.payloadHash,
    // No abort signal: a client that leaves mid-response breaks the pipeline below, which drops the backend
    // connection; one that leaves mid-upload fails the body stream. Neither needs an AbortController per request.
    unsigned: ctx.unsigned,
  });
  await relayResponse(ctx, up);
}
