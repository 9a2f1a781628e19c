// Unit tests for the checksum arithmetic and readers of emulated copies (copy-semantics.md §11): CRC combination, composite values, an upload's algorithm from ListParts / ListMultipartUploads, ETags that are not MD5s.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createChecksum, type ChecksumAlgorithm } from '../../../src/s3/checksums.js';
import { combineCrcs, isCombinable } from '../../../src/copy/crc-combine.js';
import { compositeChecksum, digestMeter, etagIsMd5, md5OfEtag } from '../../../src/copy/digests.js';
import { findUpload, readUploadChecksum } from '../../../src/copy/upload-checksum.js';
import { Readable } from 'node:stream';

const sum = (alg: ChecksumAlgorithm, ...bufs: Buffer[]) => {
  const c = createChecksum(alg);
  for (const b of bufs) c.update(b);
  return c.digestBase64();
};
const CRCS: ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME'];

describe('combineCrcs: the whole object CRC from the part CRCs', () => {
  it.each(CRCS)('%s: the combined part CRCs equal the CRC of the concatenation (property)', (alg) => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 6 }), (arrays) => {
        const parts = arrays.map((a) => Buffer.from(a));
        const combined = combineCrcs(
          alg,
          parts.map((p) => ({ base64: sum(alg, p), length: p.length })),
        );
        expect(combined).toBe(sum(alg, ...parts));
      }),
      { numRuns: 150 },
    );
  });

  it.each(CRCS)('%s across part sizes of a real copy (5 MiB parts)', (alg) => {
    const part = Buffer.alloc(5 * 1024 * 1024, 0x61);
    const last = Buffer.from('tail bytes');
    expect(
      combineCrcs(alg, [
        { base64: sum(alg, part), length: part.length },
        { base64: sum(alg, part), length: part.length },
        { base64: sum(alg, last), length: last.length },
      ]),
    ).toBe(sum(alg, part, part, last));
  });

  it('knows which algorithms combine', () => {
    expect(['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'].map((a) => isCombinable(a as ChecksumAlgorithm))).toEqual([true, true, true, false, false]);
    expect(() => combineCrcs('SHA256', [])).toThrow(TypeError);
  });
});

describe('compositeChecksum', () => {
  it('is the algorithm over the raw part digests, then -N (moto and S3 agree: Wjdp0A==-1 for one 2000-byte part of "x")', () => {
    const part = Buffer.alloc(2000, 'x');
    expect(sum('CRC32', part)).toBe('KQhleg==');
    expect(compositeChecksum('CRC32', ['KQhleg=='])).toBe('Wjdp0A==-1');
  });

  it.each(['SHA1', 'SHA256', 'CRC32C'] as ChecksumAlgorithm[])('%s of three parts', (alg) => {
    const parts = ['a', 'bb', 'ccc'].map((s) => Buffer.from(s));
    const digests = parts.map((p) => sum(alg, p));
    expect(compositeChecksum(alg, digests)).toBe(`${sum(alg, Buffer.concat(digests.map((d) => Buffer.from(d, 'base64'))))}-3`);
  });
});

