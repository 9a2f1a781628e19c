// x-amz-copy-source-if-* evaluation, after the source HEAD and before any byte moves (copy-semantics.md §4); pure, shared by copy emulation and the embedded store.
import { parseHttpDate, parseIsoDateTime } from './dates.js';
import { S3Error } from './errors.js';
import { etagListMatches } from './etag.js';

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

/** Request headers as parse/request.ts gives them (repeats joined: repeated ETag headers form one list). */
type Headers = Readonly<Record<string, string | undefined>>;

/** A header's value, trimmed; empty counts as absent. */
function headerValue(headers: Headers, name: string): string | undefined {
  const value = headers[name]?.trim();
  return value === '' ? undefined : value;
}

/** The four x-amz-copy-source-if-* headers (node:http lower-cases header names). */
export function copyPreconditionsFrom(headers: Headers): CopyPreconditions {
  const p: CopyPreconditions = {};
  const ifMatch = headerValue(headers, 'x-amz-copy-source-if-match');
  const ifNoneMatch = headerValue(headers, 'x-amz-copy-source-if-none-match');
  const ifModifiedSince = headerValue(headers, 'x-amz-copy-source-if-modified-since');
  const ifUnmodifiedSince = headerValue(headers, 'x-amz-copy-source-if-unmodified-since');
  if (ifMatch !== undefined) p.ifMatch = ifMatch;
  if (ifNoneMatch !== undefined) p.ifNoneMatch = ifNoneMatch;
  if (ifModifiedSince !== undefined) p.ifModifiedSince = ifModifiedSince;
  if (ifUnmodifiedSince !== undefined) p.ifUnmodifiedSince = ifUnmodifiedSince;
  return p;
}

/** HTTP-date in any of its three forms (http-dates.md), or ISO 8601 with a zone as some clients send; undefined otherwise. */
function parseConditionDate(value: string): number | undefined {
  return parseHttpDate(value) ?? parseIsoDateTime(value);
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
export function evaluateCopyPreconditions(p: CopyPreconditions, source: { etag: string; lastModified: Date }, now: Date = new Date()): void {
  const modified = seconds(source.lastModified.getTime());

  if (p.ifMatch !== undefined) {
    if (!etagListMatches(p.ifMatch, source.etag)) throw failed('ifMatch');
  } else if (p.ifUnmodifiedSince !== undefined) {
    const since = parseConditionDate(p.ifUnmodifiedSince);
    if (since !== undefined && modified > seconds(since)) throw failed('ifUnmodifiedSince');
  }

  if (p.ifNoneMatch !== undefined) {
    if (etagListMatches(p.ifNoneMatch, source.etag)) throw failed('ifNoneMatch');
  } else if (p.ifModifiedSince !== undefined) {
    const since = parseConditionDate(p.ifModifiedSince);
    if (since !== undefined && since <= now.getTime() && modified <= seconds(since)) throw failed('ifModifiedSince');
  }
}
