// Header policy for forwarding: what leaves the client's request and the backend's response (sigv4.md §11).

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus ones the HTTP client sets itself. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length', 'expect',
]);

/** The client's own authentication and SDK bookkeeping: never forwarded, the backend gets our signature. */
const CLIENT_ONLY = new Set([
  'authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256',
  'x-amz-user-agent', 'user-agent', 'amz-sdk-invocation-id', 'amz-sdk-request', 'date',
  // aws-chunked framing headers describe the client's encoding, not the object.
  'x-amz-decoded-content-length', 'x-amz-trailer',
]);

export type HeaderMap = Record<string, string>;

/**
 * Request headers to forward, from Node's rawHeaders (repeats joined with "," as HTTP allows).
 * Keeps every S3 semantic header: x-amz-*, Range, If-*, Content-MD5, Content-Type, checksums, metadata.
 */
export function forwardableRequestHeaders(rawHeaders: readonly string[], connectionTokens?: string): HeaderMap {
  const out: HeaderMap = {};
  const dropped = connectionTokens ? new Set(connectionTokens.toLowerCase().split(',').map((s) => s.trim())) : undefined;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || CLIENT_ONLY.has(name) || dropped?.has(name)) continue;
    const value = rawHeaders[i + 1]!;
    out[name] = out[name] === undefined ? value : `${out[name]},${value}`;
  }
  const encoding = out['content-encoding'];
  if (encoding !== undefined && /aws-chunked/i.test(encoding)) {
    // S3 removes aws-chunked and stores the rest as the object's Content-Encoding (aws-chunked.md §2).
    const rest = encoding.split(',').map((s) => s.trim()).filter((s) => s && s.toLowerCase() !== 'aws-chunked');
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
export function sseCustomerHeaders(headers: Record<string, string | string[] | undefined>, prefix = 'x-amz-server-side-encryption-customer-'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const suffix of ['algorithm', 'key', 'key-md5']) {
    const v = headerValue(headers, prefix + suffix);
    if (v !== undefined) out[`x-amz-server-side-encryption-customer-${suffix}`] = v;
  }
  return out;
}
