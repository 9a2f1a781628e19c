// prepareBody: the client's request body → the body a backend may receive (payload hash, aws-chunked framing and checksums verified).
import { Transform, type Readable, type TransformCallback } from 'node:stream';
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

export function prepareBody(ctx: RequestContext): void {
  const auth = ctx.auth!;
  const payload = auth.payload;
  const { headers } = ctx.req;
  if (!hasBody(ctx)) {
    ctx.body = null;
    ctx.bodyLength = 0;
    if (payload.kind === 'sha256' && payload.hash !== EMPTY_SHA256) {
      throw new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: payload.hash, S3ComputedContentSHA256: EMPTY_SHA256 });
    }
    ctx.payloadHash = payload.kind === 'sha256' ? payload.hash : UNSIGNED_PAYLOAD;
    return;
  }
  const checks = BODY_CHECKSUM_EXEMPT.has(ctx.s3!.operation) ? { expected: [] } : requestChecksums({ ...Object.fromEntries(auth.hoistedHeaders), ...headers });
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
  if (carriesObjectBody(ctx.s3!.operation)) stages.push(meter((n) => (ctx.bytesIn += n)));
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
}
