// The hashing helpers every stage shares (payload hashes, HMAC steps, constant-time comparison): one of each (sigv4.md §3.5, §5).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** SHA-256 of the empty body. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** x-amz-content-sha256 of a body that is not hashed (sigv4.md §3.5). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function md5Base64(data: string | Buffer): string {
  return createHash('md5').update(data).digest('base64');
}

export function hmacSha256Hex(key: Buffer | string, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

/**
 * Constant-time comparison of a computed and a provided secret value (signatures). A length difference is public
 * knowledge (the format says it) and fails at once; `ignoreCase` for hex, whose case is not significant.
 */
export function secretsEqual(expected: string, provided: string, ignoreCase = false): boolean {
  const a = Buffer.from(ignoreCase ? expected.toLowerCase() : expected, 'utf8');
  const b = Buffer.from(ignoreCase ? provided.toLowerCase() : provided, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
