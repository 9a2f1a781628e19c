// parseS3Request: first pipeline stage; the raw request → one canonical description of what the backend will be asked to do (no I/O).
import { parseCopySource, parseCopySourceRange, type CopySource } from '../s3/copy-source.js';
import { S3Error } from '../s3/errors.js';
import { assertBucketName, assertToken, parsePartNumber } from '../s3/names.js';
import { decodeComponent } from '../s3/uri.js';
import { classifyOperation, S3_METHODS, type Level, type Method, type OperationSpec } from '../s3/operations.js';

/**
 * The effective request (security.md §2): every later stage (authentication aside, which reads the raw request)
 * decides and forwards from this, never from the raw request again.
 */
export interface S3Request {
  method: Method;
  /** Path exactly as received (before any decoding), e.g. "/bucket/a%20b": for signature checks only. */
  rawPath: string;
  /** Query exactly as received, without the "?": for signature checks only. */
  rawQuery: string;
  /** Client-visible bucket, undefined for service-level requests (ListBuckets). */
  bucket: string | undefined;
  /** Decoded object key (percent-decoded once; "+" stays "+"; no dot-segment normalisation). */
  key: string | undefined;
  virtualHosted: boolean;
  /** The AWS operation name. */
  operation: string;
  spec: OperationSpec;
  /** The query the backend receives: this operation's subresources and parameters, decoded, in wire order, each once. */
  params: Array<[string, string]>;
  /** The value of each of those. */
  query: ReadonlyMap<string, string>;
  /**
   * Request headers as S3 reads them: lower-case names, repeats joined with ",", and a presigned URL's x-amz-*
   * query parameters hoisted in. Not yet filtered to what was signed: see authenticatedHeaders.
   */
  headers: Record<string, string>;
  /** Header names that came from the query (presigned x-amz-* parameters): signed as part of the query. */
  hoisted: string[];
  /** From x-amz-copy-source, header or presigned query (CopyObject, UploadPartCopy only). */
  copySource?: CopySource;
  partNumber?: number;
  uploadId?: string;
  versionId?: string;
}

export interface ParseOptions {
  virtualHostSuffixes: readonly string[];
}

/** Percent-decodes once (sigv4.md §3.2 step 4); "+" is literal. Bad escapes or UTF-8 → InvalidURI. */
export function decodePathComponent(s: string): string {
  const out = decodeComponent(s, false);
  if (out === undefined) throw new S3Error('InvalidURI');
  return out;
}

/** Query names/values: "+" is a space in hand-made URLs (sigv4.md §3.3 step 2). */
export function decodeQueryParam(s: string): string {
  const out = decodeComponent(s, true);
  if (out === undefined) throw new S3Error('InvalidURI');
  return out;
}

