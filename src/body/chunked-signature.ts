// Request auth, streaming bodies: the aws-chunked chunk and trailer signature chain (aws-chunked.md §4), as pure functions.
import { EMPTY_SHA256, sha256Hex } from '../s3/hash.js';
import type { ChunkSigning } from '../s3/payload.js';

export type { ChunkSigning } from '../s3/payload.js';

/** String to sign of one chunk (also the final 0-byte one), aws-chunked.md §4. */
export function chunkStringToSign(signing: Pick<ChunkSigning, 'timestamp' | 'scope'>, previousSignature: string, dataSha256Hex: string): string {
  return `AWS4-HMAC-SHA256-PAYLOAD\n${signing.timestamp}\n${signing.scope}\n${previousSignature}\n${EMPTY_SHA256}\n${dataSha256Hex}`;
}

/** String to sign of the trailer, chained after the 0-byte chunk's signature (aws-chunked.md §4). */
export function trailerStringToSign(signing: Pick<ChunkSigning, 'timestamp' | 'scope'>, previousSignature: string, canonical: string): string {
  return `AWS4-HMAC-SHA256-TRAILER\n${signing.timestamp}\n${signing.scope}\n${previousSignature}\n${sha256Hex(canonical)}`;
}
