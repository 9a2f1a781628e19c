// ByteBudget: one process-wide bound on bytes held before they are verified (signed chunks, XML bodies), across all connections (security.md §6).
import { S3Error } from '../s3/errors.js';

/**
 * A counter, not a pool: holders take what they are about to keep and give it back once verified or dropped.
 * A request that would go over the bound fails at once with 503 SlowDown (SDKs retry it with backoff), so a
 * few stalled uploads can never make the process hold more than `limit` bytes of unverified data.
 */
export class ByteBudget {
  #used = 0;

  constructor(readonly limit: number) {}

  get used(): number {
    return this.#used;
  }

  /** Takes n bytes or throws SlowDown. */
  take(n: number): void {
    if (this.#used + n > this.limit) {
      throw new S3Error('SlowDown', 'Too many unverified request bytes are held right now; please retry.');
    }
    this.#used += n;
  }

  give(n: number): void {
    this.#used = Math.max(0, this.#used - n);
  }
}

/** No bound (unit tests and callers that hold nothing). */
export const UNBOUNDED = new ByteBudget(Number.POSITIVE_INFINITY);
