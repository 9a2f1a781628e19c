// nativeCopy: a copy the destination backend performs itself; its answer is read, never relayed blindly (copy-semantics.md §1, §8, §10).
import type { Routed } from '../context.js';
import { encodeCopySource } from '../s3/copy-source.js';
import { toS3Error } from '../s3/errors.js';
import { readText, sendUpstream } from '../upstream/client.js';
import { committedAt, destinationError, resultHeaders, type Destination } from './destination.js';
import type { CopyPlan } from './plan.js';
import { CopyResponder } from './responder.js';
import { copyObjectResultXml, copyPartResultXml, parseCopyResult } from '../s3/copy-result.js';

/**
 * The backend copies; s3bridge reads its answer. A 200 may carry an <Error> document (S3 does this for copies that
 * fail after the answer started): the client gets that error, not a success. Either result root (AWS's
 * CopyPartResult, or CopyObjectResult as Yandex answers UploadPartCopy) reaches the client in AWS's shape, with the
 * checksum elements the backend computed (copy-semantics.md §11.6).
 * A slow copy answers 200 early with whitespace keep-alives, as S3 does (copy/responder.ts).
 */
export async function nativeCopy(ctx: Routed, plan: CopyPlan): Promise<void> {
  const s3 = ctx.s3;
  const dest: Destination = { backend: ctx.backend, backendBucket: ctx.route.backendBucket, bucket: s3.bucket!, key: s3.key ?? '' };
  const responder = new CopyResponder(ctx, ctx.app.config.copy.keepAliveAfterSeconds * 1000);
  responder.start();
  try {
    const up = await sendUpstream(ctx.backend, {
      operation: s3.operation,
      method: 'PUT',
      bucket: dest.backendBucket,
      key: s3.key,
      query: s3.params,
      headers: { ...ctx.headers, 'x-amz-copy-source': encodeCopySource({ ...plan.source, bucket: plan.sourceRoute.backendBucket }) },
      body: null,
      payloadHash: ctx.body.payloadHash,
      signal: ctx.abort.signal,
    });
    if (up.status !== 200) throw await destinationError(up, dest);
    const result = parseCopyResult(await readText(up.body));
    // Result headers say what the destination did (versions, encryption, checksums); the document says the rest.
    const headers = resultHeaders(up.headers);
    const document = { etag: result.etag, lastModified: result.lastModified ?? committedAt(up.headers), checksums: result.checksums };
    responder.succeed(s3.operation === 'UploadPartCopy' ? copyPartResultXml(document) : copyObjectResultXml(document), headers);
  } catch (err) {
    if (ctx.abort.signal.aborted || !responder.fail(toS3Error(err))) throw err;
  }
}
