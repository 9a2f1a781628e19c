// copyRange: one source range into one destination write, retried once on a connection failure (copy-semantics.md §8).
import type { Routed } from '../context.js';
import type { CopyEmulationSample } from '../metrics.js';
import { sseCustomerHeaders } from '../s3/headers.js';
import { UpstreamError } from '../upstream/client.js';
import { writeDestination, type Destination, type WriteResult } from './destination.js';
import { openSourceRange, type SourceObject } from './source.js';

/** What an emulated copy reports to the metrics; filled while it runs. */
export type CopyStats = CopyEmulationSample;

/** What an emulated copy step hands back: the document and the headers of the answer. */
export interface CopyAnswer { xml: string; headers: Record<string, string> }

/** SSE-C headers of the destination: an encrypted part/object needs them on every write. */
export function destinationSseHeaders(ctx: Routed): Record<string, string> {
  return sseCustomerHeaders(ctx.headers);
}

/**
 * Copies source bytes [first, first+length) into one destination write. A connection failure on
 * either side, before the destination acknowledged anything, is retried once from scratch.
 */
export async function copyRange(
  ctx: Routed, src: SourceObject, dest: Destination, first: number, length: number,
  opts: { query?: Array<[string, string]>; headers: Record<string, string>; signal: AbortSignal; stats: CopyStats },
): Promise<WriteResult> {
  for (let attempt = 1; ; attempt++) {
    let counted = 0;
    try {
      const body = await openSourceRange(ctx, src, first, length, opts.signal);
      return await writeDestination(dest, body, length, { ...opts, onBytes: (n) => { counted += n; opts.stats.bytes += n; } });
    } catch (err) {
      opts.stats.bytes -= counted;
      const retryable = err instanceof UpstreamError && err.kind !== 'timeout' && !opts.signal.aborted;
      if (!retryable || attempt >= 2) throw err;
      ctx.app.log.warn('copy part failed, retrying once', { requestId: ctx.id, backend: err.backend, kind: err.kind });
    }
  }
}
