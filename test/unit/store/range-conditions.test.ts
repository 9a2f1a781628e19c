// The embedded store's GET/HEAD protocol rules: Range (src/store/range.ts) and the If-* conditions in S3's precedence (src/store/conditions.ts).
import { describe, expect, it } from 'vitest';
import { S3Error } from '../../../src/s3/errors.js';
import { evaluateReadConditions, evaluateWriteConditions } from '../../../src/store/conditions.js';
import { resolveRange } from '../../../src/store/range.js';

function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (err) {
    if (err instanceof S3Error) return `${err.status} ${err.code}${err.elements.Condition ? ` ${err.elements.Condition}` : ''}`;
    throw err;
  }
}

describe('resolveRange (object of 10 bytes unless said)', () => {
  it.each<[string | undefined, number, unknown]>([
    [undefined, 10, undefined],
    ['bytes=0-4', 10, { start: 0, end: 4 }],
    ['bytes=7-', 10, { start: 7, end: 9 }],
    ['bytes=-3', 10, { start: 7, end: 9 }],
    ['bytes=-10', 10, { start: 0, end: 9 }],
    ['bytes=-11 (suffix longer than the object: all of it)', 10, { start: 0, end: 9 }],
    ['bytes=8-1000 (end clamped)', 10, { start: 8, end: 9 }],
    ['bytes=9-9', 10, { start: 9, end: 9 }],
    ['bytes=0-0', 10, { start: 0, end: 0 }],
    ['bytes=0-99999999999999999999999 (huge end)', 10, { start: 0, end: 9 }],
    [' bytes=1-2 ', 10, { start: 1, end: 2 }],
    ['bytes=5-2 (last before first: ignored)', 10, undefined],
    ['bytes=0-1,3-4 (several ranges: ignored)', 10, undefined],
    ['items=0-1 (other unit: ignored)', 10, undefined],
    ['bytes=- (nothing: ignored)', 10, undefined],
    ['bytes=a-b (not numbers: ignored)', 10, undefined],
    ['bytes=10- (first byte past the end)', 10, '416 InvalidRange'],
    ['bytes=10-20', 10, '416 InvalidRange'],
    ['bytes=99999999999999999999999-', 10, '416 InvalidRange'],
    ['bytes=-0 (empty suffix)', 10, '416 InvalidRange'],
    ['bytes=0- (on an empty object)', 0, '416 InvalidRange'],
    ['bytes=-5 (on an empty object)', 0, '416 InvalidRange'],
  ])('%s', (header, size, expected) => {
    const h = header?.replace(/ \(.*\)$/, '');
    expect(outcome(() => resolveRange(h, size))).toEqual(expected);
  });

  it('416 names the size in Content-Range and the error document', () => {
    try {
      resolveRange('bytes=20-', 10);
    } catch (err) {
      expect((err as S3Error).headers).toEqual({ 'content-range': 'bytes */10' });
      expect((err as S3Error).elements).toMatchObject({ RangeRequested: 'bytes=20-', ActualObjectSize: 10 });
      return;
    }
    throw new Error('expected InvalidRange');
  });
});

