// Unit tests for the copy request parsers (src/s3/copy-source.ts), driven by test/fixtures/s3-copy/cases.json.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_COPY_SOURCE_SIZE,
  assertCopySourceSize,
  encodeCopySource,
  parseCopySource,
  parseCopySourceRange,
  resolveCopySourceRange,
} from '../../../src/s3/copy-source.js';
import { hasDotSegment, parsePartNumber } from '../../../src/s3/names.js';
import { S3Error } from '../../../src/s3/errors.js';

interface ErrorExpect {
  status: number;
  code: string;
  message: string;
  elements?: Record<string, string>;
}
interface Cases {
  copySourceRange: { header: string; sourceSize: number; expect: { first: number; last: number; length: number } | { error: ErrorExpect } }[];
  copySource: { header: string; expect: { bucket: string; key: string; versionId: string | null } | { error: ErrorExpect } }[];
  multipartSplitExample: { sourceSize: number; partSize: number; ranges: string[] };
}
const cases = JSON.parse(readFileSync(new URL('../../fixtures/s3-copy/cases.json', import.meta.url), 'utf8')) as Cases;

function thrown(fn: () => unknown): S3Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return err;
    throw err;
  }
  throw new Error('expected an S3Error, nothing was thrown');
}

function expectError(err: S3Error, want: ErrorExpect): void {
  expect({ status: err.status, code: err.code, message: err.message }).toEqual({ status: want.status, code: want.code, message: want.message });
  expect(err.elements).toMatchObject(want.elements ?? {});
}

const SOURCE_MSG = 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey';
const ENCODING_MSG = 'Invalid copy source encoding.';
const VERSION_MSG = 'Invalid version id specified';
const RANGE_SYNTAX_MSG =
  'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy';
const PART_MSG = 'Part number must be an integer between 1 and 10000, inclusive';

/** What node:http hands over for raw (unencoded) UTF-8 bytes in a header: one latin1 char per byte. */
const asReceived = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

describe('parseCopySource: fixture cases', () => {
  it.each(cases.copySource.map((c) => [c.header, c] as const))('%j', (header, c) => {
    if ('error' in c.expect) {
      const err = thrown(() => parseCopySource(header));
      expectError(err, c.expect.error);
      expect(err.elements.ArgumentValue).toBe(header);
    } else {
      const { bucket, key, versionId } = c.expect;
      expect(parseCopySource(header)).toStrictEqual(versionId === null ? { bucket, key } : { bucket, key, versionId });
    }
  });
});

