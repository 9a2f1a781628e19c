// copyRange: one source range into one destination write, retried once on a connection failure (copy-semantics.md §8).
import type { Routed } from '../context.js';
import type { CopyEmulationSample } from '../metrics.js';
import type { ChecksumAlgorithm } from '../s3/checksums.js';
import { sseCustomerHeaders } from '../s3/headers.js';
import { UpstreamError } from '../upstream/client.js';
import { writeDestination, type Destination, type WriteOptions, type WriteResult } from './destination.js';
import { openSourceRange, type SourceObject } from './source.js';

/** What an emulated copy reports to the metrics; filled while it runs. */
export type CopyStats = CopyEmulationSample;

/** What an emulated copy step hands back: the document and the headers of the answer. */
export interface CopyAnswer {
  xml: string;
  headers: Record<string, string>;
}

/** SSE-C headers of the destination: an encrypted part/object needs them on every write, and on Complete (copy-semantics.md §12). */
export function destinationSseHeaders(ctx: Routed): Record<string, string> {
  return sseCustomerHeaders(ctx.headers);
}

/**
 * How one write proves that the destination stored the bytes (copy-semantics.md §11.3, §12): a checksum travels as
 * a trailer where the store takes aws-chunked (it verifies it, and we compare what it reports), and replaces the MD5;
 * otherwise the MD5 is compared with a plain-MD5 ETag, unless the write asks for encryption that makes the ETag
 * opaque. A checksum that cannot travel is still computed, for the result.
 */
export function writePlan(dest: Destination, checksum: ChecksumAlgorithm | undefined, opaqueEtag: boolean): Pick<WriteOptions, 'checksum' | 'trailer' | 'md5'> {
  const trailer = checksum !== undefined && dest.backend.capabilities.awsChunked;
  return { checksum, trailer, md5: !trailer && !opaqueEtag };
}

/**
 * Copies source bytes [first, first+length) into one destination write. A connection failure on
 * either side, before the destination acknowledged anything, is retried once from scratch.
 */
export async function copyRange(
  ctx: Routed,
  src: SourceObject,
  dest: Destination,
  first: number,
  length: number,
  opts: Omit<WriteOptions, 'onBytes'> & { stats: CopyStats },
): Promise<WriteResult> {
  for (let attempt = 1; ; attempt++) {
    let counted = 0;
    try {
      const body = await openSourceRange(ctx, src, first, length, opts.signal);
      return await writeDestination(dest, body, length, {
        ...opts,
        onBytes: (n) => {
          counted += n;
          opts.stats.bytes += n;
        },
      });
    } catch (err) {
      opts.stats.bytes -= counted;
      const retryable = err instanceof UpstreamError && err.kind !== 'timeout' && !opts.signal.aborted;
      if (!retryable || attempt >= 2) throw err;
      ctx.app.log.warn('copy part failed, retrying once', { requestId: ctx.id, backend: err.backend, kind: err.kind });
    }
  }
}