export function parseQuery(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (!rawQuery) return pairs;
  for (const piece of rawQuery.split('&')) {
    if (!piece) continue;
    const eq = piece.indexOf('=');
    const name = eq < 0 ? piece : piece.slice(0, eq);
    const value = eq < 0 ? '' : piece.slice(eq + 1);
    pairs.push([decodeQueryParam(name), decodeQueryParam(value)]);
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

function bucketFromHost(host: string | undefined, suffixes: readonly string[]): string | undefined {
  if (!host || suffixes.length === 0) return undefined;
  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  for (const suffix of suffixes) {
    const s = suffix.toLowerCase();
    if (hostname.length > s.length + 1 && hostname.endsWith('.' + s)) return hostname.slice(0, -(s.length + 1));
  }
  return undefined;
}

/** Query parameters that belong to presigning itself: never hoisted into headers, never forwarded (sigv4.md §7). */
const PRESIGN_PARAMS = new Set([
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-signedheaders',
  'x-amz-signature',
  'x-amz-security-token',
  'x-amz-content-sha256',
]);

/** Lower-case header map from Node's rawHeaders, repeats joined with "," as HTTP allows. */
export function headerMap(rawHeaders: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  return out;
}

/**
 * S3 treats a presigned URL's x-amz-* query parameters as request headers (security.md §2.1): hoisted here, once,
 * so that classification and authorization see them (a copy source in the query is a copy source). A query value
 * that contradicts a header of the same name is refused rather than guessed at.
 */
function hoist(headers: Record<string, string>, pairs: ReadonlyArray<[string, string]>): string[] {
  const hoisted: string[] = [];
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (!lower.startsWith('x-amz-') || PRESIGN_PARAMS.has(lower)) continue;
    const present = headers[lower];
    if (present !== undefined && present !== value) {
      throw new S3Error('InvalidArgument', `${lower} is given both as a header and as a query parameter, with different values.`, { ArgumentName: lower });
    }
    headers[lower] = value;
    hoisted.push(lower);
  }
  return hoisted;
}

export interface RawRequest {
  method: string;
  url: string;
  rawHeaders: readonly string[];
}

export function parseS3Request(raw: RawRequest, opts: ParseOptions): S3Request {
  const method = raw.method.toUpperCase();
  if (!(S3_METHODS as readonly string[]).includes(method)) {
    throw new S3Error('MethodNotAllowed', undefined, { Method: method, ResourceType: 'OBJECT' }, { headers: { allow: S3_METHODS.join(', ') } });
  }
  const { rawPath, rawQuery } = splitTarget(raw.url);
  if (!rawPath.startsWith('/')) throw new S3Error('InvalidURI');
  const pairs = parseQuery(rawQuery);
  const headers = headerMap(raw.rawHeaders);
  const hoisted = hoist(headers, pairs);

  let bucket: string | undefined;
  let key: string | undefined;
  const hostBucket = bucketFromHost(headers.host, opts.virtualHostSuffixes);
  if (hostBucket !== undefined) {
    bucket = hostBucket;
    key = rawPath.length > 1 ? decodePathComponent(rawPath.slice(1)) : undefined;
  } else {
    const rest = rawPath.slice(1);
    const slash = rest.indexOf('/');
    const rawBucket = slash < 0 ? rest : rest.slice(0, slash);
    // "//k" names no bucket: it is not a service-level request either.
    if (rawBucket === '' && rest !== '') throw new S3Error('InvalidURI');
    bucket = rawBucket ? decodePathComponent(rawBucket) : undefined;
    if (slash >= 0) {
      const rawKey = rest.slice(slash + 1);
      key = rawKey ? decodePathComponent(rawKey) : undefined;
    }
  }
  if (bucket !== undefined) assertBucketName(bucket);

  const level: Level = bucket === undefined ? 'service' : key === undefined ? 'bucket' : 'object';
  const names = new Set(pairs.map(([n]) => n));
  const query0 = new Map<string, string>();
  for (const [n, v] of pairs) if (!query0.has(n)) query0.set(n, v);
  const copyHeader = headers['x-amz-copy-source'];
  const spec = classifyOperation(method as Method, level, names, copyHeader !== undefined, query0.get('list-type'));

  // The backend gets this operation's subresources and parameters only, each once (security.md §2.2): stores
  // disagree on which of several values counts (first, last, or all joined), so the value checked below must
  // be the only one.
  const allowed = new Set([...spec.sub, ...spec.params]);
  const params = pairs.filter(([n]) => allowed.has(n));
  const query = new Map<string, string>();
  for (const [n, v] of params) {
    if (query.has(n)) throw new S3Error('InvalidArgument', `The query parameter "${n}" may be given only once.`, { ArgumentName: n });
    query.set(n, v);
  }

  const request: S3Request = {
    method: method as Method,
    rawPath,
    rawQuery,
    bucket,
    key,
    virtualHosted: hostBucket !== undefined,
    operation: spec.name,
    spec,
    params,
    query,
    headers,
    hoisted,
  };
  const uploadId = query.get('uploadId');
  if (uploadId !== undefined) {
    assertToken(uploadId, 'uploadId');
    request.uploadId = uploadId;
  }
  const versionId = query.get('versionId');
  if (versionId !== undefined) {
    assertToken(versionId, 'versionId');
    request.versionId = versionId;
  }
  if (query.has('partNumber')) request.partNumber = parsePartNumber(query.get('partNumber'));
  if (spec.copy) {
    const source = parseCopySource(copyHeader!);
    request.copySource = source;
    const range = headers['x-amz-copy-source-range'];
    // Checked here for native copies too: a backend must never be handed a range S3 would refuse (security.md §2.3).
    if (range !== undefined && spec.name === 'UploadPartCopy') parseCopySourceRange(range);
  }
  return request;
}
