// x-amz-copy-source-if-* evaluation (copy-semantics.md §4), pure: used by the copy handlers after the source HEAD and by the embedded store.
import { S3Error } from './errors.js';

export interface CopyPreconditions {
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/** <Condition> values, spelled as AWS (and LocalStack, which mirrors it) report them. */
const CONDITION = {
  ifMatch: 'x-amz-copy-source-If-Match',
  ifNoneMatch: 'x-amz-copy-source-If-None-Match',
  ifModifiedSince: 'x-amz-copy-source-If-Modified-Since',
  ifUnmodifiedSince: 'x-amz-copy-source-If-Unmodified-Since',
} as const;

type Headers = Record<string, string | string[] | undefined>;

/** A header's value; repeated ETag headers form one list, a repeated date keeps the first. Empty counts as absent. */
function headerValue(headers: Headers, name: string, list: boolean): string | undefined {
  const raw = headers[name];
  const value = Array.isArray(raw) ? (list ? raw.join(', ') : raw[0]) : raw;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The four x-amz-copy-source-if-* headers (node:http lower-cases header names). */
export function copyPreconditionsFrom(headers: Headers): CopyPreconditions {
  const p: CopyPreconditions = {};
  const ifMatch = headerValue(headers, 'x-amz-copy-source-if-match', true);
  const ifNoneMatch = headerValue(headers, 'x-amz-copy-source-if-none-match', true);
  const ifModifiedSince = headerValue(headers, 'x-amz-copy-source-if-modified-since', false);
  const ifUnmodifiedSince = headerValue(headers, 'x-amz-copy-source-if-unmodified-since', false);
  if (ifMatch !== undefined) p.ifMatch = ifMatch;
  if (ifNoneMatch !== undefined) p.ifNoneMatch = ifNoneMatch;
  if (ifModifiedSince !== undefined) p.ifModifiedSince = ifModifiedSince;
  if (ifUnmodifiedSince !== undefined) p.ifUnmodifiedSince = ifUnmodifiedSince;
  return p;
}

/** An ETag without the weak prefix and the surrounding quotes: the part S3 compares. */
export function opaqueEtag(etag: string): string {
  let t = etag.trim();
  if (t.startsWith('W/')) t = t.slice(2);
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) t = t.slice(1, -1);
  return t;
}

/** True when a comma list of ETags (or '*', which any existing object matches) names the source's ETag. */
export function etagListMatches(list: string, sourceEtag: string): boolean {
  const want = opaqueEtag(sourceEtag);
  return list
    .split(',')
    .map((item) => item.trim())
    .some((item) => item === '*' || (item !== '' && opaqueEtag(item) === want));
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const IMF_FIXDATE = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function utc(year: number, month: string, day: number, h: number, m: number, s: number): number | undefined {
  const mon = MONTHS.indexOf(month.toLowerCase());
  if (mon < 0 || h > 23 || m > 59 || s > 60) return undefined;
  const t = Date.UTC(year, mon, day, h, m, Math.min(s, 59));
  // Reject overflow such as 31 Feb, which Date.UTC would roll into March.
  return new Date(t).getUTCDate() === day ? t : undefined;
}

/**
 * HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, RFC 850, asctime) or ISO 8601 with a zone, in ms;
 * undefined when it is none of those. Deliberately stricter than Date.parse, which reads "1" as 2001.
 */
export function parseHttpDate(value: string): number | undefined {
  let m = IMF_FIXDATE.exec(value);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = RFC850_DATE.exec(value);
  if (m) {
    const yy = Number(m[3]);
    // Two-digit years: RFC 9110 says pick the most recent past century; 70 is the usual pivot.
    return utc(yy < 70 ? 2000 + yy : 1900 + yy, m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  m = ASCTIME_DATE.exec(value);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), Number(m[3]), Number(m[4]), Number(m[5]));
  if (ISO_DATE.test(value)) {
    const t = Date.parse(value);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/** HTTP dates carry whole seconds while S3 keeps milliseconds: compare in seconds (copy-semantics.md §4). */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function failed(condition: keyof typeof CONDITION): S3Error {
  return new S3Error('PreconditionFailed', undefined, { Condition: CONDITION[condition] });
}

/**
 * Evaluates the source preconditions in RFC 9110 §13.2.2 order, which yields both combination
 * rules AWS documents (copy-semantics.md §4):
 *   1. if-match present: false → 412; true → step 2 skipped
 *   2. else if-unmodified-since: Last-Modified > date → 412
 *   3. if-none-match present: matches → 412; else → step 4 skipped
 *   4. else if-modified-since: Last-Modified <= date → 412
 * A copy never answers 304. Unparseable dates are ignored (HTTP rule), and so is an
 * if-modified-since later than `now` (RFC 9110 §13.1.3; LocalStack does the same).
 * Returns normally when the copy may proceed.
 */
export function evaluateCopyPreconditions(
  p: CopyPreconditions,
  source: { etag: string; lastModified: Date },
  now: Date = new Date(),
): void {
  const modified = seconds(source.lastModified.getTime());

  if (p.ifMatch !== undefined) {
    if (!etagListMatches(p.ifMatch, source.etag)) throw failed('ifMatch');
  } else if (p.ifUnmodifiedSince !== undefined) {
    const since = parseHttpDate(p.ifUnmodifiedSince);
    if (since !== undefined && modified > seconds(since)) throw failed('ifUnmodifiedSince');
  }

  if (p.ifNoneMatch !== undefined) {
    if (etagListMatches(p.ifNoneMatch, source.etag)) throw failed('ifNoneMatch');
  } else if (p.ifModifiedSince !== undefined) {
    const since = parseHttpDate(p.ifModifiedSince);
    if (since !== undefined && since <= now.getTime() && modified <= seconds(since)) throw failed('ifModifiedSince');
  }
}
