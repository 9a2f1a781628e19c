// Embedded store, request bodies: the verified body of a request (payload hash, aws-chunked framing with chunk and trailer signatures, checksums, Content-MD5) streamed into a temp file or read whole when it is a small XML document.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createAwsChunkedDecoder, type AwsChunkedDecoder } from '../body/chunked.js';
import { createPayloadHashCheck } from '../body/payload-hash.js';
import { createChecksum, digestMismatch, requestChecksums, type ChecksumAlgorithm, type RequestChecksums } from '../s3/checksums.js';
import { S3Error } from '../s3/errors.js';
import type { TempBlob } from './disk/blob.js';
import { header, type StoreRequest } from './context.js';

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/upload-objects.html: one PUT (or part) carries at most 5 GiB. */
const MAX_PUT_SIZE = 5 * 1024 ** 3;

interface BodyPlan {
  streams: [Transform, ...Transform[]];
  /** The decoded length the client announced. */
  length: number;
  checks: RequestChecksums;
  decoder?: AwsChunkedDecoder;
}

/**
 * Pipes the request into the first stage without handing the request itself to pipeline(): a failure further on
 * (a bad chunk signature, a full disk) must not destroy the socket, or s3bridge would see a reset instead of our
 * error answer. The request only unpipes; the error path reads and discards the rest. A client that goes away
 * mid-body fails the chain, so nothing is committed.
 */
function attach(req: IncomingMessage, stages: [Transform, ...Transform[]]): [Transform, ...Transform[]] {
  const first = stages[0];
  const abort = () => {
    if (!req.complete) first.destroy(new S3Error('IncompleteBody', 'The request body ended before Content-Length bytes arrived.'));
  };
  req.once('aborted', abort);
  req.once('close', abort);
  req.once('error', (err) => first.destroy(err));
  req.pipe(first);
  return stages;
}

function declaredLength(value: string | undefined): number {
  if (value === undefined || !/^\d{1,16}$/.test(value)) throw new S3Error('MissingContentLength');
  return Number(value);
}

/**
 * How the body is covered decides the stages (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html):
 * a hex x-amz-content-sha256 is checked over the body, UNSIGNED-PAYLOAD is taken as it is, and the STREAMING-*
 * modes are aws-chunked, decoded (and their chunk/trailer signatures checked) by s3bridge's own decoder.
 */
function planBody(r: StoreRequest, checksumsApply: boolean): BodyPlan {
  const { req, auth } = r;
  const checks = checksumsApply ? requestChecksums(r.headers) : { expected: [] };
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  const payload = auth?.payload ?? { kind: 'unsigned' };
  if (payload.kind === 'streaming' && auth) {
    const signed = payload.mode !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
    const length = declaredLength(header(r, 'x-amz-decoded-content-length'));
    const decoder = createAwsChunkedDecoder({
      mode: payload.mode,
      signing: signed ? { signingKey: auth.signingKey, timestamp: auth.timestamp, scope: auth.scope, seedSignature: auth.signature } : undefined,
      decodedLength: length,
      trailer: header(r, 'x-amz-trailer')?.trim().toLowerCase() || undefined,
    });
    return { streams: attach(req, [decoder]), length, checks, decoder };
  }
  const length = hasBody ? declaredLength(header(r, 'content-length')) : 0;
  if (payload.kind === 'sha256') return { streams: attach(req, [createPayloadHashCheck(payload.hash)]), length, checks };
  return { streams: attach(req, [new PassThrough()]), length, checks };
}

export interface Received {
  size: number;
  md5: Buffer;
  /** The body's checksum: as sent (header, verified), as sent in the trailer (verified by the decoder), or computed for `alg`. */
  checksum?: { alg: ChecksumAlgorithm; value: string };
}

/** The checksum algorithm a body announces (header or aws-chunked trailer), if any. */
export function announcedChecksum(r: StoreRequest): ChecksumAlgorithm | undefined {
  const checks = requestChecksums(r.headers);
  return checks.header?.alg ?? checks.trailer;
}

/**
 * Streams the request body into `blob`, hashing MD5 (the ETag) and one checksum on the way, then checks what the
 * client declared: length, x-amz-checksum-*, Content-MD5. `alg` is computed when the body announces none (a part
 * of an upload created with a checksum algorithm). Any failure rejects; the caller discards the blob.
 */
export async function receiveInto(r: StoreRequest, blob: TempBlob, alg?: ChecksumAlgorithm): Promise<Received> {
  const plan = planBody(r, true);
  if (plan.length > MAX_PUT_SIZE) throw new S3Error('EntityTooLarge', undefined, { ProposedSize: plan.length, MaxSizeAllowed: MAX_PUT_SIZE });
  const md5 = createHash('md5');
  const computeAlg = plan.checks.header?.alg ?? (plan.checks.trailer ? undefined : alg);
  const sum = computeAlg ? createChecksum(computeAlg) : undefined;
  await blob.append(plan.streams, sum ? [md5, sum] : [md5]);
  if (blob.size !== plan.length) throw new S3Error('IncompleteBody');
  const digest = md5.digest();
  const { header: sent, contentMd5 } = plan.checks;
  if (sent && sum!.digestBase64() !== sent.base64) throw digestMismatch(sent.alg);
  if (contentMd5 !== undefined && digest.toString('base64') !== contentMd5) throw digestMismatch('MD5');
  const trailer = plan.decoder?.verifiedChecksum;
  const checksum = sent
    ? { alg: sent.alg, value: sent.base64 }
    : trailer
      ? { alg: trailer.alg, value: trailer.base64 }
      : sum
        ? { alg: computeAlg!, value: sum.digestBase64() }
        : undefined;
  return { size: blob.size, md5: digest, ...(checksum ? { checksum } : {}) };
}

/** Largest XML request body read into memory (DeleteObjects with 1000 long keys stays well below). */
const MAX_XML_BODY = 4 * 1024 * 1024;

/**
 * A small request document, verified like any body (payload hash, Content-MD5, x-amz-checksum-*). With
 * `checksumsApply` false (CompleteMultipartUpload) the x-amz-checksum-* headers describe the object, not the XML.
 */
export async function readSmallBody(r: StoreRequest, checksumsApply = true): Promise<string> {
  const plan = planBody(r, checksumsApply);
  if (plan.length > MAX_XML_BODY) throw new S3Error('EntityTooLarge', undefined, { ProposedSize: plan.length, MaxSizeAllowed: MAX_XML_BODY });
  const sums = plan.checks.expected.map((e) => ({ e, sum: createChecksum(e.alg) }));
  const chunks: Buffer[] = [];
  let size = 0;
  await pipeline([
    ...plan.streams,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > MAX_XML_BODY) return cb(new S3Error('EntityTooLarge'));
        for (const s of sums) s.sum.update(chunk);
        chunks.push(chunk);
        cb();
      },
    }),
  ]);
  for (const { e, sum } of sums) if (sum.digestBase64() !== e.base64) throw digestMismatch(e.alg);
  return Buffer.concat(chunks).toString('utf8');
}

/** Consumes a body this request does not use, still verifying its signature coverage (nothing is kept). */
export async function drainBody(r: StoreRequest): Promise<void> {
  const plan = planBody(r, false);
  await pipeline([
    ...plan.streams,
    new Writable({
      write(_c, _e, cb) {
        cb();
      },
    }),
  ]);
}
