// Copy emulation, destination side: stream source bytes into PutObject/UploadPart, the checksum as a trailer where the store takes one, and check what it stored (copy-semantics.md §8, §11, §12).
import type { Readable } from 'node:stream';
import { reframeUnsignedTrailer } from '../body/reframe.js';
import { mapBucketNames } from '../route/alias.js';
import type { ChecksumAlgorithm } from '../s3/checksums.js';
import { S3Error, backendError } from '../s3/errors.js';
import { forwardableResponseHeaders, headerValue } from '../s3/headers.js';
import { UNSIGNED_PAYLOAD } from '../s3/hash.js';
import { xmlEscape, xmlText } from '../s3/xml.js';
import type { Backend } from '../upstream/backends.js';
import { drain, readText, sendUpstream, type UpstreamResponse } from '../upstream/client.js';
import { digestMeter, etagIsMd5, md5OfEtag, reportedChecksum, type ChecksumValue } from './digests.js';

export interface Destination {
  backend: Backend;
  backendBucket: string;
  /** Client-visible bucket, for error documents. */
  bucket: string;
  key: string;
}

export interface WriteResult {
  etag: string;
  bytes: number;
  headers: UpstreamResponse['headers'];
  /** Hex MD5 of the bytes, when it was computed. */
  md5Hex?: string;
  /** The checksum of the bytes, when one was asked for. */
  checksum?: ChecksumValue;
}

export interface WriteOptions {
  query?: Array<[string, string]>;
  headers: Record<string, string>;
  signal: AbortSignal;
  onBytes?: (n: number) => void;
  /** Compute this checksum of the bytes (the upload's or the object's algorithm, §11). */
  checksum?: ChecksumAlgorithm;
  /** Send it along as an aws-chunked trailer, which the store verifies and keeps (§11.3); needs capabilities.awsChunked. */
  trailer?: boolean;
  /** Compute the MD5, to compare with a plain-MD5 ETag (§8.1 step 5). */
  md5: boolean;
}

/** A backend's error answer as the client should see it: its code and message, our bucket names. */
export async function destinationError(up: UpstreamResponse, dest: Destination): Promise<S3Error> {
  const text = await readText(up.body).catch(() => '');
  const mapped = mapBucketNames(text, dest.backendBucket, dest.bucket);
  const code = xmlText(mapped, 'Code');
  if (!code)
    return backendError(up.status, up.status === 404 ? 'NoSuchKey' : 'InternalError', `The destination backend "${dest.backend.name}" answered ${up.status}.`);
  const elements: Record<string, string> = {};
  for (const name of ['BucketName', 'Key', 'UploadId', 'PartNumber', 'ProposedSize', 'MinSizeAllowed', 'MaxSizeAllowed', 'ArgumentName', 'ArgumentValue']) {
    const v = xmlText(mapped, name);
    if (v !== undefined) elements[name] = v;
  }
  return backendError(up.status, code, xmlText(mapped, 'Message') ?? code, elements);
}

/** When the destination committed a write, by its own clock (its Date header): the LastModified a copy result reports. */
export function committedAt(headers: UpstreamResponse['headers']): Date {
  const t = Date.parse(String(headers.date ?? ''));
  return Number.isNaN(t) ? new Date() : new Date(t);
}

/** Answer headers that say what the destination did: versions, encryption, checksums, expiration (§5.2, §12). */
const RESULT_HEADERS =
  /^(x-amz-version-id|x-amz-copy-source-version-id|x-amz-server-side-encryption.*|x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256|type)|x-amz-expiration|x-amz-request-charged)$/;

export function resultHeaders(headers: UpstreamResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(forwardableResponseHeaders(headers))) {
    if (RESULT_HEADERS.test(name)) out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

/**
 * PUTs `length` bytes from `source` to the destination (PutObject or UploadPart by `query`). Any failure on either
 * side destroys the upload before its last byte, so the backend commits nothing. What it stored is checked: a
 * checksum it reports against ours, and a plain-MD5 ETag against our MD5 unless the store encrypted with a key
 * that makes the ETag opaque (§12).
 */
export async function writeDestination(dest: Destination, source: Readable, length: number, opts: WriteOptions): Promise<WriteResult> {
  const meter = digestMeter({ md5: opts.md5, checksum: opts.checksum, onBytes: opts.onBytes });
  source.on('error', (err) => meter.destroy(err));
  source.pipe(meter);
  let body: Readable = meter;
  let headers: Record<string, string> = { ...opts.headers, 'content-length': String(length) };
  let payloadHash = UNSIGNED_PAYLOAD;
  if (opts.trailer && opts.checksum) {
    // The value exists only once the bytes have passed: it travels as a trailer (aws-chunked.md §3, §7).
    const framed = reframeUnsignedTrailer(opts.checksum, () => meter.checksum());
    meter.on('error', (err) => framed.stream.destroy(err));
    meter.pipe(framed.stream);
    body = framed.stream;
    headers = { ...opts.headers };
    for (const [name, value] of Object.entries(framed.headers(length))) if (value !== undefined) headers[name] = value;
    payloadHash = framed.payloadHash;
  }
  let up: UpstreamResponse;
  try {
    up = await sendUpstream(dest.backend, {
      operation: opts.query?.some(([n]) => n === 'uploadId') ? 'UploadPart' : 'PutObject',
      method: 'PUT',
      bucket: dest.backendBucket,
      key: dest.key,
      query: opts.query ?? [],
      headers,
      body,
      payloadHash,
      signal: opts.signal,
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
  const result: WriteResult = { etag, bytes: meter.bytes, headers: up.headers };
  const md5Hex = meter.md5Hex();
  if (md5Hex !== undefined) {
    result.md5Hex = md5Hex;
    const destMd5 = md5OfEtag(etag);
    // A store that computed another MD5 than the bytes we sent did not store what we sent.
    if (destMd5 !== undefined && etagIsMd5(up.headers) && destMd5 !== md5Hex) {
      throw new S3Error('InternalError', `The destination stored different bytes than were copied (ETag ${etag}, copied MD5 ${md5Hex}).`);
    }
  }
  const checksum = meter.checksum();
  if (checksum !== undefined) {
    result.checksum = checksum;
    const reported = reportedChecksum(up.headers, checksum.alg);
    if (reported !== undefined && reported !== checksum.base64) {
      throw new S3Error('InternalError', `The destination stored different bytes than were copied (${checksum.alg} ${reported}, copied ${checksum.base64}).`);
    }
  }
  return result;
}

/** Parts listed in a CompleteMultipartUpload document (for multipart copies we build it ourselves), with their checksums when the upload has an algorithm. */
export function completeXml(parts: Array<{ partNumber: number; etag: string; checksum?: ChecksumValue }>): string {
  const items = parts
    .map((p) => {
      const sum = p.checksum ? `<Checksum${p.checksum.alg}>${p.checksum.base64}</Checksum${p.checksum.alg}>` : '';
      return `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${xmlEscape(p.etag)}</ETag>${sum}</Part>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${items}</CompleteMultipartUpload>`;
}
