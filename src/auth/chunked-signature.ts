// Request auth, streaming bodies: the aws-chunked chunk and trailer signature chain (aws-chunked.md §4), as pure functions.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** SHA-256 of the empty string: the fixed fifth line of every chunk string to sign. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** What the header-signature verifier hands to the body decoder to continue the chain. */
export interface ChunkSigning {
  /** kSigning (sigv4.md §5) of the request's scope. */
  signingKey: Buffer;
  /** x-amz-date of the request, e.g. 20130524T000000Z. */
  timestamp: string;
  /** Credential scope, e.g. 20130524/us-east-1/s3/aws4_request. */
  scope: string;
  /** The verified Authorization-header signature: previous signature of chunk 1. */
  seedSignature: string;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** String to sign of one chunk (also the final 0-byte one), aws-chunked.md §4. */
export function chunkStringToSign(signing: Pick<ChunkSigning, 'timestamp' | 'scope'>, previousSignature: string, dataSha256Hex: string): string {
  return `AWS4-HMAC-SHA256-PAYLOAD\n${signing.timestamp}\n${signing.scope}\n${previousSignature}\n${EMPTY_SHA256}\n${dataSha256Hex}`;
}

/**
 * Canonical trailer block: `lowercase-name:trimmed-value\n` per trailer line in wire order,
 * LF only although the wire lines end in CRLF (aws-chunked.md §4).
 */
export function canonicalTrailer(lines: ReadonlyArray<readonly [name: string, value: string]>): string {
  return lines.map(([name, value]) => `${name.toLowerCase()}:${value.trim()}\n`).join('');
}

/** String to sign of the trailer, chained after the 0-byte chunk's signature (aws-chunked.md §4). */
export function trailerStringToSign(signing: Pick<ChunkSigning, 'timestamp' | 'scope'>, previousSignature: string, canonical: string): string {
  return `AWS4-HMAC-SHA256-TRAILER\n${signing.timestamp}\n${signing.scope}\n${previousSignature}\n${sha256Hex(canonical)}`;
}

export function signHex(signingKey: Buffer, stringToSign: string): string {
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

/** Constant-time comparison of two hex signatures; hex case is not significant. */
export function signatureMatches(expectedHex: string, providedHex: string): boolean {
  const a = Buffer.from(expectedHex.toLowerCase(), 'latin1');
  const b = Buffer.from(providedHex.toLowerCase(), 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}