describe('readUploadChecksum / findUpload', () => {
  const LIST_PARTS_S3 =
    '<ListPartsResult><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId><ChecksumAlgorithm>SHA256</ChecksumAlgorithm><ChecksumType>COMPOSITE</ChecksumType>' +
    '<Part><PartNumber>1</PartNumber><ETag>"e"</ETag><ChecksumSHA256>x</ChecksumSHA256></Part></ListPartsResult>';
  const LIST_PARTS_MOTO =
    '<ListPartsResponse><Bucket>b</Bucket><Key>k</Key><UploadId>u1</UploadId><Part><PartNumber>1</PartNumber><ETag>"e"</ETag><Size>3</Size></Part></ListPartsResponse>';
  const LISTING =
    '<ListMultipartUploadsResult><Bucket>b</Bucket>' +
    '<Upload><UploadId>u0</UploadId><Key>k</Key><ChecksumAlgorithm>CRC32</ChecksumAlgorithm></Upload>' +
    '<Upload><UploadId>u1</UploadId><Key>k/longer</Key><ChecksumAlgorithm>SHA1</ChecksumAlgorithm></Upload>' +
    '<Upload><UploadId>u1</UploadId><Key>k</Key><Initiated>2010-11-10T20:48:33.000Z</Initiated><ChecksumAlgorithm>crc64nvme</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType></Upload>' +
    '<Upload><UploadId>u2</UploadId><Key>k</Key><ChecksumAlgorithm>XXHASH128</ChecksumAlgorithm></Upload>' +
    '<Upload><UploadId>u3</UploadId><Key>k</Key></Upload></ListMultipartUploadsResult>';

  it.each([
    ['S3 ListParts names it', LIST_PARTS_S3, { algorithm: 'SHA256', type: 'COMPOSITE' }],
    ['moto ListParts does not', LIST_PARTS_MOTO, undefined],
    ['an empty answer (store without ListParts)', '', undefined],
    ['the listed upload, matched by id and exact key', findUpload(LISTING, 'u1', 'k')!, { algorithm: 'CRC64NVME', type: 'FULL_OBJECT' }],
    ['an algorithm s3bridge cannot compute, kept by name', findUpload(LISTING, 'u2', 'k')!, { unknown: 'XXHASH128' }],
    ['a listed upload without an algorithm', findUpload(LISTING, 'u3', 'k')!, undefined],
  ])('%s', (_name, doc, want) => {
    expect(readUploadChecksum(doc)).toStrictEqual(want);
  });

  it('finds nothing for an id that is not listed', () => {
    expect(findUpload(LISTING, 'u9', 'k')).toBe(undefined);
  });
});

describe('ETags and encryption (copy-semantics.md §12)', () => {
  const MD5 = '9b2cf535f27731c974343645a3985328';
  it.each([
    ['no encryption', {}, true],
    ['SSE-S3', { 'x-amz-server-side-encryption': 'AES256' }, true],
    ['SSE-KMS', { 'x-amz-server-side-encryption': 'aws:kms' }, false],
    ['DSSE-KMS', { 'x-amz-server-side-encryption': 'aws:kms:dsse' }, false],
    ['SSE-C', { 'x-amz-server-side-encryption-customer-algorithm': 'AES256' }, false],
  ])('%s → ETag is an MD5: %s', (_name, headers, want) => {
    expect(etagIsMd5(headers)).toBe(want);
  });

  it.each([
    [`"${MD5}"`, MD5],
    [MD5, MD5],
    [`"${MD5}-3"`, undefined],
    ['"bench-1-5"', undefined],
    [undefined, undefined],
  ])('md5OfEtag(%j) = %j', (etag, want) => {
    expect(md5OfEtag(etag)).toBe(want);
  });
});

describe('digestMeter', () => {
  it('counts, and computes only the digests asked for', async () => {
    const seen: number[] = [];
    const both = digestMeter({ md5: true, checksum: 'CRC32C', onBytes: (n) => seen.push(n) });
    Readable.from([Buffer.from('hello '), Buffer.from('world')]).pipe(both);
    for await (const _ of both) {
      /* drain */
    }
    expect([both.bytes, seen, both.md5Hex(), both.checksum()]).toEqual([
      11,
      [6, 5],
      '5eb63bbbe01eeed093cb22bb8f5acdc3',
      { alg: 'CRC32C', base64: sum('CRC32C', Buffer.from('hello world')) },
    ]);
    const none = digestMeter({ md5: false });
    Readable.from([Buffer.from('x')]).pipe(none);
    for await (const _ of none) {
      /* drain */
    }
    expect([none.bytes, none.md5Hex(), none.checksum()]).toEqual([1, undefined, undefined]);
  });
});
