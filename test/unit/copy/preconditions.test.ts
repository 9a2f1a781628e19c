// Unit tests for x-amz-copy-source-if-* evaluation (src/copy/preconditions.ts), driven by test/fixtures/s3-copy/cases.json.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { copyPreconditionsFrom, evaluateCopyPreconditions, type CopyPreconditions } from '../../../src/s3/copy-preconditions.js';
import { headerMap } from '../../../src/parse/request.js';
import { parseHttpDate as httpDate, parseIsoDateTime } from '../../../src/s3/dates.js';
import { etagListMatches } from '../../../src/s3/etag.js';
import { S3Error } from '../../../src/s3/errors.js';

const parseHttpDate = (v: string) => httpDate(v) ?? parseIsoDateTime(v);

interface Failure {
  status: number;
  code: string;
  message: string;
  elements: Record<string, string>;
}
interface Cases {
  preconditions: {
    source: { etag: string; lastModified: string };
    cases: { headers: Record<string, string>; expect: 'copy' | Failure; note?: string }[];
  };
}
const cases = JSON.parse(readFileSync(new URL('../../fixtures/s3-copy/cases.json', import.meta.url), 'utf8')) as Cases;
const fixtureSource = { etag: cases.preconditions.source.etag, lastModified: new Date(cases.preconditions.source.lastModified) };
const NOW = new Date('2025-06-01T00:00:00Z');
const MESSAGE = 'At least one of the pre-conditions you specified did not hold';

/** 'copy' or the <Condition> of the 412. */
function outcome(p: CopyPreconditions, source = fixtureSource, now = NOW): string {
  try {
    evaluateCopyPreconditions(p, source, now);
    return 'copy';
  } catch (err) {
    if (!(err instanceof S3Error)) throw err;
    expect(err.code).toBe('PreconditionFailed');
    expect(err.status).toBe(412);
    expect(err.message).toBe(MESSAGE);
    return String(err.elements.Condition);
  }
}

