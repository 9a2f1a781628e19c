// Upload integrity: the x-amz-checksum-* / Content-MD5 algorithms and request-header parsing used on every body-carrying request (aws-chunked.md §2).
import { createHash, type Hash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { S3Error } from './errors.js';

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';
export type DigestAlgorithm = ChecksumAlgorithm | 'MD5';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

/** Raw digest length in bytes: what the base64 value must decode to (aws-chunked.md §2). */
const DIGEST_LENGTH: Record<DigestAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32, MD5: 16 };

export function checksumHeaderName(alg: ChecksumAlgorithm): string {
  return `x-amz-checksum-${alg.toLowerCase()}`;
}

/** 'x-amz-checksum-crc32c' (any case) → 'CRC32C'; anything else (incl. -algorithm, -type, -mode) → undefined. */
export function algorithmFromHeader(name: string): ChecksumAlgorithm | undefined {
  const lower = name.trim().toLowerCase();
  return CHECKSUM_ALGORITHMS.find((alg) => checksumHeaderName(alg) === lower);
}

export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm | undefined {
  const upper = value.trim().toUpperCase();
  return CHECKSUM_ALGORITHMS.find((alg) => alg === upper);
}

/** An `x-amz-checksum-algorithm` value, or S3's InvalidRequest for one it does not know. */
export function requireChecksumAlgorithm(value: string): ChecksumAlgorithm {
  const alg = parseChecksumAlgorithm(value);
  if (!alg)
    throw new S3Error(
      'InvalidRequest',
      'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]',
    );
  return alg;
}

/**
 * Decodes a checksum value, or undefined when it is not the canonical base64 of exactly
 * the algorithm's digest length. Canonical (re-encoding gives the same text) so that two
 * different strings never stand for the same digest.
 */
export function decodeDigest(alg: DigestAlgorithm, base64: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) return undefined;
  const raw = Buffer.from(base64, 'base64');
  if (raw.length !== DIGEST_LENGTH[alg] || raw.toString('base64') !== base64) return undefined;
  return raw;
}

/** BadDigest with the message AWS uses for this algorithm (aws-chunked.md §2, sigv4.md §9). */
export function digestMismatch(alg: DigestAlgorithm): S3Error {
  if (alg === 'MD5') return new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  return new S3Error('BadDigest', `The ${alg} you specified did not match the calculated checksum.`);
}

export interface Checksum {
  update(chunk: Buffer): void;
  digest(): Buffer;
  digestBase64(): string;
}

export function createChecksum(alg: DigestAlgorithm): Checksum {
  switch (alg) {
    case 'CRC32':
      return new Crc32();
    case 'CRC32C':
      return new Crc32c();
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
      return new HashChecksum(createHash('sha1'));
    case 'SHA256':
      return new HashChecksum(createHash('sha256'));
    case 'MD5':
      return new HashChecksum(createHash('md5'));
  }
}

class HashChecksum implements Checksum {
  #digest: Buffer | undefined;
  constructor(private readonly hash: Hash) {}
  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }
  digest(): Buffer {
    this.#digest ??= this.hash.digest();
    return this.#digest;
  }
  digestBase64(): string {
    return this.digest().toString('base64');
  }
}

/** CRC32 (IEEE, zlib's): native, Node ≥ 20.15. */
class Crc32 implements Checksum {
  #crc = 0;
  update(chunk: Buffer): void {
    this.#crc = zlibCrc32(chunk, this.#crc);
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(this.#crc >>> 0);
    return out;
  }
  digestBase64(): string {
    return this.digest().toString('base64');
  }
}

// Table-driven slicing-by-8 for the reflected CRCs: entry k*256+n is byte n's CRC
// contribution k positions further down an 8-byte block. One flat table (not eight)
// measured ~1.5x faster in V8.
function sliceTable32(poly: number): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c;
  }
  for (let i = 256; i < t.length; i++) t[i] = (t[i - 256]! >>> 8) ^ t[t[i - 256]! & 0xff]!;
  return t;
}

