// emulateCopy: CopyObject / UploadPartCopy whose source is on another backend (or one that cannot copy): GET there, PUT here.
import type { Routed } from '../context.js';
import { toS3Error } from '../s3/errors.js';
import { copyObject } from './copy-object.js';
import type { Destination } from './destination.js';
import type { CopyPlan } from './plan.js';
import { CopyResponder } from './responder.js';
import type { CopyStats } from './transfer.js';
import { uploadPartCopy } from './upload-part-copy.js';

export async function emulateCopy(ctx: Routed, plan: CopyPlan): Promise<void> {
  const s3 = ctx.s3;
  const dest: Destination = { backend: ctx.backend, backendBucket: ctx.route.backendBucket, bucket: s3.bucket!, key: s3.key ?? '' };
  const stats: CopyStats = {
    operation: s3.operation,
    sourceBackend: plan.sourceRoute.backend,
    destinationBackend: dest.backend.name,
    outcome: 'error',
    bytes: 0,
  };
  ctx.copy = stats;
  const responder = new CopyResponder(ctx, ctx.app.config.copy.keepAliveAfterSeconds * 1000);
  responder.start();
  try {
    const answer = s3.operation === 'UploadPartCopy' ? await uploadPartCopy(ctx, plan, dest, stats) : await copyObject(ctx, plan, dest, stats);
    stats.outcome = 'ok';
    responder.succeed(answer.xml, answer.headers);
  } catch (err) {
    const e = toS3Error(err);
    stats.outcome = e.code === 'PreconditionFailed' ? 'precondition_failed' : 'error';
    if (ctx.abort.signal.aborted || !responder.fail(e)) throw err;
  }
}
