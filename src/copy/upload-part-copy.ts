// Emulated UploadPartCopy: the upload must exist, the source range is checked, then one ranged GET streams into UploadPart with the checksum the upload asks for (copy-semantics.md §6, §8.2, §11).
import type { Routed } from '../context.js';
import { assertCopySourceSize, MAX_COPY_SOURCE_SIZE, resolveCopySourceRange } from '../s3/copy-source.js';
import { S3Error } from '../s3/errors.js';
import { committedAt, resultHeaders, type Destination } from './destination.js';
import { requestsOpaqueEtag } from './digests.js';
import type { CopyPlan } from './plan.js';
import { copyPreconditionsFrom, evaluateCopyPreconditions } from '../s3/copy-preconditions.js';
import { copyPartResultXml } from '../s3/copy-result.js';
import { headSource } from './source.js';
import { copyRange, destinationSseHeaders, writePlan, type CopyAnswer, type CopyStats } from './transfer.js';
import { destinationUpload } from './upload-checksum.js';

export async function uploadPartCopy(ctx: Routed, plan: CopyPlan, dest: Destination, stats: CopyStats): Promise<CopyAnswer> {
  const s3 = ctx.s3;
  const partNumber = s3.partNumber!;
  const uploadId = s3.uploadId!;
  const rangeHeader = ctx.headers['x-amz-copy-source-range'];
  const preconditions = copyPreconditionsFrom(ctx.headers);
  const signal = ctx.abort.signal;
  // The upload must exist before the source is read (copy-semantics.md §8.2 step 1); ListParts also names its checksum (§11.2).
  const [src, upload] = await Promise.all([
    headSource(ctx, plan.source, plan.sourceBackend, plan.sourceRoute.backendBucket),
    destinationUpload(dest, uploadId, signal),
  ]);
  if (upload.unknown !== undefined) {
    throw new S3Error('NotImplemented', `The upload was created with the ${upload.unknown} checksum, which s3bridge cannot compute for a copied part.`);
  }
  if (rangeHeader === undefined) assertCopySourceSize(src.size);
  const range = resolveCopySourceRange(rangeHeader, src.size);
  if (range.length > MAX_COPY_SOURCE_SIZE) {
    throw new S3Error('EntityTooLarge', undefined, { ProposedSize: range.length, MaxSizeAllowed: MAX_COPY_SOURCE_SIZE });
  }
  evaluateCopyPreconditions(preconditions, { etag: src.etag, lastModified: src.lastModified });
  // Only the upload's own algorithm: a part checksum in an upload created without one is refused at Complete (§11.3).
  const sse = destinationSseHeaders(ctx);
  const result = await copyRange(ctx, src, dest, range.first, range.length, {
    query: [
      ['partNumber', String(partNumber)],
      ['uploadId', uploadId],
    ],
    headers: sse,
    signal,
    stats,
    ...writePlan(dest, upload.algorithm, requestsOpaqueEtag(sse)),
  });
  const headers = resultHeaders(result.headers);
  // UploadPartCopy has no version of its own, and a part no expiration (§6.1): only SSE and checksum headers remain.
  delete headers['x-amz-version-id'];
  delete headers['x-amz-expiration'];
  if (src.versionId) headers['x-amz-copy-source-version-id'] = src.versionId;
  const checksums = result.checksum ? { [result.checksum.alg]: result.checksum.base64 } : undefined;
  return { xml: copyPartResultXml({ etag: result.etag, lastModified: committedAt(result.headers), checksums }), headers };
}
