// Upload body stage: verifies x-amz-checksum-* header values and Content-MD5 over the streamed (decoded) body before its last byte moves on (aws-chunked.md §7 item 3, sigv4.md §9 step 9).
import { Transform, type TransformCallback } from 'node:stream';
import { createChecksum, decodeDigest, digestMismatch, type Checksum, type ExpectedDigest } from './checksums.js';
import { S3Error } from './errors.js';

/**
 * Pass-through that computes every expected digest and holds back the most recently
 * received chunk: downstream (a backend upload with a fixed Content-Length) never sees
 * the body's last byte unless all digests matched, so a bad body is never committed.
 * Mismatch → destroyed with BadDigest (message names the algorithm, or Content-MD5).
 * Values are expected validated (requestChecksums); an undecodable one still fails safe.
 */
export function createChecksumCheck(expected: ExpectedDigest[]): Transform {
  const checks: Array<{ alg: ExpectedDigest['alg']; want: Buffer | undefined; sum: Checksum }> = expected.map((e) => ({
    alg: e.alg,
    want: decodeDigest(e.alg, e.base64),
    sum: createChecksum(e.alg),
  }));
  let held: Buffer | undefined;

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      if (chunk.length === 0) return callback();
      for (const c of checks) c.sum.update(chunk);
      const previous = held;
      held = chunk;
      if (previous) this.push(previous);
      callback();
    },
    flush(callback: TransformCallback): void {
      for (const c of checks) {
        if (!c.want) return callback(new S3Error('InvalidRequest', 'An expected checksum value is invalid.'));
        if (!c.sum.digest().equals(c.want)) return callback(digestMismatch(c.alg));
      }
      if (held) this.push(held);
      held = undefined;
      callback();
    },
  });
}
