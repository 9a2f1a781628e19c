// pickHandler: passthrough unless the operation needs more (ListBuckets merge, copies whose source lives elsewhere).
import type { RequestContext } from '../context.js';
import { globMatch, type Route } from '../routing/router.js';
import { encodeCopySource, parseCopySource, type CopySource } from '../s3/copy-source.js';
import { S3Error } from '../s3/errors.js';
import { headerValue } from '../s3/headers.js';
import { listBuckets } from './list-buckets.js';
import { passthrough } from './passthrough.js';
import { emulateCopy } from './copy.js';

export type Handler = (ctx: RequestContext) => Promise<void>;

export interface CopyPlan { source: CopySource; sourceRoute: Route; native: boolean }

/** Where a copy's source lives and whether the destination backend can copy it itself (copy-semantics.md §8). */
export function planCopy(ctx: RequestContext): CopyPlan {
  const source = parseCopySource(headerValue(ctx.req.headers, 'x-amz-copy-source') ?? '');
  // Reading the source is a permission of its own: the client must be allowed that bucket too.
  if (!globMatch(ctx.app.clientBuckets(ctx.auth!.client), source.bucket)) {
    throw new S3Error('AccessDenied', 'Access Denied', { BucketName: source.bucket });
  }
  const sourceRoute = ctx.app.router.resolve(source.bucket);
  const backend = ctx.backend!;
  const sameBackend = sourceRoute.backend === backend.name;
  const native = sameBackend && (ctx.s3!.operation === 'CopyObject' || backend.capabilities.uploadPartCopy);
  return { source, sourceRoute, native };
}

async function copy(ctx: RequestContext): Promise<void> {
  const plan = planCopy(ctx);
  if (plan.native) {
    const backendSource = encodeCopySource({ ...plan.source, bucket: plan.sourceRoute.backendBucket });
    await passthrough(ctx, { 'x-amz-copy-source': backendSource });
    return;
  }
  await emulateCopy(ctx, plan);
}

export function pickHandler(ctx: RequestContext): Handler {
  switch (ctx.s3!.operation) {
    case 'ListBuckets':
      return listBuckets;
    case 'CopyObject':
    case 'UploadPartCopy':
      return copy;
    default:
      return (c) => passthrough(c);
  }
}
