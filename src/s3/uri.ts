// Percent-encoding as S3 and SigV4 define it (sigv4.md §3.1): one encoder and one decoder for signing, parsing and upstream targets; pure.
import { isUtf8 } from 'node:buffer';

// One string per byte value: the unreserved set of sigv4.md §3.1 stays as is, all else is %XY uppercase.
const BYTE_ENCODING: readonly string[] = Array.from({ length: 256 }, (_, b) => {
  const c = String.fromCharCode(b);
  return /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
});

function isUnreserved(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
}

/** True when every char is unreserved (or '/', if allowed): encoding and decoding would both be the identity. */
export function alreadyCanonical(s: string, slashAllowed: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isUnreserved(c) && !(slashAllowed && c === 0x2f)) return false;
  }
  return true;
}

export function encodeBytes(bytes: Uint8Array, encodeSlash: boolean): string {
  let out = '';
  for (const b of bytes) out += b === 0x2f && !encodeSlash ? '/' : BYTE_ENCODING[b]!;
  return out;
}

/** sigv4.md §3.1: UriEncode of the UTF-8 bytes of s; `/` kept only when encodeSlash is false (object paths). */
export function uriEncode(s: string, encodeSlash: boolean): string {
  if (alreadyCanonical(s, !encodeSlash)) return s;
  return encodeBytes(Buffer.from(s, 'utf8'), encodeSlash);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Percent-decodes s once into bytes. Chars outside ASCII (never in a Node req.url, which
 * rejects raw non-ASCII bytes, but possible from other callers) count as their UTF-8 bytes.
 * Returns undefined on a `%` not followed by two hex digits.
 */
export function percentDecode(s: string, plusIsSpace: boolean): Buffer | undefined {
  const out = Buffer.allocUnsafe(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else if (c === 0x2b && plusIsSpace) {
      out[n++] = 0x20;
    } else if (c < 0x80) {
      out[n++] = c;
    } else {
      const cp = s.codePointAt(i)!;
      if (cp > 0xffff) i++;
      n += out.write(String.fromCodePoint(cp), n, 'utf8');
    }
  }
  return out.subarray(0, n);
}

/** Splits a raw query at `&` and each piece at its first `=`; empty pieces (`a=1&&b=2`) are skipped. */
export function splitQuery(rawQuery: string): Array<[rawName: string, rawValue: string]> {
  const pairs: Array<[string, string]> = [];
  if (rawQuery === '') return pairs;
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    pairs.push(eq < 0 ? [piece, ''] : [piece.slice(0, eq), piece.slice(eq + 1)]);
  }
  return pairs;
}

/** Decoded value of a query component (`+` is a space, sigv4.md §3.3 item 2); undefined on a bad escape or bytes that are not UTF-8. */
export function decodeQueryComponent(raw: string): string | undefined {
  return decodeComponent(raw, true);
}

/** Percent-decodes once into UTF-8 text; undefined on a bad escape or bytes that are not UTF-8 (sigv4.md §3.2 item 6). */
export function decodeComponent(raw: string, plusIsSpace: boolean): string | undefined {
  if (alreadyCanonical(raw, false)) return raw;
  const bytes = percentDecode(raw, plusIsSpace);
  return bytes !== undefined && isUtf8(bytes) ? bytes.toString('utf8') : undefined;
}

/**
 * An object key as a request path: UriEncode keeping "/", with "." and ".." segments percent-encoded so that no
 * HTTP layer on the way normalises them away (security.md §3.2): the backend decodes them back to the literal key.
 */
export function encodeKeyPath(key: string): string {
  const encoded = uriEncode(key, false);
  if (!encoded.includes('.')) return encoded;
  return encoded
    .split('/')
    .map((seg) => (seg === '.' ? '%2E' : seg === '..' ? '%2E%2E' : seg))
    .join('/');
}