describe('fixture cases', () => {
  it.each(cases.preconditions.cases.map((c) => [JSON.stringify(c.headers), c] as const))('%s', (_name, c) => {
    const p = copyPreconditionsFrom(c.headers);
    if (c.expect === 'copy') {
      expect(() => evaluateCopyPreconditions(p, fixtureSource, NOW)).not.toThrow();
      return;
    }
    let err: unknown;
    try {
      evaluateCopyPreconditions(p, fixtureSource, NOW);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(S3Error);
    const e = err as S3Error;
    expect({ status: e.status, code: e.code, message: e.message }).toEqual({ status: c.expect.status, code: c.expect.code, message: c.expect.message });
    expect(e.elements).toEqual(c.expect.elements);
  });
});

// Source of the fixture: "9b2c…" last modified 2013-05-24T10:20:30.456Z.
const ETAG = '"9b2cf535f27731c974343645a3985328"';
const OTHER = '"00000000000000000000000000000000"';
const BEFORE = 'Thu, 23 May 2013 00:00:00 GMT';
const AFTER = 'Sat, 25 May 2013 00:00:00 GMT';
// Truth values of each header against the fixture source.
const IF_MATCH = { true: ETAG, false: OTHER };
const IF_UNMODIFIED_SINCE = { true: AFTER, false: BEFORE }; // true: Last-Modified <= date
const IF_NONE_MATCH = { true: OTHER, false: ETAG };
const IF_MODIFIED_SINCE = { true: BEFORE, false: AFTER }; // true: Last-Modified > date

type T = boolean | undefined;
function build(im: T, ius: T, inm: T, ims: T): CopyPreconditions {
  const p: CopyPreconditions = {};
  if (im !== undefined) p.ifMatch = IF_MATCH[`${im}`];
  if (ius !== undefined) p.ifUnmodifiedSince = IF_UNMODIFIED_SINCE[`${ius}`];
  if (inm !== undefined) p.ifNoneMatch = IF_NONE_MATCH[`${inm}`];
  if (ims !== undefined) p.ifModifiedSince = IF_MODIFIED_SINCE[`${ims}`];
  return p;
}

describe('copy-semantics.md §4 combination table', () => {
  const ifMatch = 'x-amz-copy-source-If-Match';
  const ifUnmodified = 'x-amz-copy-source-If-Unmodified-Since';
  const ifNoneMatch = 'x-amz-copy-source-If-None-Match';
  const ifModified = 'x-amz-copy-source-If-Modified-Since';
  it.each<[T, T, T, T, string]>([
    [true, false, undefined, undefined, 'copy'], // AWS documented
    [true, true, undefined, undefined, 'copy'],
    [false, undefined, undefined, undefined, ifMatch],
    [false, true, undefined, undefined, ifMatch],
    [false, false, undefined, undefined, ifMatch],
    [undefined, false, undefined, undefined, ifUnmodified],
    [undefined, true, undefined, undefined, 'copy'],
    [undefined, undefined, false, true, ifNoneMatch], // AWS documented
    [undefined, undefined, false, false, ifNoneMatch],
    [undefined, undefined, true, false, 'copy'], // if-modified-since ignored next to if-none-match
    [undefined, undefined, true, true, 'copy'],
    [undefined, undefined, undefined, false, ifModified],
    [undefined, undefined, undefined, true, 'copy'],
    [true, undefined, false, undefined, ifNoneMatch],
    [true, undefined, true, undefined, 'copy'],
    [true, true, true, true, 'copy'],
    [false, false, false, false, ifMatch],
    [true, false, false, true, ifNoneMatch],
    [undefined, false, true, undefined, ifUnmodified],
    [undefined, true, undefined, false, ifModified],
    [undefined, undefined, undefined, undefined, 'copy'],
  ])('if-match %s, if-unmodified-since %s, if-none-match %s, if-modified-since %s → %s', (im, ius, inm, ims, want) => {
    expect(outcome(build(im, ius, inm, ims))).toBe(want);
  });
});

describe('ETag comparison', () => {
  it.each([
    [ETAG, true],
    ['9b2cf535f27731c974343645a3985328', true],
    ['W/"9b2cf535f27731c974343645a3985328"', true],
    ['  "9b2cf535f27731c974343645a3985328"  ', true],
    ['"9B2CF535F27731C974343645A3985328"', false], // hex is compared case-sensitively
    ['"9b2cf535f27731c974343645a398532"', false],
    [`${OTHER}, ${ETAG}`, true],
    [`${OTHER},9b2cf535f27731c974343645a3985328`, true],
    [`${OTHER}, "11111111111111111111111111111111"`, false],
    ['*', true],
    [`${OTHER}, *`, true],
    [', ,', false],
  ])('%j matches the source: %s', (list, want) => {
    expect(etagListMatches(list, ETAG)).toBe(want);
    expect(outcome({ ifMatch: list })).toBe(want ? 'copy' : 'x-amz-copy-source-If-Match');
    expect(outcome({ ifNoneMatch: list })).toBe(want ? 'x-amz-copy-source-If-None-Match' : 'copy');
  });

  it.each([['9b2cf535f27731c974343645a3985328'], ['W/"9b2cf535f27731c974343645a3985328"']])('source ETag %j compares the same as the quoted one', (etag) => {
    expect(outcome({ ifMatch: ETAG }, { etag, lastModified: fixtureSource.lastModified })).toBe('copy');
  });

  it('compares multipart ETags whole', () => {
    const source = { etag: '"88fc978485924ccd87ceb19c90195b35-2"', lastModified: fixtureSource.lastModified };
    expect(outcome({ ifMatch: '88fc978485924ccd87ceb19c90195b35-2' }, source)).toBe('copy');
    expect(outcome({ ifMatch: '88fc978485924ccd87ceb19c90195b35' }, source)).toBe('x-amz-copy-source-If-Match');
  });
});

describe('dates at one-second resolution', () => {
  const at = (iso: string) => ({ etag: ETAG, lastModified: new Date(iso) });
  const SECOND = 'Fri, 24 May 2013 10:20:30 GMT';
  it.each([
    ['2013-05-24T10:20:30.000Z', 'copy', 'x-amz-copy-source-If-Modified-Since'],
    ['2013-05-24T10:20:30.001Z', 'copy', 'x-amz-copy-source-If-Modified-Since'],
    ['2013-05-24T10:20:30.999Z', 'copy', 'x-amz-copy-source-If-Modified-Since'],
    ['2013-05-24T10:20:29.999Z', 'copy', 'x-amz-copy-source-If-Modified-Since'],
    ['2013-05-24T10:20:31.000Z', 'x-amz-copy-source-If-Unmodified-Since', 'copy'],
  ])('Last-Modified %s against %s', (lastModified, unmodified, modified) => {
    expect(outcome({ ifUnmodifiedSince: SECOND }, at(lastModified))).toBe(unmodified);
    expect(outcome({ ifModifiedSince: SECOND }, at(lastModified))).toBe(modified);
  });

  it.each([
    'not a date',
    '',
    '1',
    '2013',
    'Fri, 32 May 2013 10:20:30 GMT',
    'Fri, 31 Feb 2013 10:20:30 GMT',
    'Fri, 24 May 2013 25:20:30 GMT',
    'Fri, 24 Foo 2013 10:20:30 GMT',
    '2013-05-24T10:20:30',
    'Fri, 24 May 2013 10:20:30 PST',
  ])('unparseable date %j is ignored', (date) => {
    expect(parseHttpDate(date)).toBeUndefined();
    // Both would fail the copy were the date read as anything near the source's time.
    expect(outcome({ ifUnmodifiedSince: date }, at('2030-01-01T00:00:00Z'), new Date('2031-01-01T00:00:00Z'))).toBe('copy');
    expect(outcome({ ifModifiedSince: date }, at('1990-01-01T00:00:00Z'))).toBe('copy');
  });

  it.each([
    ['Fri, 24 May 2013 10:20:30 GMT', '2013-05-24T10:20:30.000Z'],
    ['Friday, 24-May-13 10:20:30 GMT', '2013-05-24T10:20:30.000Z'],
    ['Fri May 24 10:20:30 2013', '2013-05-24T10:20:30.000Z'],
    ['Fri May  4 10:20:30 2013', '2013-05-04T10:20:30.000Z'],
    ['2013-05-24T10:20:30.456Z', '2013-05-24T10:20:30.456Z'],
    ['2013-05-24T12:20:30+02:00', '2013-05-24T10:20:30.000Z'],
    ['Sunday, 06-Nov-94 08:49:37 GMT', '1994-11-06T08:49:37.000Z'],
  ])('reads %j', (date, iso) => {
    expect(new Date(parseHttpDate(date)!).toISOString()).toBe(iso);
  });

  it('ignores an if-modified-since later than now, but not an if-unmodified-since', () => {
    const source = at('2013-05-24T10:20:30.456Z');
    const now = new Date('2013-05-24T12:00:00Z');
    const future = 'Sat, 25 May 2013 00:00:00 GMT';
    expect(outcome({ ifModifiedSince: future }, source, now)).toBe('copy');
    expect(outcome({ ifModifiedSince: future }, source, new Date('2013-05-26T00:00:00Z'))).toBe('x-amz-copy-source-If-Modified-Since');
    expect(outcome({ ifUnmodifiedSince: 'Thu, 23 May 2013 00:00:00 GMT' }, source, now)).toBe('x-amz-copy-source-If-Unmodified-Since');
  });
});

describe('copyPreconditionsFrom', () => {
  it('reads the four copy-source headers and nothing else', () => {
    expect(
      copyPreconditionsFrom({
        'x-amz-copy-source-if-match': ETAG,
        'x-amz-copy-source-if-none-match': OTHER,
        'x-amz-copy-source-if-modified-since': BEFORE,
        'x-amz-copy-source-if-unmodified-since': AFTER,
        'if-match': OTHER,
        'if-none-match': '*',
        'x-amz-copy-source': 'src/k',
      }),
    ).toStrictEqual({ ifMatch: ETAG, ifNoneMatch: OTHER, ifModifiedSince: BEFORE, ifUnmodifiedSince: AFTER });
  });

  it('repeated ETag headers (joined by the parse stage) form one list', () => {
    const p = copyPreconditionsFrom(
      headerMap(['x-amz-copy-source-if-match', OTHER, 'x-amz-copy-source-if-match', ETAG, 'x-amz-copy-source-if-unmodified-since', AFTER]),
    );
    expect(p).toStrictEqual({ ifMatch: `${OTHER},${ETAG}`, ifUnmodifiedSince: AFTER });
    expect(outcome(p)).toBe('copy');
  });

  it('treats missing and empty headers as absent', () => {
    expect(copyPreconditionsFrom({})).toStrictEqual({});
    expect(
      copyPreconditionsFrom({ 'x-amz-copy-source-if-match': '', 'x-amz-copy-source-if-none-match': '  ', 'x-amz-copy-source-if-modified-since': undefined }),
    ).toStrictEqual({});
  });
});
