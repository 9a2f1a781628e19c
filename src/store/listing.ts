// Embedded store, listings: one page of keys from a sorted list (prefix, delimiter, marker, max-keys) and the encodings S3 uses in list results; pure.
import { S3Error } from '../s3/errors.js';

/** Anything listed by key; keyBytes is the key's UTF-8, the order S3 lists in. */
export interface Keyed {
  key: string;
  keyBytes: Buffer;
}

export interface PageParams {
  prefix: string;
  delimiter?: string;
  /** Exclusive: only keys (and common prefixes) after this one (marker, start-after, continuation token). */
  after?: string;
  maxKeys: number;
}

export interface Page<T extends Keyed> {
  contents: T[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix on the page: where the next page starts (NextMarker, continuation token). */
  last?: string;
}

export function utf8(key: string): Buffer {
  return Buffer.from(key, 'utf8');
}

/** First index whose key is >= bytes (UTF-8 binary order). */
export function lowerBound(sorted: readonly Keyed[], bytes: Buffer): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(sorted[mid]!.keyBytes, bytes) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The smallest byte string greater than every string that starts with `prefix`; undefined if there is none. */
export function prefixSuccessor(prefix: Buffer): Buffer | undefined {
  let end = prefix.length;
  while (end > 0 && prefix[end - 1] === 0xff) end--;
  if (end === 0) return undefined;
  const out = Buffer.from(prefix.subarray(0, end));
  out[end - 1]! += 1;
  return out;
}

/** First index after everything that starts with `prefix`. */
function skipPrefix(sorted: readonly Keyed[], prefix: string): number {
  const next = prefixSuccessor(utf8(prefix));
  return next === undefined ? sorted.length : lowerBound(sorted, next);
}

/**
 * One page as ListObjects/ListObjectsV2 define it (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html):
 * keys under `prefix`, those containing `delimiter` after the prefix rolled up into one common prefix each,
 * keys and common prefixes together counting against maxKeys. A common prefix at or before `after` was on an
 * earlier page, so its keys are skipped rather than rolled up again.
 */
export function listPage<T extends Keyed>(sorted: readonly T[], p: PageParams): Page<T> {
  const page: Page<T> = { contents: [], commonPrefixes: [], truncated: false };
  const afterBytes = p.after === undefined ? undefined : utf8(p.after);
  const prefixBytes = utf8(p.prefix);
  let i = lowerBound(sorted, prefixBytes);
  if (afterBytes !== undefined && Buffer.compare(afterBytes, prefixBytes) >= 0) {
    i = Math.max(i, lowerBound(sorted, afterBytes));
    if (i < sorted.length && sorted[i]!.keyBytes.equals(afterBytes)) i++;
  }
  const inPrefix = (k: number): boolean => k < sorted.length && sorted[k]!.key.startsWith(p.prefix);
  let count = 0;
  while (inPrefix(i)) {
    const item = sorted[i]!;
    const at = p.delimiter ? item.key.indexOf(p.delimiter, p.prefix.length) : -1;
    if (at >= 0) {
      const common = item.key.slice(0, at + p.delimiter!.length);
      const next = skipPrefix(sorted, common);
      if (afterBytes !== undefined && Buffer.compare(utf8(common), afterBytes) <= 0) {
        i = next;
        continue;
      }
      if (count === p.maxKeys) break;
      page.commonPrefixes.push(common);
      page.last = common;
      i = next;
    } else {
      if (count === p.maxKeys) break;
      page.contents.push(item);
      page.last = item.key;
      i++;
    }
    count++;
  }
  page.truncated = count === p.maxKeys && inPrefix(i) && p.maxKeys > 0;
  return page;
}

/** max-keys / max-uploads / max-parts: 0…1000 (larger values are capped, as S3 does); default 1000. */
export function parseMaxKeys(value: string | undefined, name = 'max-keys'): number {
  if (value === undefined) return 1000;
  if (!/^\d+$/.test(value)) {
    throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`, { ArgumentName: name, ArgumentValue: value });
  }
  return Math.min(1000, Number(value));
}

/** encoding-type: only "url" exists (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html#API_ListObjectsV2_RequestSyntax). */
export function parseEncodingType(value: string | undefined): 'url' | undefined {
  if (value === undefined) return undefined;
  if (value.toLowerCase() === 'url') return 'url';
  throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: value });
}

/**
 * EncodingType=url as S3 writes it: form encoding (space → "+", so clients decode with unquote_plus, as botocore
 * does), but "/" and "*" left as they are and "~" encoded. MinIO documents the same rules (cmd/api-utils.go s3URLEncode).
 */
export function s3UrlEncode(value: string): string {
  let out = '';
  for (const byte of utf8(value)) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.*/]/.test(c)) out += c;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** ListObjectsV2 continuation tokens: opaque to clients, here the last key of the previous page. */
export function encodeContinuationToken(lastKey: string): string {
  return Buffer.from(`k:${lastKey}`, 'utf8').toString('base64url');
}

export function decodeContinuationToken(token: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!text.startsWith('k:') || encodeContinuationToken(text.slice(2)) !== token) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  }
  return text.slice(2);
}
