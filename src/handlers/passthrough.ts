// passthrough handler: re-signs the client's request for its backend, streams both bodies, maps aliased names back.
import { pipeline } from 'node:stream/promises';
import type { RequestContext } from '../context.js';
import { mapBucketNames, OPERATIONS_NAMING_BUCKET } from '../s3/alias.js';
import { forwardableResponseHeaders, headerValue } from '../s3/headers.js';
import { uriEncode } from '../s3/uri.js';
import { forwardToBackend, readText, type ForwardedResponse } from '../upstream/forward.js';

/** Headers for the backend: the authorized headers (security.md §4), our Content-Length and framing. */
export function upstreamHeaders(ctx: RequestContext, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const headers = { ...ctx.headers };
  if (ctx.bodyLength !== undefined && ctx.body) headers['content-length'] = String(ctx.bodyLength);
  for (const [name, value] of Object.entries({ ...ctx.upstreamFraming, ...overrides })) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return headers;
}

// Aliased listings and errors are rewritten in memory; they are small XML documents, never object data.
const MAX_REWRITE_BYTES = 32 * 1024 * 1024;

function needsRewrite(ctx: RequestContext, up: ForwardedResponse): boolean {
  const route = ctx.route;
  if (!route || ctx.req.method === 'HEAD') return false;
  const aliased = route.backendBucket !== ctx.s3!.bucket;
  const isXml = /xml/i.test(String(up.headers['content-type'] ?? '')) || up.statusCode >= 300;
  const length = Number(up.headers['content-length'] ?? 0);
  if (!isXml || length > MAX_REWRITE_BYTES) return false;
  if (ctx.s3!.operation === 'CompleteMultipartUpload') return true; // Location names our endpoint
  return aliased && (up.statusCode >= 300 || OPERATIONS_NAMING_BUCKET.has(ctx.s3!.operation));
}

function clientLocation(ctx: RequestContext): string {
  const proto = ctx.app.tls ? 'https' : 'http';
  const s3 = ctx.s3!;
  const key = s3.key === undefined ? '' : `/${uriEncode(s3.key, false)}`;
  return s3.virtualHosted ? `${proto}://${ctx.req.headers.host}${key}` : `${proto}://${ctx.req.headers.host}/${s3.bucket}${key}`;
}

/** Sends a backend response to the client: status, headers, body; rewriting bucket names where needed. */
export async function relayResponse(ctx: RequestContext, up: ForwardedResponse): Promise<void> {
  const { res } = ctx;
  const headers = forwardableResponseHeaders(up.headers);
  // Clients see our request id (the one in our access log); the backend's is kept alongside.
  const upstreamId = headerValue(up.headers, 'x-amz-request-id') ?? headerValue(up.headers, 'x-amzn-requestid');
  if (upstreamId) {
    ctx.upstreamRequestId = upstreamId;
    headers['x-s3bridge-upstream-request-id'] = upstreamId;
  }
  delete headers['x-amzn-requestid'];
  delete headers['x-amzn-request-id'];
  headers['x-amz-request-id'] = ctx.id;
  // S3 answers an upload with the checksum it verified; SDKs need it for CompleteMultipartUpload.
  // A backend that never saw the checksum (it was a trailer) cannot, so we echo what we verified.
  const verified = up.statusCode === 200 ? ctx.verifiedChecksum?.() : undefined;
  if (verified) {
    const name = `x-amz-checksum-${verified.alg.toLowerCase()}`;
    if (headers[name] === undefined) headers[name] = verified.base64;
  }
  if (up.statusCode >= 300) ctx.errorCode ??= `HTTP${up.statusCode}`;
  if (needsRewrite(ctx, up)) {
    const text = await readText(up.body);
    const location = ctx.s3!.operation === 'CompleteMultipartUpload' ? clientLocation(ctx) : undefined;
    const body = mapBucketNames(text, ctx.route!.backendBucket, ctx.s3!.bucket!, location);
    if (up.statusCode >= 300) ctx.errorCode = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? ctx.errorCode;
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(up.statusCode, headers);
    res.end(body);
    return;
  }
  res.writeHead(up.statusCode, headers);
  // Object bytes only (the contract's sent_bytes), not listings or error documents.
  if (ctx.s3!.operation === 'GetObject') up.body.on('data', (chunk: Buffer) => (ctx.bytesOut += chunk.length));
  try {
    await pipeline(up.body, res);
  } catch (err) {
    // Headers are out: the only honest signal left is a broken connection (never XML in a body).
    res.destroy();
    if (!ctx.abort.signal.aborted) ctx.errorCode = 'UpstreamBodyFailed';
    void err;
  }
}

export async function passthrough(ctx: RequestContext, overrides: Record<string, string | undefined> = {}): Promise<void> {
  const s3 = ctx.s3!;
  const backend = ctx.backend!;
  // forwardToBackend converts network failures to S3 errors itself.
  const up = await forwardToBackend(backend, {
    method: s3.method,
    bucket: ctx.route?.backendBucket,
    key: s3.key,
    query: s3.params,
    headers: upstreamHeaders(ctx, overrides),
    body: ctx.body,
    payloadHash: ctx.payloadHash!,
    signal: ctx.abort.signal,
  }, s3.operation, backend.metrics);
  await relayResponse(ctx, up);
}
