// emulateCopy: CopyObject / UploadPartCopy whose source is on another backend (or one that cannot copy): GET there, PUT here.
import type { RequestContext } from '../context.js';
import { parseCopySourceRange, parsePartNumber, resolveCopySourceRange, assertCopySourceSize, MAX_COPY_SOURCE_SIZE } from '../s3/copy-source.js';
import { copyPartResultXml } from '../s3/copy-xml.js';
import { S3Error, toS3Error } from '../s3/errors.js';
import { headerValue, sseCustomerHeaders } from '../s3/headers.js';
import { UpstreamError } from '../upstream/call.js';
import { assertUploadExists, writeDestination, type Destination, type WriteResult } from './copy-dest.js';
import { copyObject } from './copy-object.js';
import { headSource, openSourceRange, type SourceObject } from './copy-source-read.js';
import { CopyResponder } from './long-copy.js';
import { copyPreconditionsFrom, evaluateCopyPreconditions } from '../s3/preconditions.js';
import type { CopyPlan } from './index.js';

export interface CopyStats { operation: string; sourceBackend: string; destinationBackend: string; outcome: 'ok' | 'precondition_failed' | 'error'; bytes: number }

/** What an emulated copy step hands back: the document and the headers of the answer. */
export interface CopyAnswer { xml: string; headers: Record<string, string> }

/** SSE-C headers of the destination: an encrypted part/object needs them on every write. */
export function destinationSseHeaders(ctx: RequestContext): Record<string, string> {
  return sseCustomerHeaders(ctx.req.headers);
}

/**
 * Copies source bytes [first, first+length) into one destination write. A connection failure on
 * either side, before the destination acknowledged anything, is retried once from scratch.
 */
export async function copyRange(
  ctx: RequestContext, src: SourceObject, dest: Destination, first: number, length: number,
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

async function uploadPartCopy(ctx: RequestContext, plan: CopyPlan, dest: Destination, stats: CopyStats): Promise<CopyAnswer> {
  const s3 = ctx.s3!;
  const partNumber = parsePartNumber(s3.query.get('partNumber'));
  const uploadId = s3.query.get('uploadId') ?? '';
  const rangeHeader = headerValue(ctx.req.headers, 'x-amz-copy-source-range');
  if (rangeHeader !== undefined) parseCopySourceRange(rangeHeader); // syntax errors before any backend call
  const preconditions = copyPreconditionsFrom(ctx.req.headers);
  const signal = ctx.abort.signal;
  const srcBackend = ctx.app.backends.get(plan.sourceRoute.backend)!;
  // The upload must exist before the source is read (copy-semantics.md §8.2 step 1).
  const [src] = await Promise.all([
    headSource(ctx, plan.source, srcBackend, plan.sourceRoute.backendBucket),
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
  return { xml: copyPartResultXml({ etag: result.etag, lastModified: new Date() }), headers };
}

export async function emulateCopy(ctx: RequestContext, plan: CopyPlan): Promise<void> {
  const s3 = ctx.s3!;
  const dest: Destination = { backend: ctx.backend!, backendBucket: ctx.route!.backendBucket, bucket: s3.bucket!, key: s3.key ?? '' };
  const stats: CopyStats = { operation: s3.operation, sourceBackend: plan.sourceRoute.backend, destinationBackend: dest.backend.name, outcome: 'error', bytes: 0 };
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