describe('evaluateReadConditions (S3 precedence, RFC 9110 §13.2.2)', () => {
  const object = { etag: '"abc"', lastModified: Date.parse('2024-05-01T12:00:00.500Z') };
  const NOW = Date.parse('2025-01-01T00:00:00Z');
  const BEFORE = 'Tue, 30 Apr 2024 00:00:00 GMT';
  const SAME = 'Wed, 01 May 2024 12:00:00 GMT'; // same second as Last-Modified (S3 compares whole seconds)
  const AFTER = 'Thu, 02 May 2024 00:00:00 GMT';
  const FUTURE = 'Fri, 01 Jan 2100 00:00:00 GMT';
  it.each<[string, Record<string, string>, string]>([
    ['no conditions', {}, 'proceed'],
    ['If-Match equal', { 'if-match': '"abc"' }, 'proceed'],
    ['If-Match unquoted', { 'if-match': 'abc' }, 'proceed'],
    ['If-Match in a list', { 'if-match': '"x", "abc"' }, 'proceed'],
    ['If-Match *', { 'if-match': '*' }, 'proceed'],
    ['If-Match other', { 'if-match': '"x"' }, '412 PreconditionFailed If-Match'],
    ['If-Unmodified-Since after', { 'if-unmodified-since': AFTER }, 'proceed'],
    ['If-Unmodified-Since same second', { 'if-unmodified-since': SAME }, 'proceed'],
    ['If-Unmodified-Since before', { 'if-unmodified-since': BEFORE }, '412 PreconditionFailed If-Unmodified-Since'],
    ['If-Unmodified-Since unparseable (ignored)', { 'if-unmodified-since': 'yesterday' }, 'proceed'],
    ['If-None-Match equal', { 'if-none-match': '"abc"' }, 'not-modified'],
    ['If-None-Match *', { 'if-none-match': '*' }, 'not-modified'],
    ['If-None-Match other', { 'if-none-match': '"x"' }, 'proceed'],
    ['If-Modified-Since before', { 'if-modified-since': BEFORE }, 'proceed'],
    ['If-Modified-Since same second', { 'if-modified-since': SAME }, 'not-modified'],
    ['If-Modified-Since after', { 'if-modified-since': AFTER }, 'not-modified'],
    ['If-Modified-Since in the future (ignored)', { 'if-modified-since': FUTURE }, 'proceed'],
    // The documented combinations (API_GetObject.html):
    ['If-Match true + If-Unmodified-Since false → 200', { 'if-match': '"abc"', 'if-unmodified-since': BEFORE }, 'proceed'],
    ['If-None-Match false + If-Modified-Since true → 304', { 'if-none-match': '"abc"', 'if-modified-since': BEFORE }, 'not-modified'],
    ['If-None-Match true + If-Modified-Since false → 200 (If-Modified-Since not looked at)', { 'if-none-match': '"x"', 'if-modified-since': AFTER }, 'proceed'],
    ['If-Match false + If-None-Match false → 412 first', { 'if-match': '"x"', 'if-none-match': '"abc"' }, '412 PreconditionFailed If-Match'],
    [
      'If-Unmodified-Since false + If-Modified-Since false → 412 first',
      { 'if-unmodified-since': BEFORE, 'if-modified-since': AFTER },
      '412 PreconditionFailed If-Unmodified-Since',
    ],
    ['If-Match true + If-None-Match false → 304', { 'if-match': '"abc"', 'if-none-match': '"abc"' }, 'not-modified'],
    ['empty If-Match is absent', { 'if-match': '' }, 'proceed'],
  ])('%s', (_what, headers, expected) => {
    expect(outcome(() => evaluateReadConditions(headers, object, NOW))).toBe(expected);
  });
});

describe('evaluateWriteConditions (conditional writes)', () => {
  it.each<[string, Record<string, string>, { etag: string } | undefined, unknown]>([
    ['If-None-Match * on a new key', { 'if-none-match': '*' }, undefined, undefined],
    ['If-None-Match * on an existing key', { 'if-none-match': '*' }, { etag: '"a"' }, '412 PreconditionFailed If-None-Match'],
    ['If-None-Match with an ETag', { 'if-none-match': '"a"' }, { etag: '"a"' }, '501 NotImplemented'],
    ['If-Match equal', { 'if-match': '"a"' }, { etag: '"a"' }, undefined],
    ['If-Match other', { 'if-match': '"b"' }, { etag: '"a"' }, '412 PreconditionFailed If-Match'],
    ['If-Match on a missing key', { 'if-match': '"a"' }, undefined, '404 NoSuchKey'],
  ])('%s', (_what, headers, current, expected) => {
    expect(outcome(() => evaluateWriteConditions(headers, current))).toEqual(expected);
  });
});
