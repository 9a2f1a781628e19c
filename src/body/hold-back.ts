// HoldBack: the one mechanism by which the body stage keeps a bad body from being committed: the newest piece waits until the whole body checked out (sigv4.md §9 step 9, aws-chunked.md §7).
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A Transform that sends every piece one step late and the last one only after `finish()` passed at the end of
 * input. A backend upload with a fixed Content-Length therefore never receives its last byte from a body whose
 * signature, hash or checksum failed: the upload is aborted short and nothing is committed. Memory stays bounded:
 * one held piece plus the usual stream buffers.
 */
export abstract class HoldBack extends Transform {
  #held: Buffer | undefined;

  /** Passes `piece` on, one step late. */
  protected release(piece: Buffer): void {
    // An empty piece must not take the place of the real last one.
    if (piece.length === 0) return;
    const previous = this.#held;
    this.#held = piece;
    if (previous) this.push(previous);
  }

  /** Every check that can only run once the whole body arrived; throws to fail the body. */
  protected abstract finish(): void;

  override _flush(callback: TransformCallback): void {
    try {
      this.finish();
    } catch (err) {
      // An error from flush destroys the stream: the held bytes are never pushed.
      this.#held = undefined;
      callback(err as Error);
      return;
    }
    const last = this.#held;
    this.#held = undefined;
    callback(null, last);
  }
}

/** A pass-through check over the body bytes as they are: digest while streaming, verify at the end. */
export class DigestCheck extends HoldBack {
  constructor(
    private readonly update: (chunk: Buffer) => void,
    private readonly verify: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.update(chunk);
    } catch (err) {
      callback(err as Error);
      return;
    }
    this.release(chunk);
    callback();
  }

  protected finish(): void {
    this.verify();
  }
}
