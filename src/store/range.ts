// Embedded store, GetObject/HeadObject: the Range header → the bytes to send (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, RFC 9110 §14); pure.
import { S3Error } from '../s3/errors.js';

export type ByteSpan = { start: number; end: number };

/** undefined: send the whole object (200); a span: send it as 206 with Content-Range. */
export type RangeResult = ByteSpan | undefined;

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

function unsatisfiable(header: string, size: number): S3Error {
  return new S3Error('InvalidRange', undefined, { RangeRequested: header, ActualObjectSize: size }, { headers: { 'content-range': `bytes */${size}` } });
}

/** A decimal that may not fit a double: anything past 2^53 counts as "beyond every object". */
function offset(digits: string): number {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/**
 * S3 serves one range per request. A header it cannot read as one (several ranges, other units, last < first)
 * is ignored as RFC 9110 §14.2 allows, and the whole object goes out with 200. A syntactically valid range
 * that starts at or past the end, or a zero-length suffix, is 416 InvalidRange; an end past the object is
 * clamped, and a suffix longer than the object means all of it.
 */
export function resolveRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return undefined;
  const m = SINGLE_RANGE.exec(header.trim());
  if (!m) return undefined;
  const [, first, last] = m as unknown as [string, string, string];
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = offset(last);
    if (suffix === 0 || size === 0) throw unsatisfiable(header, size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = offset(first);
  if (last !== '' && offset(last) < start) return undefined;
  if (start >= size) throw unsatisfiable(header, size);
  const end = last === '' ? size - 1 : Math.min(offset(last), size - 1);
  return { start, end };
}
