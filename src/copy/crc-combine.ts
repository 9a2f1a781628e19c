// Copy emulation, multipart CopyObject: the whole object's CRC from its parts' CRCs, for a FULL_OBJECT checksum (copy-semantics.md §11.5).
import type { ChecksumAlgorithm } from '../s3/checksums.js';

/**
 * The three CRCs S3 offers are reflected, start from all ones and end inverted, so
 * CRC(A‖B) = CRC(A)·x^(8·|B|) mod P ⊕ CRC(B) (the zlib crc32_combine method, here with BigInt
 * for the 64-bit one; it runs once per part, never per byte).
 */
interface CrcModel {
  width: bigint;
  poly: bigint;
  bytes: number;
}

const MODELS: Partial<Record<ChecksumAlgorithm, CrcModel>> = {
  CRC32: { width: 32n, poly: 0xedb88320n, bytes: 4 },
  CRC32C: { width: 32n, poly: 0x82f63b78n, bytes: 4 },
  CRC64NVME: { width: 64n, poly: 0x9a6c9329ac4bc9b5n, bytes: 8 },
};

/** Whether `alg` is a CRC whose part values can be combined into the whole object's (FULL_OBJECT). */
export function isCombinable(alg: ChecksumAlgorithm): boolean {
  return MODELS[alg] !== undefined;
}

/** a·b mod P, reflected: the top bit stands for x^0. */
function multiply(m: CrcModel, a: bigint, b: bigint): bigint {
  if (a === 0n) return 0n;
  let bit = 1n << (m.width - 1n);
  let product = 0n;
  for (;;) {
    if (a & bit) {
      product ^= b;
      if ((a & (bit - 1n)) === 0n) break;
    }
    bit >>= 1n;
    b = b & 1n ? (b >> 1n) ^ m.poly : b >> 1n;
  }
  return product;
}

const POWERS = new Map<CrcModel, bigint[]>();

/** x^(2^k) mod P for k = 0..63, built once per model. */
function powers(m: CrcModel): bigint[] {
  let table = POWERS.get(m);
  if (!table) {
    table = [1n << (m.width - 2n)]; // x^1
    for (let k = 1; k < 64; k++) table.push(multiply(m, table[k - 1]!, table[k - 1]!));
    POWERS.set(m, table);
  }
  return table;
}

/** x^(8·bytes) mod P. */
function shiftFor(m: CrcModel, bytes: number): bigint {
  const table = powers(m);
  let p = 1n << (m.width - 1n); // x^0
  let n = BigInt(bytes);
  for (let k = 3; n > 0n; k++, n >>= 1n) if (n & 1n) p = multiply(m, table[k]!, p);
  return p;
}

function toBig(base64: string): bigint {
  return BigInt(`0x${Buffer.from(base64, 'base64').toString('hex') || '0'}`);
}

function toBase64(m: CrcModel, value: bigint): string {
  return Buffer.from(value.toString(16).padStart(m.bytes * 2, '0'), 'hex').toString('base64');
}

/** The CRC of the parts' bytes one after the other, from each part's CRC (base64) and length. */
export function combineCrcs(alg: ChecksumAlgorithm, parts: ReadonlyArray<{ base64: string; length: number }>): string {
  const m = MODELS[alg];
  if (!m) throw new TypeError(`${alg} is not a CRC`);
  let crc = 0n; // the CRC of no bytes, for all three
  for (const part of parts) crc = multiply(m, shiftFor(m, part.length), crc) ^ toBig(part.base64);
  return toBase64(m, crc);
}
