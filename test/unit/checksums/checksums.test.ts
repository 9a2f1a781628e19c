// Checksum algorithms against the published values, and request checksum-header parsing (aws-chunked.md §2).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHECKSUM_ALGORITHMS,
  algorithmFromHeader,
  checksumHeaderName,
  createChecksum,
  decodeDigest,
  requestChecksums,
  type ChecksumAlgorithm,
  type DigestAlgorithm,
} from '../../../src/s3/checksums.js';
import { splitAt } from '../../helpers/aws-chunked-encode.js';

interface Sample {
  input: string;
  length: number;
  base64Checksums: Record<ChecksumAlgorithm, string>;
  contentMD5: string;
}
const samples = (JSON.parse(readFileSync(new URL('../../fixtures/chunked/checksums.json', import.meta.url), 'utf8')) as { samples: Sample[] }).samples;

const INPUTS: Record<string, Buffer> = {
  empty: Buffer.alloc(0),
  'Hello World': Buffer.from('Hello World'),
  '123456789': Buffer.from('123456789'),
  'a (1 byte)': Buffer.from('a'),
  '66560 x a': Buffer.alloc(66560, 'a'),
  'Welcome to Amazon S3.': Buffer.from('Welcome to Amazon S3.'),
};

function digestOf(alg: DigestAlgorithm, pieces: Buffer[]): string {
  const sum = createChecksum(alg);
  for (const p of pieces) sum.update(p);
  return sum.digestBase64();
}

describe('checksums.json values', () => {
  const cases = samples.flatMap((s) => [
    ...CHECKSUM_ALGORITHMS.map((alg) => ({ input: s.input, alg: alg as DigestAlgorithm, want: s.base64Checksums[alg] })),
    { input: s.input, alg: 'MD5' as DigestAlgorithm, want: s.contentMD5 },
  ]);

  it.each(cases)('$alg of "$input"', ({ input, alg, want }) => {
    const data = INPUTS[input]!;
    expect(data.length).toBe(samples.find((s) => s.input === input)!.length);
    expect(digestOf(alg, [data])).toBe(want);
    // Same value however the data is split (odd sizes cross the 8-byte blocks).
    expect(digestOf(alg, splitAt(data, [1, 4, 11, 12, 20, 27, 4096, 5000, 65535]))).toBe(want);
    expect(
      digestOf(
        alg,
        splitAt(
          data,
          Array.from({ length: Math.min(data.length, 64) }, (_, i) => i),
        ),
      ),
    ).toBe(want);
  });

  it('check values for "123456789" (aws-chunked.md §2)', () => {
    const hex = (alg: DigestAlgorithm) => Buffer.from(digestOf(alg, [Buffer.from('123456789')]), 'base64').toString('hex');
    expect([hex('CRC32'), hex('CRC32C'), hex('CRC64NVME')]).toEqual(['cbf43926', 'e3069283', 'ae8b14860a799888']);
  });

  it('digest can be read twice', () => {
    for (const alg of [...CHECKSUM_ALGORITHMS, 'MD5' as const]) {
      const sum = createChecksum(alg);
      sum.update(Buffer.from('abc'));
      expect(sum.digestBase64()).toBe(sum.digestBase64());
    }
  });
});

// Bit-at-a-time references: slow but obviously the definition (reflected, init/xorout all-ones).
function referenceCrc32c(data: Uint8Array): bigint {
  let crc = 0xffffffffn;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ 0x82f63b78n : crc >> 1n;
  }
  return crc ^ 0xffffffffn;
}
function referenceCrc64Nvme(data: Uint8Array): bigint {
  const mask = 0xffffffffffffffffn;
  let crc = mask;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ 0x9a6c9329ac4bc9b5n : crc >> 1n;
  }
  return crc ^ mask;
}

describe('table-driven CRCs equal the bitwise definition', () => {
  it.each([
    { alg: 'CRC32C' as const, ref: referenceCrc32c, bytes: 4 },
    { alg: 'CRC64NVME' as const, ref: referenceCrc64Nvme, bytes: 8 },
  ])('$alg on random data and splits', ({ alg, ref, bytes }) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(200), { maxLength: 6 }), (data, cuts) => {
        const want = ref(data)
          .toString(16)
          .padStart(bytes * 2, '0');
        const got = Buffer.from(digestOf(alg, splitAt(Buffer.from(data), cuts)), 'base64').toString('hex');
        expect(got).toBe(want);
      }),
      { numRuns: 200 },
    );
  });
});

