// Request auth, step 8 of verification: the pure SigV4 steps (canonical request, string to sign, signing key) that verify.ts runs per request (sigv4.md §3–§5).
import { createHmac } from 'node:crypto';
import { sha256Hex } from '../s3/hash.js';
import { isUtf8 } from 'node:buffer';
import { S3Error } from '../s3/errors.js';
import { alreadyCanonical, encodeBytes, percentDecode, splitQuery } from '../s3/uri.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';

/**
 * sigv4.md §3.2 (server side): decode the raw path once, re-encode with UriEncode keeping
 * `/`, never normalise (`//`, `.` and `..` are part of S3 keys). Empty path → `/`.
 */
export function canonicalUri(rawPath: string): string {
  if (rawPath === '') return '/';
  if (alreadyCanonical(rawPath, true)) return rawPath; // the common case: nothing to decode or encode
  const bytes = percentDecode(rawPath, false);
  // §3.2 item 6: AWS answers InvalidURI for broken escapes and for bytes that are not UTF-8.
  if (bytes === undefined || !isUtf8(bytes)) throw new S3Error('InvalidURI');
  return encodeBytes(bytes, false);
}

/** One query name or value: decoded (`+` is a space, §3.3 item 2), then UriEncoded with `/` → %2F. */
function canonicalQueryComponent(raw: string): string {
  if (alreadyCanonical(raw, false)) return raw;
  const bytes = percentDecode(raw, true);
  if (bytes === undefined) throw new S3Error('InvalidURI');
  return encodeBytes(bytes, true);
}

const byNameThenValue = (a: readonly [string, string], b: readonly [string, string]): number =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;

/**
 * sigv4.md §3.3: every parameter (repeats kept), each name/value decoded and re-encoded,
 * sorted by encoded name then value. The encoded strings are ASCII, so JS string order is
 * byte order (`X-Amz-…` before `list-type`). dropSignature removes X-Amz-Signature (presigned).
 */
export function canonicalQuery(rawQuery: string, dropSignature: boolean): string {
  if (rawQuery === '') return '';
  const pairs: Array<[string, string]> = [];
  for (const [rawName, rawValue] of splitQuery(rawQuery)) {
    const name = canonicalQueryComponent(rawName);
    if (dropSignature && name === 'X-Amz-Signature') continue;
    pairs.push([name, canonicalQueryComponent(rawValue)]);
  }
  pairs.sort(byNameThenValue);
  let out = '';
  for (let i = 0; i < pairs.length; i++) out += (i === 0 ? '' : '&') + pairs[i]![0] + '=' + pairs[i]![1];
  return out;
}

/** True when the value needs no trimming, folding or re-decoding (plain ASCII, single inner spaces). */
function plainHeaderValue(v: string): boolean {
  const last = v.length - 1;
  for (let i = 0; i <= last; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f) return false;
    if (c === 0x20 && (i === 0 || i === last || v.charCodeAt(i - 1) === 0x20)) return false;
  }
  return true;
}

const LATIN1_ONLY = /^[\u0000-\u00ff]*$/;
const WHITESPACE_RUN = /\s+/g;

/**
 * sigv4.md §3.4 value rule: trim, fold every whitespace run (incl. obsolete line folding) to
 * one space. Node hands header bytes over as latin1 chars; a value whose bytes are UTF-8
 * is decoded back so the canonical request hashes the bytes the client sent and signed.
 */
export function canonicalHeaderValue(value: string): string {
  if (plainHeaderValue(value)) return value;
  let v = value;
  if (LATIN1_ONLY.test(v)) {
    const bytes = Buffer.from(v, 'latin1');
    if (isUtf8(bytes)) v = bytes.toString('utf8');
  }
  return v.trim().replace(WHITESPACE_RUN, ' ');
}

/**
 * sigv4.md §3.4: `name:value\n` per signed name, in the given (sorted) order; repeated
 * headers joined with `,` in wire order (not Node's `", "`); a signed name absent from the
 * request gives `name:` (and the signature will not match).
 */
export function canonicalHeaders(rawHeaders: string[], signedHeaders: string[]): string {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (!signedHeaders.includes(name)) continue;
    const value = canonicalHeaderValue(rawHeaders[i + 1]!);
    const prev = values.get(name);
    values.set(name, prev === undefined ? value : `${prev},${value}`);
  }
  let out = '';
  for (const name of signedHeaders) out += `${name}:${values.get(name) ?? ''}\n`;
  return out;
}

export interface CanonicalRequestParts {
  method: string;
  rawPath: string;
  rawQuery: string;
  rawHeaders: string[];
  signedHeaders: string[];
  payloadHash: string;
  presigned: boolean;
}

/** sigv4.md §3: the six lines, no trailing newline. */
export function canonicalRequest(parts: CanonicalRequestParts): string {
  return (
    `${parts.method}\n${canonicalUri(parts.rawPath)}\n${canonicalQuery(parts.rawQuery, parts.presigned)}\n` +
    `${canonicalHeaders(parts.rawHeaders, parts.signedHeaders)}\n${parts.signedHeaders.join(';')}\n${parts.payloadHash}`
  );
}

/** sigv4.md §4. */
export function stringToSign(timestamp: string, scope: string, canonicalRequest: string): string {
  return `${ALGORITHM}\n${timestamp}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}

/** sigv4.md §5: kSigning = HMAC chain over date, region, service, "aws4_request". */
export function deriveSigningKey(secret: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}