// CRC32C (Castagnoli, reflected 0x82F63B78), aws-chunked.md §2.
const C32 = sliceTable32(0x82f63b78);

class Crc32c implements Checksum {
  #crc = -1;
  update(buf: Buffer): void {
    const t = C32;
    let crc = this.#crc;
    let i = 0;
    const end8 = buf.length - 7;
    for (; i < end8; i += 8) {
      const a = crc ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
      const b = buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24);
      crc =
        t[1792 + (a & 0xff)]! ^
        t[1536 + ((a >>> 8) & 0xff)]! ^
        t[1280 + ((a >>> 16) & 0xff)]! ^
        t[1024 + (a >>> 24)]! ^
        t[768 + (b & 0xff)]! ^
        t[512 + ((b >>> 8) & 0xff)]! ^
        t[256 + ((b >>> 16) & 0xff)]! ^
        t[b >>> 24]!;
    }
    for (; i < buf.length; i++) crc = t[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
    this.#crc = crc;
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(4);
    out.writeUInt32BE(~this.#crc >>> 0);
    return out;
  }
  digestBase64(): string {
    return this.digest().toString('base64');
  }
}

// CRC64NVME (reflected 0x9A6C9329AC4BC9B5), aws-chunked.md §2. The 64-bit state is kept as
// two 32-bit halves (BigInt per byte would be ~50x slower); entry 2*(k*256+n) holds the
// low half, the next one the high half, so both come from the same cache line.
function sliceTable64(polyHi: number, polyLo: number): Int32Array {
  const t = new Int32Array(2 * 8 * 256);
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const odd = lo & 1;
      lo = (lo >>> 1) | (hi << 31);
      hi >>>= 1;
      if (odd) {
        lo ^= polyLo;
        hi ^= polyHi;
      }
    }
    t[2 * n] = lo;
    t[2 * n + 1] = hi;
  }
  for (let e = 256; e < 8 * 256; e++) {
    const lo = t[2 * (e - 256)]!;
    const hi = t[2 * (e - 256) + 1]!;
    const idx = 2 * (lo & 0xff);
    t[2 * e] = ((lo >>> 8) | (hi << 24)) ^ t[idx]!;
    t[2 * e + 1] = (hi >>> 8) ^ t[idx + 1]!;
  }
  return t;
}

const C64 = sliceTable64(0x9a6c9329, 0xac4bc9b5 | 0);

class Crc64Nvme implements Checksum {
  #lo = -1;
  #hi = -1;
  update(buf: Buffer): void {
    const t = C64;
    let lo = this.#lo;
    let hi = this.#hi;
    let i = 0;
    const end8 = buf.length - 7;
    for (; i < end8; i += 8) {
      const a = lo ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
      const b = hi ^ (buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24));
      const x0 = 2 * (1792 + (a & 0xff)),
        x1 = 2 * (1536 + ((a >>> 8) & 0xff));
      const x2 = 2 * (1280 + ((a >>> 16) & 0xff)),
        x3 = 2 * (1024 + (a >>> 24));
      const x4 = 2 * (768 + (b & 0xff)),
        x5 = 2 * (512 + ((b >>> 8) & 0xff));
      const x6 = 2 * (256 + ((b >>> 16) & 0xff)),
        x7 = 2 * (b >>> 24);
      lo = t[x0]! ^ t[x1]! ^ t[x2]! ^ t[x3]! ^ t[x4]! ^ t[x5]! ^ t[x6]! ^ t[x7]!;
      hi = t[x0 + 1]! ^ t[x1 + 1]! ^ t[x2 + 1]! ^ t[x3 + 1]! ^ t[x4 + 1]! ^ t[x5 + 1]! ^ t[x6 + 1]! ^ t[x7 + 1]!;
    }
    for (; i < buf.length; i++) {
      const idx = 2 * ((lo ^ buf[i]!) & 0xff);
      lo = ((lo >>> 8) | (hi << 24)) ^ t[idx]!;
      hi = (hi >>> 8) ^ t[idx + 1]!;
    }
    this.#lo = lo;
    this.#hi = hi;
  }
  digest(): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeUInt32BE(~this.#hi >>> 0, 0);
    out.writeUInt32BE(~this.#lo >>> 0, 4);
    return out;
  }
  digestBase64(): string {
    return this.digest().toString('base64');
  }
}

