// Body stage: verifies x-amz-checksum-* header values and Content-MD5 over the streamed (decoded) body before its last byte moves on (aws-chunked.md §7 item 3, sigv4.md §9 step 9).
import type { Transform } from 'node:stream';
import { createChecksum, decodeDigest, digestMismatch, type ExpectedDigest } from '../s3/checksums.js';
import { S3Error } from '../s3/errors.js';
import { DigestCheck } from './hold-back.js';

/**
 * Computes every expected digest while the body passes; a mismatch fails the body with BadDigest (the message names
 * the algorithm, or Content-MD5) before its last byte moves on. Values are expected validated (requestChecksums);
 * an undecodable one still fails safe.
 */
export function createChecksumCheck(expected: ExpectedDigest[]): Transform {
  const checks = expected.map((e) => ({ alg: e.alg, want: decodeDigest(e.alg, e.base64), sum: createChecksum(e.alg) }));
  return new DigestCheck(
    (chunk) => {
      for (const c of checks) c.sum.update(chunk);
    },
    () => {
      for (const c of checks) {
        if (!c.want) throw new S3Error('InvalidRequest', 'An expected checksum value is invalid.');
        if (!c.sum.digest().equals(c.want)) throw digestMismatch(c.alg);
      }
    },
  );
}
