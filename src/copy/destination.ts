// Copy emulation, destination side: stream source bytes into PutObject/UploadPart, checking MD5 on the way (copy-semantics.md §8).
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { mapBucketNames } from '../route/alias.js';
import { S3Error, backendError } from '../s3/errors.js';
import { headerValue } from '../s3/headers.js';
import { xmlEscape, xmlText } from '../s3/xml.js';
import type { Backend } from '../upstream/backends.js';
import { drain, readText, sendUpstream, type UpstreamResponse } from '../upstream/client.js';
import { EMPTY_SHA256, UNSIGNED_PAYLOAD } from '../s3/hash.js';

export interface Destination {
  backend: Backend;
  backendBucket: string;
  /** Client-visible bucket, for error documents. */
  bucket: string;
  key: string;
}

export interface WriteResult { etag: string; md5Hex: string; bytes: number; headers: UpstreamResponse['headers'] }

/** A backend's error answer as the client should see it: its code and message, our bucket names. */
export async function destinationError(up: UpstreamResponse, dest: Destination): Promise<S3Error> {
  const text = await readText(up.body).catch(() => '');
  const mapped = mapBucketNames(text, dest.backendBucket, dest.bucket);
  const code = xmlText(mapped, 'Code');
  if (!code) return backendError(up.status, up.status === 404 ? 'NoSuchKey' : 'InternalError', `The destination backend "${dest.backend.name}" answered ${up.status}.`);
  const elements: Record<string, string> = {};
  for (const name of ['BucketName', 'Key', 'UploadId', 'PartNumber', 'ProposedSize', 'MinSizeAllowed', 'MaxSizeAllowed', 'ArgumentName', 'ArgumentValue']) {
    const v = xmlText(mapped, name);
    if (v !== undefined) elements[name] = v;
  }
  return backendError(up.status, code, xmlText(mapped, 'Message') ?? code, elements);
}

/** Passes bytes through, computing MD5 and counting them. */
function md5Meter(onBytes: (n: number) => void): Transform & { md5Hex(): string; bytes: number } {
  const hash = createHash('md5');
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      (t as unknown as { bytes: number }).bytes += chunk.length;
      onBytes(chunk.length);
      cb(null, chunk);
    },
  }) as Transform & { md5Hex(): string; bytes: number };
  t.bytes = 0;
  let digest: string | undefined;
  t.md5Hex = () => (digest ??= hash.digest('hex'));
  return t;
}

/** When the destination committed a write, by its own clock (its Date header): the LastModified a copy result reports. */
export function committedAt(headers: UpstreamResponse['headers']): Date {
  const t = Date.parse(String(headers.date ?? ''));
  return Number.isNaN(t) ? new Date() : new Date(t);
}

const PLAIN_MD5_ETAG = /^"?([0-9a-f]{32})"?$/;

/** The hex MD5 inside an ETag that is a plain MD5 (not multipart "-N", not SSE-KMS). */
export function md5OfEtag(etag: string | undefined): string | undefined {
  return etag ? PLAIN_MD5_ETAG.exec(etag)?.[1] : undefined;
}

/**
 * PUTs `length` bytes from `source` to the destination (PutObject or UploadPart by `query`).
 * Any failure on either side destroys the upload before its last byte, so the backend commits nothing.
 */
export async function writeDestination(
  dest: Destination, source: Readable, length: number,
  opts: { query?: Array<[string, string]>; headers: Record<string, string>; signal: AbortSignal; onBytes?: (n: number) => void },
): Promise<WriteResult> {
  const meter = md5Meter(opts.onBytes ?? (() => {}));
  source.on('error', (err) => meter.destroy(err));
  source.pipe(meter);
  let up: UpstreamResponse;
  try {
    up = await sendUpstream(dest.backend, {
      operation: opts.query?.some(([n]) => n === 'uploadId') ? 'UploadPart' : 'PutObject',
      method: 'PUT', bucket: dest.backendBucket, key: dest.key, query: opts.query ?? [],
      headers: { ...opts.headers, 'content-length': String(length) },
      body: meter, payloadHash: UNSIGNED_PAYLOAD, signal: opts.signal,
    });
  } catch (err) {
    source.destroy();
    throw err;
  }
  if (up.status !== 200) throw await destinationError(up, dest);
  await drain(up.body);
  if (meter.bytes !== length) {
    throw new S3Error('InternalError', `The copy source ended after ${meter.bytes} of ${length} bytes.`);
  }
  const etag = headerValue(up.headers, 'etag') ?? '';
  const md5Hex = meter.md5Hex();
  const destMd5 = md5OfEtag(etag);
  // A store that computed another MD5 than the bytes we sent did not store what we sent.
  if (destMd5 !== undefined && destMd5 !== md5Hex) {
    throw new S3Error('InternalError', `The destination stored different bytes than were copied (ETag ${etag}, copied MD5 ${md5Hex}).`);
  }
  return { etag, md5Hex, bytes: meter.bytes, headers: up.headers };
}

/** ListParts on the destination: is this upload there? (copy-semantics.md §8.2 step 1; not every store implements it.) */
export async function assertUploadExists(dest: Destination, uploadId: string, signal: AbortSignal): Promise<void> {
  const up = await sendUpstream(dest.backend, {
    operation: 'ListParts', method: 'GET', bucket: dest.backendBucket, key: dest.key, query: [['max-parts', '1'], ['uploadId', uploadId]],
    headers: {}, payloadHash: EMPTY_SHA256, signal,
  });
  if (up.status === 404) {
    const err = await destinationError(up, dest);
    if (err.code === 'NoSuchUpload' || err.code === 'NoSuchKey') throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
    throw err;
  }
  await drain(up.body);
}

/** Parts listed in a CompleteMultipartUpload-shaped document (for multipart copies we build it ourselves). */
export function completeXml(parts: Array<{ partNumber: number; etag: string }>): string {
  const items = parts.map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${xmlEscape(p.etag)}</ETag></Part>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${items}</CompleteMultipartUpload>`;
}

