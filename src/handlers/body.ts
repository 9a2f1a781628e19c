// prepareBody: the client's request body → the body a backend may receive (payload hash, aws-chunked framing and checksums verified).
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createAwsChunkedDecoder } from '../auth/chunked.js';
import { createPayloadHashCheck } from '../auth/payload-hash.js';
import type { RequestContext } from '../context.js';
import { createChecksumCheck } from '../s3/checksum-check.js';
import { requestChecksums } from '../s3/checksums.js';
import { S3Error } from '../s3/errors.js';
import { headerValue } from '../s3/headers.js';
import { carriesObjectBody } from '../s3/operations.js';
import { UNSIGNED_PAYLOAD, EMPTY_SHA256 } from '../upstream/sign.js';
import { reframeUnsignedTrailer } from './reframe.js';
import { canonicalCompleteMultipartUpload, canonicalDeleteObjects, readBounded, tooLarge, xmlBodyLimit } from '../body/xml-body.js';
import { assertLiteralKey } from '../s3/names.js';
import { sha256Hex } from '../auth/sigv4.js';

/** Counts bytes flowing through without touching them. */
export function meter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

function hasBody(ctx: RequestContext): boolean {
  const { headers } = ctx.req;
  if (headers['transfer-encoding'] !== undefined) return true;
  const len = headers['content-length'];
  return len !== undefined && len !== '0';
}

/** Chains streams so that an error anywhere destroys the rest (the upstream request then aborts). */
function chain(first: Readable, ...rest: Transform[]): Readable {
  let out: Readable = first;
  for (const t of rest) {
    const from = out;
    from.on('error', (err) => t.destroy(err));
    // A client that goes away mid-upload must fail the upstream request, not end it cleanly.
    if (from === first) from.on('aborted', () => t.destroy(new Error('client aborted the upload')));
    from.pipe(t);
    out = t;
  }
  // Whoever reads the body (the upstream request) sees its errors; if nobody ever does (the request
  // failed first), an error must still not become an uncaught exception.
  out.on('error', () => {});
  return out;
}

function requireLength(value: string | undefined): number {
  if (value === undefined || !/^\d{1,16}$/.test(value)) throw new S3Error('MissingContentLength');
  return Number(value);
}

// CompleteMultipartUpload's x-amz-checksum-* names the whole object's checksum, not its XML body's.
const BODY_CHECKSUM_EXEMPT = new Set(['CompleteMultipartUpload']);

/** Refuses a non-object body past `limit` bytes (an XML document), failing the stream before its end. */
function cap(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      cb(seen > limit ? tooLarge(limit) : null, chunk);
    },
  });
}

