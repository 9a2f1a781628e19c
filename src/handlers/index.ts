// pickHandler: passthrough unless the operation needs more (ListBuckets merge, copies whose source lives elsewhere).
import type { RequestContext } from '../context.js';
import type { Route } from '../routing/router.js';
import { encodeCopySource, type CopySource } from '../s3/copy-source.js';
import { S3Error } from '../s3/errors.js';
import { listBuckets } from './list-buckets.js';
import { passthrough } from './passthrough.js';
import { emulateCopy } from './copy.js';

export type Handler = (ctx: RequestContext) => Promise<void>;

export interface CopyPlan { source: CopySource; sourceRoute: Route; native: boolean }

/** Where a copy's source lives (authorized with the request) and whether the destination backend can copy it itself (copy-semantics.md §8). */
export function planCopy(ctx: RequestContext): CopyPlan {
  const { copySource: source, route: sourceRoute } = ctx.source!;
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

/**
 * A browser POST upload's form names the key (and headers) the backend would store, so it cannot be forwarded
 * unread: until the form is parsed and sent on as a checked PutObject (post-object.md §11), it is refused
 * (security.md §3.4).
 */
async function refusePostObject(): Promise<void> {
  throw new S3Error('NotImplemented', 'Browser POST uploads (PostObject) are not served.');
}

export function pickHandler(ctx: RequestContext): Handler {
  switch (ctx.s3!.operation) {
    case 'ListBuckets':
      return listBuckets;
    case 'PostObject':
      return refusePostObject;
    case 'CopyObject':
    case 'UploadPartCopy':
      return copy;
    default:
      return (c) => passthrough(c);
  }
}