export interface ExpectedDigest {
  alg: DigestAlgorithm;
  base64: string;
}

/** The integrity headers of one request, validated. */
export interface RequestChecksums {
  /** The single x-amz-checksum-* request header, if sent. */
  header?: { alg: ChecksumAlgorithm; base64: string };
  /** Content-MD5, if sent. */
  contentMd5?: string;
  /** Algorithm of the trailing checksum announced by x-amz-trailer (aws-chunked bodies). */
  trailer?: ChecksumAlgorithm;
  /** x-amz-sdk-checksum-algorithm, if sent; always agrees with `header` or `trailer`. */
  sdkAlgorithm?: ChecksumAlgorithm;
  /** Digests known up front that the (decoded) body must match: `header` and Content-MD5. Feed to createChecksumCheck. */
  expected: ExpectedDigest[];
}

/** Request headers as parse/request.ts gives them: lower-case names, repeats joined. */
type RequestHeaders = Readonly<Record<string, string | undefined>>;

const invalidRequest = (message: string) => new S3Error('InvalidRequest', message);

/**
 * Parses and cross-checks the checksum headers of a request (aws-chunked.md §2). Header
 * names are expected in lowercase, as node:http delivers them. Throws S3Error:
 * InvalidDigest for a malformed Content-MD5, InvalidRequest for everything else.
 */
export function requestChecksums(headers: RequestHeaders): RequestChecksums {
  const result: RequestChecksums = { expected: [] };

  // Present-but-empty headers count too: S3 rejects `--checksum-crc32 '' --checksum-sha1 ''`.
  const sent = CHECKSUM_ALGORITHMS.filter((alg) => headers[checksumHeaderName(alg)] !== undefined);
  if (sent.length > 1) throw invalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const headerAlg = sent[0];
  if (headerAlg !== undefined) {
    const name = checksumHeaderName(headerAlg);
    const base64 = headers[name]!.trim();
    if (!decodeDigest(headerAlg, base64)) throw invalidRequest(`Value for ${name} header is invalid.`);
    result.header = { alg: headerAlg, base64 };
    result.expected.push({ alg: headerAlg, base64 });
  }

  const trailerName = headers['x-amz-trailer']?.trim();
  if (trailerName) {
    const alg = algorithmFromHeader(trailerName);
    if (!alg) throw invalidRequest('The value specified in the x-amz-trailer header is not supported');
    // Header and trailer together: AWS drops the second sentence in this case.
    if (headerAlg !== undefined) throw invalidRequest('Expecting a single x-amz-checksum- header');
    result.trailer = alg;
  }

  const sdkValue = headers['x-amz-sdk-checksum-algorithm'];
  if (sdkValue !== undefined) {
    const alg = parseChecksumAlgorithm(sdkValue);
    if (!alg) throw invalidRequest('Value for x-amz-sdk-checksum-algorithm header is invalid.');
    const announced = result.header?.alg ?? result.trailer;
    if (announced === undefined) {
      throw invalidRequest('x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.');
    }
    if (announced !== alg) throw invalidRequest('Value for x-amz-sdk-checksum-algorithm header is invalid.');
    result.sdkAlgorithm = alg;
  }

  const md5 = headers['content-md5'];
  if (md5 !== undefined) {
    const base64 = md5.trim();
    if (!decodeDigest('MD5', base64)) throw new S3Error('InvalidDigest');
    result.contentMd5 = base64;
    result.expected.push({ alg: 'MD5', base64 });
  }
  return result;
}
