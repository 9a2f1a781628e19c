// Embedded store, GetObject/HeadObject: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since → proceed, 304 or 412; pure.
import { S3Error } from '../s3/errors.js';
import { etagListMatches } from '../s3/etag.js';
import { parseHttpDate } from '../s3/dates.js';

/** Request headers as parse/request.ts gives them: repeated ETag headers are one comma list. */
type Headers = Readonly<Record<string, string | undefined>>;

/** A header's value, trimmed; empty counts as absent. */
function value(headers: Headers, name: string): string | undefined {
  const v = headers[name]?.trim();
  return v === '' ? undefined : v;
}

const failed = (condition: string): S3Error => new S3Error('PreconditionFailed', undefined, { Condition: condition });

/** HTTP dates have whole seconds; S3 keeps milliseconds: compare in seconds. */
const seconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * The order of RFC 9110 §13.2.2, which is also S3's documented precedence
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "If-Match" … "If-Unmodified-Since"):
 *   1. If-Match false → 412 (and If-Unmodified-Since is not looked at when If-Match is present);
 *   2. else If-Unmodified-Since: modified after the date → 412;
 *   3. If-None-Match matches → 304 (and If-Modified-Since is not looked at when If-None-Match is present);
 *   4. else If-Modified-Since: not modified since the date → 304.
 * Unparseable dates, and an If-Modified-Since in the future, are ignored (RFC 9110 §13.1.3, §13.1.4).
 * Returns 'not-modified' for 304, throws PreconditionFailed for 412.
 */
export function evaluateReadConditions(headers: Headers, object: { etag: string; lastModified: number }, now: number = Date.now()): 'proceed' | 'not-modified' {
  const modified = seconds(object.lastModified);
  const ifMatch = value(headers, 'if-match');
  const ifUnmodifiedSince = value(headers, 'if-unmodified-since');
  const ifNoneMatch = value(headers, 'if-none-match');
  const ifModifiedSince = value(headers, 'if-modified-since');

  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, object.etag)) throw failed('If-Match');
  } else if (ifUnmodifiedSince !== undefined) {
    const since = parseHttpDate(ifUnmodifiedSince);
    if (since !== undefined && modified > seconds(since)) throw failed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, object.etag)) return 'not-modified';
  } else if (ifModifiedSince !== undefined) {
    const since = parseHttpDate(ifModifiedSince);
    if (since !== undefined && since <= now && modified <= seconds(since)) return 'not-modified';
  }
  return 'proceed';
}

/**
 * Conditional writes (PutObject, CompleteMultipartUpload): If-None-Match: * refuses to overwrite, If-Match
 * demands the current ETag (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
 * `current` is the object at commit time, undefined when there is none.
 */
export function evaluateWriteConditions(headers: Headers, current: { etag: string } | undefined): void {
  const ifNoneMatch = value(headers, 'if-none-match');
  const ifMatch = value(headers, 'if-match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch !== '*') throw new S3Error('NotImplemented', 'If-None-Match on a write only supports "*".');
    if (current !== undefined) throw failed('If-None-Match');
  }
  if (ifMatch !== undefined) {
    if (current === undefined) throw new S3Error('NoSuchKey');
    if (!etagListMatches(ifMatch, current.etag)) throw failed('If-Match');
  }
}