describe('parseCopySource: own cases', () => {
  it.each([
    ['src/dir%2Fsub%2Ffile.txt', { bucket: 'src', key: 'dir/sub/file.txt' }],
    ['src/dir/sub%2Ffile.txt', { bucket: 'src', key: 'dir/sub/file.txt' }],
    ['/src/a', { bucket: 'src', key: 'a' }],
    ['src//double', { bucket: 'src', key: '/double' }],
    ['src/trailing/', { bucket: 'src', key: 'trailing/' }],
    ['src/a+b', { bucket: 'src', key: 'a+b' }],
    ['src/a%2Bb%20c', { bucket: 'src', key: 'a+b c' }],
    ['src/%e6%97%a5', { bucket: 'src', key: '日' }],
    ['src/%F0%9F%98%80.png', { bucket: 'src', key: '😀.png' }],
    [asReceived('src/données/日.txt'), { bucket: 'src', key: 'données/日.txt' }],
    ['src/%EF%BB%BFbom', { bucket: 'src', key: '\uFEFFbom' }],
    ['src/a%25b', { bucket: 'src', key: 'a%b' }],
    ['src/k?versionId=a+b/c', { bucket: 'src', key: 'k', versionId: 'a+b/c' }],
    ['src/k?versionId=a%2Bb%2Fc', { bucket: 'src', key: 'k', versionId: 'a+b/c' }],
    ['src/k?versionId=null', { bucket: 'src', key: 'k', versionId: 'null' }],
    ['/src/k?versionId=v1', { bucket: 'src', key: 'k', versionId: 'v1' }],
    ['src/k?partNumber=1&versionId=v2', { bucket: 'src', key: 'k', versionId: 'v2' }],
    ['src/k?other=1', { bucket: 'src', key: 'k' }],
    ['src/k?', { bucket: 'src', key: 'k' }],
    ['src/a%3Fb?versionId=v?x', { bucket: 'src', key: 'a?b', versionId: 'v?x' }],
  ])('%j', (header, want) => {
    expect(parseCopySource(header)).toStrictEqual(want);
  });

  it.each([
    ['src', SOURCE_MSG],
    ['/src', SOURCE_MSG],
    ['src/', SOURCE_MSG],
    ['/src/', SOURCE_MSG],
    ['/', SOURCE_MSG],
    ['//key', SOURCE_MSG],
    ['?versionId=v1', SOURCE_MSG],
    ['src/?versionId=v1', SOURCE_MSG],
    ['src/%zz', ENCODING_MSG],
    ['src/a%', ENCODING_MSG],
    ['src/a%4', ENCODING_MSG],
    ['src/%E2%82', ENCODING_MSG],
    ['src/%E2%82x', ENCODING_MSG],
    ['src/%C0%AF', ENCODING_MSG],
    ['src/%ED%A0%80', ENCODING_MSG],
    ['src/%FF', ENCODING_MSG],
    ['%zz/key', ENCODING_MSG],
    ['src/d\xe9j\xe0', ENCODING_MSG], // latin1 bytes, as Node's client sends a raw 'déjà'
    ['src/日', ENCODING_MSG],
    ['src/k?versionId=%zz', ENCODING_MSG],
    ['src/k?versionId=', VERSION_MSG],
    ['src/k?versionId', VERSION_MSG],
    ['src/k?versionId=a b', VERSION_MSG],
    ['src/k?versionId=a%0Ab', VERSION_MSG],
    [`src/k?versionId=${'v'.repeat(1025)}`, VERSION_MSG],
  ])('%j is refused: %s', (header, message) => {
    const err = thrown(() => parseCopySource(header));
    expect(err.code).toBe('InvalidArgument');
    expect(err.status).toBe(400);
    expect(err.message).toBe(message);
    expect(err.elements).toEqual({ ArgumentName: 'x-amz-copy-source', ArgumentValue: header });
  });

  it.each([
    'arn:aws:s3:us-west-2:123456789012:accesspoint/my-access-point/object/reports/january.pdf',
    'arn%3Aaws%3As3%3Aus-west-2%3A123456789012%3Aaccesspoint%2Fmy-access-point%2Fobject%2Freports%2Fjanuary.pdf',
    '/arn%3Aaws%3As3-outposts%3Aus-west-2%3A123456789012%3Aoutpost%2Fop-01%2Faccesspoint%2Fap%2Fobject%2Fk',
  ])('ARN form %j is refused as InvalidArgument', (header) => {
    const err = thrown(() => parseCopySource(header));
    expect(err.code).toBe('InvalidArgument');
    expect(err.elements.ArgumentName).toBe('x-amz-copy-source');
    expect(err.message).toMatch(/ARN/);
  });

  it('only ever throws InvalidArgument, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii', maxLength: 40 }), (header) => {
        try {
          const src = parseCopySource(header);
          expect(src.bucket).not.toBe('');
          expect(src.key).not.toBe('');
        } catch (err) {
          expect(err).toBeInstanceOf(S3Error);
          expect((err as S3Error).code).toBe('InvalidArgument');
        }
      }),
    );
  });
});

describe('encodeCopySource', () => {
  it.each([
    [{ bucket: 'src', key: 'reports/january.pdf' }, 'src/reports/january.pdf'],
    [{ bucket: 'src', key: 'a b+c~.txt' }, 'src/a%20b%2Bc~.txt'],
    [{ bucket: 'src', key: 'données/日.txt' }, 'src/donn%C3%A9es/%E6%97%A5.txt'],
    [{ bucket: 'src', key: "a!'()*$&,;=:@" }, 'src/a%21%27%28%29%2A%24%26%2C%3B%3D%3A%40'],
    [{ bucket: 'src', key: 'a?b#c%d' }, 'src/a%3Fb%23c%25d'],
    [{ bucket: 'src', key: '/lead//x/' }, 'src//lead//x/'],
    [{ bucket: 'src', key: 'k', versionId: '3/L4kq+rm=' }, 'src/k?versionId=3%2FL4kq%2Brm%3D'],
    [{ bucket: 'src', key: 'k', versionId: 'null' }, 'src/k?versionId=null'],
  ])('%j → %s', (src, wire) => {
    expect(encodeCopySource(src)).toBe(wire);
  });

  it('round-trips any bucket, key and version id through parseCopySource', () => {
    const source = fc.record(
      {
        bucket: fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
        key: fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
        // Version ids are opaque tokens that cannot carry a path (no "\\", no leading "/", no dot segment).
        versionId: fc.oneof(
          fc.constant('null'),
          fc.stringMatching(/^[!-[\]-~]{1,64}$/).filter((v) => !v.startsWith('/') && !hasDotSegment(v)),
        ),
      },
      { requiredKeys: ['bucket', 'key'] },
    );
    fc.assert(
      fc.property(source, (src) => {
        // fc.record builds null-prototype objects; compare as plain ones.
        expect(parseCopySource(encodeCopySource(src))).toStrictEqual({ ...src });
      }),
      { numRuns: 500 },
    );
  });
});

