// Request auth, body stage for a fixed x-amz-content-sha256: hashes the body on its way to the backend and withholds its end until the hash matched (sigv4.md §3.5, §9 step 9).
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { S3Error } from '../s3/errors.js';

/**
 * Always holds back the most recent chunk, so the downstream (the backend request) cannot
 * receive the last byte, and so cannot complete the upload, before the whole body hashed
 * to the announced value. Memory stays bounded: one held chunk plus the usual stream
 * buffers, because the Transform only asks for more input while its readable side drains.
 */
class PayloadHashCheck extends Transform {
  readonly #expected: string;
  readonly #hash: Hash = createHash('sha256');
  #held: Buffer | undefined;

  constructor(expectedHex: string) {
    super();
    this.#expected = expectedHex.toLowerCase();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) {
      // An empty chunk must not take the place of the real last one.
      callback();
      return;
    }
    this.#hash.update(chunk);
    const release = this.#held;
    this.#held = chunk;
    callback(null, release);
  }

  override _flush(callback: TransformCallback): void {
    const computed = this.#hash.digest('hex');
    if (computed !== this.#expected) {
      this.#held = undefined;
      // An error from flush destroys the stream: the held bytes are never pushed.
      callback(new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: this.#expected, S3ComputedContentSHA256: computed }));
      return;
    }
    const last = this.#held;
    this.#held = undefined;
    callback(null, last);
  }
}

export function createPayloadHashCheck(expectedHex: string): Transform {
  return new PayloadHashCheck(expectedHex);
}
