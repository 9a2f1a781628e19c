// signUpstream: re-signs a request for its backend with SigV4, from the same canonicalisation steps that verify clients (sigv4.md §3–§5); handlers never sign themselves.
import { canonicalHeaderValue, canonicalQuery, canonicalUri, deriveSigningKey, stringToSign, ALGORITHM } from '../auth/sigv4.js';
import { hmacSha256Hex } from '../s3/hash.js';
import type { Backend } from './backends.js';

export interface UnsignedRequest {
  method: string;
  host: string;
  /** Encoded path and query, e.g. "/bucket/a%20b?partNumber=1&uploadId=x". */
  path: string;
  headers: Record<string, string>;
  /** Hex SHA-256 of the body as sent, or UNSIGNED-PAYLOAD (sigv4.md §11 item 5). */
  payloadHash: string;
}

/** Headers a proxy on the way may add or change; left out of the signature as the AWS SDKs leave them out. */
const UNSIGNED = new Set(['authorization', 'connection', 'expect', 'user-agent', 'x-amzn-trace-id', 'range']);

/** kSigning per backend for the current UTC day: derived once a day, not per request (sigv4.md §5). */
const signingKeys = new WeakMap<Backend, { date: string; key: Buffer }>();

function signingKey(backend: Backend, date: string): Buffer {
  const cached = signingKeys.get(backend);
  if (cached?.date === date) return cached.key;
  const key = deriveSigningKey(backend.credentials.secretAccessKey, date, backend.region, 's3');
  signingKeys.set(backend, { date, key });
  return key;
}

// The timestamp changes once a second: format it once a second.
let stampSecond = -1;
let stamp = '';
function amzDate(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== stampSecond) {
    stampSecond = second;
    stamp = new Date(second * 1000)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
  }
  return stamp;
}

/**
 * Returns the path and the headers to send (`req.headers`, completed in place) with x-amz-date, x-amz-content-sha256,
 * the session token if any, and Authorization over every header sent but the few a proxy may touch.
 */
export function signUpstream(backend: Backend, req: UnsignedRequest): { path: string; headers: Record<string, string> } {
  const timestamp = amzDate(Date.now());
  const date = timestamp.slice(0, 8);
  // The caller hands the headers over (upstream/client.ts copies them once per call): filled in place.
  const headers = req.headers;
  headers.host = req.host;
  headers['x-amz-date'] = timestamp;
  headers['x-amz-content-sha256'] = req.payloadHash;
  const token = backend.credentials.sessionToken;
  if (token) headers['x-amz-security-token'] = token;
  const names = Object.keys(headers)
    .map((n) => n.toLowerCase())
    .filter((n) => !UNSIGNED.has(n))
    .sort();
  let canonicalHeaders = '';
  for (const name of names) canonicalHeaders += `${name}:${canonicalHeaderValue(headers[name]!)}\n`;
  const signedHeaders = names.join(';');
  const q = req.path.indexOf('?');
  const rawPath = q < 0 ? req.path : req.path.slice(0, q);
  const rawQuery = q < 0 ? '' : req.path.slice(q + 1);
  const canonical = `${req.method}\n${canonicalUri(rawPath)}\n${canonicalQuery(rawQuery, false)}\n${canonicalHeaders}\n${signedHeaders}\n${req.payloadHash}`;
  const scope = `${date}/${backend.region}/s3/aws4_request`;
  const signature = hmacSha256Hex(signingKey(backend, date), stringToSign(timestamp, scope, canonical));
  headers.authorization = `${ALGORITHM} Credential=${backend.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { path: req.path, headers };
}