describe('resolveCopySourceRange: fixture cases', () => {
  it.each(cases.copySourceRange.map((c) => [c.header, c.sourceSize, c] as const))('%j of %d bytes', (header, size, c) => {
    if ('error' in c.expect) {
      const err = thrown(() => resolveCopySourceRange(header, size));
      expectError(err, c.expect.error);
      expect(err.elements.ArgumentValue).toBe(header);
    } else {
      expect(resolveCopySourceRange(header, size)).toStrictEqual(c.expect);
    }
  });

  it('splits the fixture multipart example into contiguous ranges covering the source', () => {
    const { sourceSize, partSize, ranges } = cases.multipartSplitExample;
    const made: string[] = [];
    for (let first = 0; first < sourceSize; first += partSize) made.push(`bytes=${first}-${Math.min(first + partSize, sourceSize) - 1}`);
    expect(made).toEqual(ranges);
    const resolved = ranges.map((r) => resolveCopySourceRange(r, sourceSize));
    expect(resolved.map((r) => r.length)).toEqual([partSize, partSize, sourceSize - 2 * partSize]);
    for (const [i, r] of resolved.slice(1).entries()) expect(r.first).toBe(resolved[i]!.last + 1);
    expect(resolved.at(-1)!.last).toBe(sourceSize - 1);
  });
});

describe('copy source range: own cases', () => {
  it.each([
    [undefined, 10, { first: 0, last: 9, length: 10 }],
    [undefined, 0, { first: 0, last: -1, length: 0 }],
    ['bytes=00-04', 5, { first: 0, last: 4, length: 5 }],
    ['bytes=5368709119-5368709119', 5368709120, { first: 5368709119, last: 5368709119, length: 1 }],
  ])('%j of %d bytes', (header, size, want) => {
    expect(resolveCopySourceRange(header, size)).toStrictEqual(want);
  });

  it.each([
    '',
    'bytes=',
    'bytes=-',
    ' bytes=0-1',
    'bytes= 0-1',
    'bytes=0 -1',
    'Bytes=0-1',
    'bytes=+0-1',
    'bytes=1.0-2',
    'bytes=0-1;',
    'bytes=0-1,',
    'bytes=99999999999999999999-1',
  ])('syntax: %j', (header) => {
    const err = thrown(() => parseCopySourceRange(header));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toBe(RANGE_SYNTAX_MSG);
    expect(err.elements).toEqual({ ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header });
  });

  it.each([
    ['bytes=0-0', 0],
    ['bytes=0-99999999999999999999', 100],
    ['bytes=99999999999999999998-99999999999999999999', 100],
  ])('%j is out of range for %d bytes', (header, size) => {
    const err = thrown(() => resolveCopySourceRange(header, size));
    expect(err.code).toBe('InvalidArgument');
    expect(err.status).toBe(400);
    expect(err.message).toBe(`Range specified is not valid for source object of size: ${size}`);
    expect(err.elements).toEqual({ ArgumentName: 'x-amz-copy-source-range', ArgumentValue: header });
  });

  it('limits single copies to 5 GiB with the wording clients fall back on', () => {
    expect(() => assertCopySourceSize(MAX_COPY_SOURCE_SIZE)).not.toThrow();
    const err = thrown(() => assertCopySourceSize(MAX_COPY_SOURCE_SIZE + 1));
    expect(err.code).toBe('InvalidRequest');
    expect(err.message).toBe('The specified copy source is larger than the maximum allowable size for a copy source: 5368709120');
  });
});

describe('parsePartNumber', () => {
  it.each([
    ['1', 1],
    ['2', 2],
    ['10000', 10000],
    ['01', 1],
  ])('%j → %d', (value, n) => {
    expect(parsePartNumber(value)).toBe(n);
  });

  it.each([['0'], ['10001'], ['1.5'], [''], ['abc'], [' 1'], ['1 '], ['-1'], ['+1'], ['1e3'], ['0x10'], ['99999999999999999999'], [undefined]])(
    '%j is refused',
    (value) => {
      const err = thrown(() => parsePartNumber(value));
      expect(err.code).toBe('InvalidArgument');
      expect(err.status).toBe(400);
      expect(err.message).toBe(PART_MSG);
      expect(err.elements).toEqual({ ArgumentName: 'partNumber', ArgumentValue: value });
    },
  );
});