describe('header names', () => {
  it.each(CHECKSUM_ALGORITHMS)('%s round-trips through its header name', (alg) => {
    expect(checksumHeaderName(alg)).toBe(`x-amz-checksum-${alg.toLowerCase()}`);
    expect(algorithmFromHeader(checksumHeaderName(alg))).toBe(alg);
    expect(algorithmFromHeader(checksumHeaderName(alg).toUpperCase())).toBe(alg);
  });

  it.each(['x-amz-checksum-algorithm', 'x-amz-checksum-type', 'x-amz-checksum-mode', 'x-amz-checksum-md5', 'x-amz-checksum-crc64', 'content-md5', ''])(
    '%j is not a checksum value header',
    (name) => {
      expect(algorithmFromHeader(name)).toBeUndefined();
    },
  );
});

describe('decodeDigest', () => {
  it.each([
    { alg: 'CRC32', value: 'ShexVg==', ok: true },
    { alg: 'CRC64NVME', value: 'ZZYyy35L4mE=', ok: true },
    { alg: 'SHA256', value: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', ok: true },
    { alg: 'MD5', value: '1B2M2Y8AsgTpgAmY7PhCfg==', ok: true },
    { alg: 'CRC32', value: '', ok: false },
    { alg: 'CRC32', value: 'ShexVg', ok: false }, // unpadded
    { alg: 'CRC32', value: 'ShexVh==', ok: false }, // non-zero padding bits: not canonical
    { alg: 'CRC32', value: 'ZZYyy35L4mE=', ok: false }, // 8 bytes
    { alg: 'CRC32', value: 'She_Vg==', ok: false }, // base64url
    { alg: 'SHA1', value: '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=', ok: false },
    { alg: 'MD5', value: '1B2M2Y8AsgTpgAmY7PhCfg== ', ok: false },
  ] as Array<{ alg: DigestAlgorithm; value: string; ok: boolean }>)('$alg $value → $ok', ({ alg, value, ok }) => {
    expect(decodeDigest(alg, value) !== undefined).toBe(ok);
  });
});

describe('requestChecksums', () => {
  const crc = { 'x-amz-checksum-crc32': 'ShexVg==' };
  const md5 = { 'content-md5': 'sQqNsWTgdUEFt6mb5y4/5Q==' };

  it.each([
    { name: 'no checksum headers', headers: {}, want: { expected: [] } },
    { name: 'checksum header', headers: crc, want: { header: { alg: 'CRC32', base64: 'ShexVg==' }, expected: [{ alg: 'CRC32', base64: 'ShexVg==' }] } },
    {
      name: 'checksum header + sdk algorithm (JS v3 default)',
      headers: { ...crc, 'x-amz-sdk-checksum-algorithm': 'CRC32' },
      want: { sdkAlgorithm: 'CRC32', header: { alg: 'CRC32' } },
    },
    { name: 'sdk algorithm in lowercase', headers: { ...crc, 'x-amz-sdk-checksum-algorithm': 'crc32' }, want: { sdkAlgorithm: 'CRC32' } },
    {
      name: 'value with surrounding spaces',
      headers: { 'x-amz-checksum-crc64nvme': ' ZZYyy35L4mE= ' },
      want: { header: { alg: 'CRC64NVME', base64: 'ZZYyy35L4mE=' } },
    },
    { name: 'Content-MD5', headers: md5, want: { contentMd5: 'sQqNsWTgdUEFt6mb5y4/5Q==', expected: [{ alg: 'MD5', base64: 'sQqNsWTgdUEFt6mb5y4/5Q==' }] } },
    {
      name: 'checksum header + Content-MD5',
      headers: { ...crc, ...md5 },
      want: {
        expected: [
          { alg: 'CRC32', base64: 'ShexVg==' },
          { alg: 'MD5', base64: 'sQqNsWTgdUEFt6mb5y4/5Q==' },
        ],
      },
    },
    {
      name: 'trailer + sdk algorithm (aws-chunked)',
      headers: { 'x-amz-trailer': 'x-amz-checksum-crc32c', 'x-amz-sdk-checksum-algorithm': 'CRC32C' },
      want: { trailer: 'CRC32C', sdkAlgorithm: 'CRC32C', expected: [] },
    },
    { name: 'trailer + Content-MD5', headers: { 'x-amz-trailer': 'X-Amz-Checksum-SHA256', ...md5 }, want: { trailer: 'SHA256', expected: [{ alg: 'MD5' }] } },
    {
      name: 'unrelated x-amz-checksum-* headers',
      headers: { 'x-amz-checksum-algorithm': 'CRC32', 'x-amz-checksum-type': 'FULL_OBJECT', 'x-amz-checksum-mode': 'ENABLED' },
      want: { expected: [] },
    },
  ])('$name', ({ headers, want }) => {
    expect(requestChecksums(headers)).toMatchObject(want);
  });

  it.each([
    {
      name: 'two checksum headers',
      headers: { ...crc, 'x-amz-checksum-sha1': 'Ck1VqNd45QIvq3AZd8XYQLvEhtA=' },
      code: 'InvalidRequest',
      message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    },
    {
      name: 'two empty checksum headers',
      headers: { 'x-amz-checksum-crc32': '', 'x-amz-checksum-crc32c': '' },
      code: 'InvalidRequest',
      message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    },
    {
      name: 'checksum header and trailer',
      headers: { ...crc, 'x-amz-trailer': 'x-amz-checksum-crc32' },
      code: 'InvalidRequest',
      message: 'Expecting a single x-amz-checksum- header',
    },
    {
      name: 'undecodable value',
      headers: { 'x-amz-checksum-crc32': 'not base64!' },
      code: 'InvalidRequest',
      message: 'Value for x-amz-checksum-crc32 header is invalid.',
    },
    { name: 'empty value', headers: { 'x-amz-checksum-crc32c': '' }, code: 'InvalidRequest', message: 'Value for x-amz-checksum-crc32c header is invalid.' },
    {
      name: 'value of another algorithm’s length',
      headers: { 'x-amz-checksum-sha256': 'Ck1VqNd45QIvq3AZd8XYQLvEhtA=' },
      code: 'InvalidRequest',
      message: 'Value for x-amz-checksum-sha256 header is invalid.',
    },
    {
      name: 'sdk algorithm without any checksum',
      headers: { 'x-amz-sdk-checksum-algorithm': 'CRC32' },
      code: 'InvalidRequest',
      message: 'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.',
    },
    {
      name: 'sdk algorithm unknown',
      headers: { ...crc, 'x-amz-sdk-checksum-algorithm': 'MD5' },
      code: 'InvalidRequest',
      message: 'Value for x-amz-sdk-checksum-algorithm header is invalid.',
    },
    {
      name: 'sdk algorithm differs from the header',
      headers: { 'x-amz-checksum-crc32c': 'aR2qLw==', 'x-amz-sdk-checksum-algorithm': 'CRC32' },
      code: 'InvalidRequest',
      message: 'Value for x-amz-sdk-checksum-algorithm header is invalid.',
    },
    {
      name: 'sdk algorithm differs from the trailer',
      headers: { 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-sdk-checksum-algorithm': 'SHA256' },
      code: 'InvalidRequest',
      message: 'Value for x-amz-sdk-checksum-algorithm header is invalid.',
    },
    { name: 'trailer names an unknown algorithm', headers: { 'x-amz-trailer': 'x-amz-checksum-md5' }, code: 'InvalidRequest' },
    { name: 'Content-MD5 not base64', headers: { 'content-md5': 'zzz' }, code: 'InvalidDigest' },
    { name: 'Content-MD5 of the wrong length', headers: { 'content-md5': 'ShexVg==' }, code: 'InvalidDigest' },
    { name: 'Content-MD5 as hex', headers: { 'content-md5': 'b10a8db164e0754105b7a99be72e3fe5' }, code: 'InvalidDigest' },
    { name: 'Content-MD5 empty', headers: { 'content-md5': '' }, code: 'InvalidDigest' },
    { name: 'Content-MD5 sent twice', headers: { 'content-md5': 'sQqNsWTgdUEFt6mb5y4/5Q==,sQqNsWTgdUEFt6mb5y4/5Q==' }, code: 'InvalidDigest' },
  ] as Array<{ name: string; headers: Record<string, string>; code: string; message?: string }>)('$name → $code', ({ headers, code, message }) => {
    expect(() => requestChecksums(headers)).toThrow(expect.objectContaining(message ? { code, message } : { code }));
  });
});
