// parseS3Request: first pipeline stage; raw request line + Host → bucket, key, query, operation (no I/O).
import { S3Error } from './errors.js';
import { classifyOperation, type QueryParams } from './operations.js';

export interface S3Request {
  method: string;
  /** Path exactly as received (before any decoding), e.g. "/bucket/a%20b". */
  rawPath: string;
  /** Query exactly as received, without the "?". */
  rawQuery: string;
  /** Client-visible bucket, undefined for service-level requests (ListBuckets). */
  bucket: string | undefined;
  /** Decoded object key (percent-decoded once; "+" stays "+"; no dot-segment normalisation). */
  key: string | undefined;
  /** Decoded query parameters in wire order (repeated names kept). */
  queryPairs: Array<[string, string]>;
  /** First value of each query parameter, for lookups. */
  query: QueryParams;
  virtualHosted: boolean;
  operation: string;
}

export interface ParseOptions {
  virtualHostSuffixes: readonly string[];
}

/** Percent-decodes once (sigv4.md §3.2 step 4); "+" is literal. Bad escapes or UTF-8 → InvalidURI. */
export function decodePathComponent(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new S3Error('InvalidURI');
  }
}

/** Query names/values: "+" is a space in hand-made URLs (sigv4.md §3.3 step 2). */
export function decodeQueryComponent(s: string): string {
  const spaced = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new S3Error('InvalidURI');
  }
}

export function parseQuery(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (!rawQuery) return pairs;
  for (const piece of rawQuery.split('&')) {
    if (!piece) continue;
    const eq = piece.indexOf('=');
    const name = eq < 0 ? piece : piece.slice(0, eq);
    const value = eq < 0 ? '' : piece.slice(eq + 1);
    pairs.push([decodeQueryComponent(name), decodeQueryComponent(value)]);
  }
  return pairs;
}

/** Splits a request-target at the first "?" without the WHATWG URL parser, which would collapse dot segments (sigv4.md §3.2 item 5). */
export function splitTarget(url: string): { rawPath: string; rawQuery: string } {
  let target = url;
  // Absolute-form request targets ("GET http://host/path") are legal HTTP/1.1.
  if (!target.startsWith('/')) {
    const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?]*/.exec(target);
    if (!m) throw new S3Error('InvalidURI');
    target = target.slice(m[0].length) || '/';
    if (target.startsWith('?')) target = '/' + target;
  }
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

// Bucket names: AWS's current rules are stricter, but legacy buckets (uppercase, "_") still exist on
// several stores, so accept what some S3 store could have and reject only what no store can.
const BUCKET_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/;

function bucketFromHost(host: string | undefined, suffixes: readonly string[]): string | undefined {
  if (!host || suffixes.length === 0) return undefined;
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  for (const suffix of suffixes) {
    const s = suffix.toLowerCase();
    if (hostname.length > s.length + 1 && hostname.endsWith('.' + s)) return hostname.slice(0, -(s.length + 1));
  }
  return undefined;
}

export function parseS3Request(method: string, url: string, host: string | undefined, hasCopySource: boolean, opts: ParseOptions): S3Request {
  const { rawPath, rawQuery } = splitTarget(url);
  if (!rawPath.startsWith('/')) throw new S3Error('InvalidURI');
  const queryPairs = parseQuery(rawQuery);
  const query = new Map<string, string>();
  for (const [k, v] of queryPairs) if (!query.has(k)) query.set(k, v);

  let bucket: string | undefined;
  let key: string | undefined;
  const hostBucket = bucketFromHost(host, opts.virtualHostSuffixes);
  if (hostBucket !== undefined) {
    bucket = hostBucket;
    key = rawPath.length > 1 ? decodePathComponent(rawPath.slice(1)) : undefined;
  } else {
    const rest = rawPath.slice(1);
    const slash = rest.indexOf('/');
    const rawBucket = slash < 0 ? rest : rest.slice(0, slash);
    bucket = rawBucket ? decodePathComponent(rawBucket) : undefined;
    if (slash >= 0) {
      const rawKey = rest.slice(slash + 1);
      key = rawKey ? decodePathComponent(rawKey) : undefined;
    }
  }
  if (bucket !== undefined && !BUCKET_NAME.test(bucket)) {
    throw new S3Error('InvalidBucketName', undefined, { BucketName: bucket });
  }
  const operation = classifyOperation(method, bucket, key, query, hasCopySource);
  return { method: method.toUpperCase(), rawPath, rawQuery, bucket, key, queryPairs, query, virtualHosted: hostBucket !== undefined, operation };
}