export async function prepareBody(ctx: RequestContext): Promise<void> {
  const auth = ctx.auth!;
  const payload = auth.payload;
  const { headers } = ctx.req;
  const operation = ctx.s3!.operation;
  if (!hasBody(ctx)) {
    // A streaming upload proves itself only by its verified chunks and final chunk: one without a body is a
    // replayed or truncated request, never an empty object (security.md §6).
    if (payload.kind === 'streaming') throw new S3Error('IncompleteBody', 'An aws-chunked request must carry its chunks and final chunk.');
    ctx.body = null;
    ctx.bodyLength = 0;
    if (payload.kind === 'sha256' && payload.hash !== EMPTY_SHA256) {
      throw new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: payload.hash, S3ComputedContentSHA256: EMPTY_SHA256 });
    }
    ctx.payloadHash = payload.kind === 'sha256' ? payload.hash : UNSIGNED_PAYLOAD;
    return;
  }
  const checks = BODY_CHECKSUM_EXEMPT.has(operation) ? { expected: [] } : requestChecksums(ctx.s3!.headers);
  const stages: Transform[] = [];
  switch (payload.kind) {
    case 'sha256':
      ctx.bodyLength = requireLength(headerValue(headers, 'content-length'));
      // Forwarded untouched, so the client's hash stays valid for the backend too; we check it as
      // well, holding back the tail, because not every backend verifies it (s3rver doesn't).
      stages.push(createPayloadHashCheck(payload.hash));
      ctx.payloadHash = payload.hash;
      break;
    case 'unsigned':
      ctx.bodyLength = requireLength(headerValue(headers, 'content-length'));
      ctx.payloadHash = UNSIGNED_PAYLOAD;
      break;
    case 'streaming': {
      // aws-chunked ends here (aws-chunked.md §7): decode, verify every chunk and the trailer, and
      // forward plain bytes with Content-Length = the decoded length.
      const decodedLength = requireLength(headerValue(headers, 'x-amz-decoded-content-length'));
      const signed = payload.mode !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
      const decoder = createAwsChunkedDecoder({
        mode: payload.mode,
        signing: signed ? { signingKey: auth.signingKey, timestamp: auth.timestamp, scope: auth.scope, seedSignature: auth.signature } : undefined,
        decodedLength,
        budget: ctx.app.budget,
        trailer: headerValue(headers, 'x-amz-trailer')?.trim().toLowerCase() || undefined,
      });
      stages.push(decoder);
      ctx.verifiedChecksum = () => decoder.verifiedChecksum;
      ctx.bodyLength = decodedLength;
      ctx.payloadHash = UNSIGNED_PAYLOAD;
      break;
    }
  }
  if (checks.expected.length) stages.push(createChecksumCheck(checks.expected));
  if (checks.header) {
    const verified = checks.header;
    ctx.verifiedChecksum = () => verified;
  }
  if (carriesObjectBody(operation)) {
    stages.push(meter((n) => (ctx.bytesIn += n)));
  } else {
    const limit = xmlBodyLimit(operation);
    if (ctx.bodyLength !== undefined && ctx.bodyLength > limit) throw tooLarge(limit);
    stages.push(cap(limit));
  }
  // A trailer checksum is known only at the end: it cannot become a header of a streamed request.
  // Where the backend takes aws-chunked, re-attach it as a trailer; elsewhere we verified it ourselves.
  if (payload.kind === 'streaming' && checks.trailer && ctx.backend?.capabilities.awsChunked) {
    const reframe = reframeUnsignedTrailer(checks.trailer, ctx.verifiedChecksum!);
    stages.push(reframe.stream);
    ctx.upstreamFraming = reframe.headers(ctx.bodyLength);
    ctx.payloadHash = reframe.payloadHash;
  } else if (payload.kind === 'streaming' && checks.trailer) {
    ctx.upstreamFraming = { 'x-amz-sdk-checksum-algorithm': undefined };
  }
  ctx.body = chain(ctx.req, ...stages);
  if (operation === 'DeleteObjects' || operation === 'CompleteMultipartUpload') await rewriteXmlBody(ctx, operation);
}

/**
 * DeleteObjects and CompleteMultipartUpload name keys and parts inside their body: read the verified body
 * (bounded), check it like the request itself, and send the backend the document we checked (security.md §3.4).
 */
async function rewriteXmlBody(ctx: RequestContext, operation: 'DeleteObjects' | 'CompleteMultipartUpload'): Promise<void> {
  const raw = (await readBounded(ctx.body!, xmlBodyLimit(operation), ctx.app.budget)).toString('utf8');
  const literalKeys = ctx.backend!.capabilities.literalKeys;
  const doc = operation === 'DeleteObjects'
    ? canonicalDeleteObjects(raw, (key) => assertLiteralKey(key, literalKeys, 'Key'))
    : canonicalCompleteMultipartUpload(raw);
  const bytes = Buffer.from(doc, 'utf8');
  ctx.body = Readable.from([bytes]);
  ctx.bodyLength = bytes.length;
  ctx.payloadHash = sha256Hex(bytes);
  const framing: Record<string, string | undefined> = { ...ctx.upstreamFraming, 'content-md5': createHash('md5').update(bytes).digest('base64') };
  if (operation === 'DeleteObjects') {
    // The client's checksum covered its document, not ours; Content-MD5 of ours is what S3 requires here.
    for (const name of Object.keys(ctx.headers!)) if (name.startsWith('x-amz-checksum-') || name === 'x-amz-sdk-checksum-algorithm') framing[name] = undefined;
  }
  ctx.upstreamFraming = framing;
  ctx.verifiedChecksum = undefined;
}
