// Emulated UploadPartCopy: the upload must exist, the source range is checked, then one ranged GET streams into UploadPart (copy-semantics.md §6, §8.2).
import type { Routed } from '../context.js';
import { assertCopySourceSize, MAX_COPY_SOURCE_SIZE, resolveCopySourceRange } from '../s3/copy-source.js';
import { S3Error } from '../s3/errors.js';
import { assertUploadExists, committedAt, type Destination } from './destination.js';
import type { CopyPlan } from './plan.js';
import { copyPreconditionsFrom, evaluateCopyPreconditions } from './preconditions.js';
import { copyPartResultXml } from './result-xml.js';
import { headSource } from './source.js';
import { copyRange, destinationSseHeaders, type CopyAnswer, type CopyStats } from './transfer.js';

export async function uploadPartCopy(ctx: Routed, plan: CopyPlan, dest: Destination, stats: CopyStats): Promise<CopyAnswer> {
  const s3 = ctx.s3;
  const partNumber = s3.partNumber!;
  const uploadId = s3.uploadId!;
  const rangeHeader = ctx.headers['x-amz-copy-source-range'];
  const preconditions = copyPreconditionsFrom(ctx.headers);
  const signal = ctx.abort.signal;
  // The upload must exist before the source is read (copy-semantics.md §8.2 step 1).
  const [src] = await Promise.all([
    headSource(ctx, plan.source, plan.sourceBackend, plan.sourceRoute.backendBucket),
    assertUploadExists(dest, uploadId, signal),
  ]);
  if (rangeHeader === undefined) assertCopySourceSize(src.size);
  const range = resolveCopySourceRange(rangeHeader, src.size);
  if (range.length > MAX_COPY_SOURCE_SIZE) {
    throw new S3Error('EntityTooLarge', undefined, { ProposedSize: range.length, MaxSizeAllowed: MAX_COPY_SOURCE_SIZE });
  }
  evaluateCopyPreconditions(preconditions, { etag: src.etag, lastModified: src.lastModified });
  const result = await copyRange(ctx, src, dest, range.first, range.length, {
    query: [['partNumber', String(partNumber)], ['uploadId', uploadId]],
    headers: destinationSseHeaders(ctx), signal, stats,
  });
  const headers: Record<string, string> = {};
  if (src.versionId) headers['x-amz-copy-source-version-id'] = src.versionId;
  return { xml: copyPartResultXml({ etag: result.etag, lastModified: committedAt(result.headers) }), headers };
}
