// Header policy for forwarding: what leaves the client's request and the backend's response (sigv4.md §11, security.md §4).
import { S3Error } from './errors.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus ones the HTTP client sets itself (security.md §4). */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
];

/** The client's own authentication and SDK bookkeeping: never forwarded, the backend gets our signature. */
const CLIENT_ONLY = [
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'x-amz-user-agent',
  'user-agent',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'date',
  // aws-chunked framing headers describe the client's encoding, not the object.
  'x-amz-decoded-content-length',
  'x-amz-trailer',
];

/**
 * Headers that would make a backend (or a proxy in front of it) execute something other than the request we
 * authorized, or trust the client about its origin: never forwarded, even when signed (security.md §4).
 */
const MEANING_CHANGING = [
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-original-url',
  'x-rewrite-url',
  'x-original-method',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-real-ip',
  'via',
  'cookie',
];

const NEVER_FORWARDED = new Set([...HOP_BY_HOP, ...CLIENT_ONLY, ...MEANING_CHANGING]);

/**
 * The short list of HTTP headers S3 reads from a request whether or not they were signed (a presigned URL signs
 * only Host, and a browser adds Content-Type or Range): forwarded signed or not (security.md §4).
 */
export const UNSIGNED_FORWARDABLE: ReadonlySet<string> = new Set([
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-md5',
  'content-type',
  'expires',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-unmodified-since',
  'range',
  'origin',
  'access-control-request-method',
  'access-control-request-headers',
]);

export type HeaderMap = Record<string, string>;

/**
 * What the backend may receive of the client's headers (security.md §4): signed headers (every x-amz-* header is
 * signed, verification enforces it; presigned query parameters hoisted into headers are signed as part of the
 * query) plus UNSIGNED_FORWARDABLE, minus NEVER_FORWARDED. A Connection header that names a signed or x-amz-*
 * header is refused: honouring it would silently drop what the client signed.
 */
/** x-amz-* headers an unsigned request may bring to a backend: reading options, never anything that writes or bills. */
const ANONYMOUS_AMZ = /^x-amz-(checksum-mode|server-side-encryption-customer-(algorithm|key|key-md5)|expected-bucket-owner)$/;

export function authenticatedHeaders(headers: HeaderMap, signed: ReadonlySet<string>, opts: { anonymous?: boolean } = {}): HeaderMap {
  const connection = headers.connection;
  const dropped = new Set<string>();
  if (connection !== undefined) {
    for (const token of connection.toLowerCase().split(',')) {
      const name = token.trim();
      if (!name || name === 'close' || name === 'keep-alive') continue;
      if (signed.has(name) || name.startsWith('x-amz-')) {
        throw new S3Error('InvalidRequest', `The Connection header names "${name}", which is part of the signed request.`, { ArgumentName: 'Connection' });
      }
      dropped.add(name);
    }
  }
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) {
    if (NEVER_FORWARDED.has(name) || dropped.has(name)) continue;
    const amz = name.startsWith('x-amz-');
    if (opts.anonymous ? UNSIGNED_FORWARDABLE.has(name) || ANONYMOUS_AMZ.test(name) : signed.has(name) || amz || UNSIGNED_FORWARDABLE.has(name))
      out[name] = value;
  }
  const encoding = out['content-encoding'];
  if (encoding !== undefined && /aws-chunked/i.test(encoding)) {
    // S3 removes aws-chunked and stores the rest as the object's Content-Encoding (aws-chunked.md §2).
    const rest = encoding
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s && s.toLowerCase() !== 'aws-chunked');
    if (rest.length) out['content-encoding'] = rest.join(',');
    else delete out['content-encoding'];
  }
  return out;
}

/** Response headers from the backend that must not be copied to the client as they are. */
const RESPONSE_HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'trailer', 'upgrade', 'te']);

export function forwardableResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || RESPONSE_HOP_BY_HOP.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** First value of a header from Node's IncomingHttpHeaders. */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * SSE-C headers (algorithm, key, key-md5) found under `prefix` in the client's request, renamed to
 * the plain x-amz-server-side-encryption-customer-* form a backend request needs. With prefix
 * "x-amz-copy-source-server-side-encryption-customer-" they are the keys to read a copy source.
 */
export function sseCustomerHeaders(
  headers: Record<string, string | string[] | undefined>,
  prefix = 'x-amz-server-side-encryption-customer-',
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const suffix of ['algorithm', 'key', 'key-md5']) {
    const v = headerValue(headers, prefix + suffix);
    if (v !== undefined) out[`x-amz-server-side-encryption-customer-${suffix}`] = v;
  }
  return out;
}
