// handle: the last pipeline stage's choice: a copy (native or emulated) for a request with a copy source, bucket CORS from
// the route's own rules, passthrough for everything else.
import type { Routed } from '../context.js';
import { emulateCopy } from '../copy/emulate.js';
import { nativeCopy } from '../copy/native.js';
import { planCopy } from '../copy/plan.js';
import { S3Error } from '../s3/errors.js';
import { passthrough } from './passthrough.js';
import { bucketCorsXml } from './preflight.js';

/** A route with `cors` rules owns its bucket's CORS configuration (config, not the backend). */
function bucketCors(ctx: Routed): void {
  if (ctx.s3.operation !== 'GetBucketCors') {
    throw new S3Error('MethodNotAllowed', 'The CORS configuration of this bucket is set in the s3bridge configuration.', {
      Method: ctx.s3.method,
      ResourceType: 'BUCKET',
    });
  }
  const body = bucketCorsXml(ctx.route);
  ctx.res.writeHead(200, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)), 'x-amz-request-id': ctx.id });
  ctx.res.end(body);
}

export async function handle(ctx: Routed): Promise<void> {
  if (ctx.source) {
    const plan = planCopy(ctx, ctx.source);
    return plan.native ? nativeCopy(ctx, plan) : emulateCopy(ctx, plan);
  }
  if (ctx.route.cors && /^(Get|Put|Delete)BucketCors$/.test(ctx.s3.operation)) return bucketCors(ctx);
  return passthrough(ctx);
}
