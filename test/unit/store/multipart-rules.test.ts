// The embedded store's CompleteMultipartUpload rules (src/store/multipart-rules.ts): part order, ETags, sizes, checksums, and the multipart ETag.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createChecksum } from '../../../src/s3/checksums.js';
import type { S3Error } from '../../../src/s3/errors.js';
import { checkCompletedParts, compositeChecksum, multipartEtag } from '../../../src/store/multipart-rules.js';
import type { PartRecord, UploadRecord } from '../../../src/store/records.js';
import type { CompletedPart } from '../../../src/store/xml-docs.js';

const MIN = 100;
const part = (n: number, size: number, checksum?: string): PartRecord => ({
  v: 1,
  partNumber: n,
  size,
  etag: `e${n}`.padEnd(32, '0'),
  lastModified: 0,
  ...(checksum ? { checksum: { alg: 'CRC32', value: checksum } } : {}),
});
const STORED = new Map([1, 2, 3].map((n) => [n, part(n, n === 3 ? 10 : MIN, `c${n}`)]));
const SMALL = new Map([
  [1, part(1, MIN - 1)],
  [2, part(2, 5)],
]);
const upload = (checksum?: UploadRecord['checksum']): UploadRecord => ({
  v: 1,
  key: 'k',
  uploadId: 'u',
  initiated: 0,
  headers: {},
  meta: [],
  tags: [],
  ...(checksum ? { checksum } : {}),
});
const listed = (n: number, extra: Partial<CompletedPart> = {}): CompletedPart => ({ partNumber: n, etag: `"${part(n, 0).etag}"`, checksums: {}, ...extra });

function outcome(parts: CompletedPart[], stored = STORED, up = upload()): string {
  try {
    checkCompletedParts(parts, stored, up, MIN);
    return 'ok';
  } catch (err) {
    return (err as S3Error).code;
  }
}

describe('checkCompletedParts', () => {
  it.each<[string, CompletedPart[], Map<number, PartRecord>, UploadRecord, string]>([
    ['all parts in order', [listed(1), listed(2), listed(3)], STORED, upload(), 'ok'],
    ['a subset, skipping numbers', [listed(1), listed(3)], STORED, upload(), 'ok'],
    ['ETags without quotes', [listed(1, { etag: part(1, 0).etag })], STORED, upload(), 'ok'],
    ['no parts', [], STORED, upload(), 'MalformedXML'],
    ['descending numbers', [listed(2), listed(1)], STORED, upload(), 'InvalidPartOrder'],
    ['a repeated number', [listed(1), listed(1)], STORED, upload(), 'InvalidPartOrder'],
    ['a part never uploaded', [listed(1), listed(4)], STORED, upload(), 'InvalidPart'],
    ['a wrong ETag', [listed(1, { etag: '"0123456789abcdef0123456789abcdef"' })], STORED, upload(), 'InvalidPart'],
    ['a small part that is not last', [listed(1), listed(2)], SMALL, upload(), 'EntityTooSmall'],
    ['a small last part', [listed(2)], SMALL, upload(), 'ok'],
    ['a matching part checksum', [listed(1, { checksums: { CRC32: 'c1' } })], STORED, upload(), 'ok'],
    ['a wrong part checksum', [listed(1, { checksums: { CRC32: 'nope' } })], STORED, upload(), 'InvalidPart'],
    [
      'COMPOSITE upload with every part checksum',
      [listed(1, { checksums: { CRC32: 'c1' } }), listed(3, { checksums: { CRC32: 'c3' } })],
      STORED,
      upload({ alg: 'CRC32', type: 'COMPOSITE' }),
      'ok',
    ],
    [
      'COMPOSITE upload missing a part checksum',
      [listed(1, { checksums: { CRC32: 'c1' } }), listed(3)],
      STORED,
      upload({ alg: 'CRC32', type: 'COMPOSITE' }),
      'InvalidRequest',
    ],
    ['FULL_OBJECT upload without part checksums', [listed(1), listed(3)], STORED, upload({ alg: 'CRC32', type: 'FULL_OBJECT' }), 'ok'],
    [
      'a part checksum of another algorithm than the upload',
      [listed(1, { checksums: { SHA256: 'x' } })],
      STORED,
      upload({ alg: 'CRC32', type: 'FULL_OBJECT' }),
      'InvalidPart',
    ],
  ])('%s → %s', (_what, parts, stored, up, expected) => {
    expect(outcome(parts, stored, up)).toBe(expected);
  });

  it('EntityTooSmall names the part and the sizes, as S3 does', () => {
    try {
      checkCompletedParts([listed(1), listed(2)], SMALL, upload(), MIN);
    } catch (err) {
      expect((err as S3Error).elements).toMatchObject({ ProposedSize: MIN - 1, MinSizeAllowed: MIN, PartNumber: 1 });
      return;
    }
    throw new Error('expected EntityTooSmall');
  });
});

describe('the multipart ETag and COMPOSITE checksum', () => {
  it('md5 of the binary part MD5s, then -N', () => {
    const parts = [Buffer.from('part one'), Buffer.from('part two')];
    const md5s = parts.map((p) => createHash('md5').update(p).digest('hex'));
    const expected = createHash('md5')
      .update(Buffer.concat(md5s.map((h) => Buffer.from(h, 'hex'))))
      .digest('hex');
    expect(multipartEtag(md5s)).toBe(`${expected}-2`);
  });

  it('the algorithm over the raw part checksums, then -N', () => {
    const parts = ['AAAAAA==', 'AQIDBA=='];
    const sum = createChecksum('CRC32');
    for (const p of parts) sum.update(Buffer.from(p, 'base64'));
    expect(compositeChecksum('CRC32', parts)).toBe(`${sum.digestBase64()}-2`);
  });
});
