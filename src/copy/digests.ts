// Copy emulation, between source and destination: the digests of the bytes as they pass, and when an ETag may be compared with one (copy-semantics.md §11, §12).
import { createHash, type Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import { headerValue } from '../s3/headers.js';
import { createChecksum, type Checksum, type ChecksumAlgorithm } from '../s3/checksums.js';

type Headers = Record<string, string | string[] | undefined>;

/** A checksum as S3 writes it: the algorithm and the base64 of its digest. */
export interface ChecksumValue {
  alg: ChecksumAlgorithm;
  base64: string;
}

/** Passes bytes through, counting them and feeding the digests asked for; none is computed that nobody reads. */
export interface DigestMeter extends Transform {
  readonly bytes: number;
  /** Hex MD5 of what passed, when asked for. */
  md5Hex(): string | undefined;
  /** The checksum of what passed, when asked for. */
  checksum(): ChecksumValue | undefined;
}

export function digestMeter(opts: { md5: boolean; checksum?: ChecksumAlgorithm; onBytes?: (n: number) => void }): DigestMeter {
  const md5: Hash | undefined = opts.md5 ? createHash('md5') : undefined;
  const sum: Checksum | undefined = opts.checksum ? createChecksum(opts.checksum) : undefined;
  const onBytes = opts.onBytes;
  let bytes = 0;
  let md5Hex: string | undefined;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5?.update(chunk);
      sum?.update(chunk);
      bytes += chunk.length;
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
  return Object.defineProperty(
    Object.assign(t, {
      md5Hex: () => (md5 ? (md5Hex ??= md5.digest('hex')) : undefined),
      checksum: () => (sum && opts.checksum ? { alg: opts.checksum, base64: sum.digestBase64() } : undefined),
    }),
    'bytes',
    { get: () => bytes },
  ) as DigestMeter;
}

const PLAIN_MD5_ETAG = /^"?([0-9a-f]{32})"?$/;

/** The hex MD5 inside an ETag that looks like a plain MD5 (not multipart "-N"). Whether it is one: etagIsMd5. */
export function md5OfEtag(etag: string | undefined): string | undefined {
  return etag ? PLAIN_MD5_ETAG.exec(etag)?.[1] : undefined;
}

/**
 * False when an answer says the object is encrypted with SSE-KMS, DSSE-KMS or SSE-C: its ETag is then an opaque
 * value of the same shape as an MD5, never the MD5 of the bytes (copy-semantics.md §7, §12).
 */
export function etagIsMd5(headers: Headers): boolean {
  const sse = headerValue(headers, 'x-amz-server-side-encryption')?.trim().toLowerCase();
  if (sse === 'aws:kms' || sse === 'aws:kms:dsse') return false;
  return headerValue(headers, 'x-amz-server-side-encryption-customer-algorithm') === undefined;
}

/** A request that asks the store for SSE-C or SSE-KMS/DSSE: the ETag of what it writes will not be an MD5 (§12). */
export function requestsOpaqueEtag(headers: Headers): boolean {
  return !etagIsMd5(headers);
}

/** The checksum value an answer reports for `alg` (x-amz-checksum-<alg>), if any. */
export function reportedChecksum(headers: Headers, alg: ChecksumAlgorithm): string | undefined {
  return headerValue(headers, `x-amz-checksum-${alg.toLowerCase()}`)?.trim();
}

/**
 * A COMPOSITE multipart checksum: the algorithm over the concatenated raw part digests, base64, then "-" and the
 * number of parts (copy-semantics.md §11.5).
 */
export function compositeChecksum(alg: ChecksumAlgorithm, parts: readonly string[]): string {
  const sum = createChecksum(alg);
  for (const p of parts) sum.update(Buffer.from(p, 'base64'));
  return `${sum.digestBase64()}-${parts.length}`;
}
