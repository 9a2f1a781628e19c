// Emulated CopyObject above copy.multipartThreshold: a multipart upload on the destination, parts copied in parallel with their checksums, aborted on any failure (copy-semantics.md §8.1, §11.5).
import type { Routed } from '../context.js';
import type { ChecksumAlgorithm } from '../s3/checksums.js';
import { S3Error } from '../s3/errors.js';
import { EMPTY_SHA256, sha256Hex } from '../s3/hash.js';
import { xmlText } from '../s3/xml.js';
import { drain, readText, sendUpstream } from '../upstream/client.js';
import { combineCrcs, isCombinable } from './crc-combine.js';
import { committedAt, completeXml, destinationError, resultHeaders, type Destination, type WriteResult } from './destination.js';
import { compositeChecksum } from './digests.js';
import type { SourceObject } from './source.js';
import { copyRange, destinationSseHeaders, writePlan, type CopyStats } from './transfer.js';

export interface ObjectChecksum {
  alg: ChecksumAlgorithm;
  base64: string;
  type: 'COMPOSITE' | 'FULL_OBJECT';
}

export interface MultipartCopyResult {
  etag: string;
  lastModified: Date;
  headers: Record<string, string>;
  checksum?: ObjectChecksum;
}

/** The whole object's checksum from its parts: CRCs combine into FULL_OBJECT, hashes make a COMPOSITE "-N" value (§11.5). */
function objectChecksum(alg: ChecksumAlgorithm, parts: WriteResult[]): ObjectChecksum {
  const sums = parts.map((p) => ({ base64: p.checksum!.base64, length: p.bytes }));
  if (isCombinable(alg)) return { alg, type: 'FULL_OBJECT', base64: combineCrcs(alg, sums) };
  return {
    alg,
    type: 'COMPOSITE',
    base64: compositeChecksum(
      alg,
      sums.map((s) => s.base64),
    ),
  };
}

export async function multipartCopy(
  ctx: Routed,
  src: SourceObject,
  dest: Destination,
  headers: Record<string, string>,
  stats: CopyStats,
  integrity: { algorithm?: ChecksumAlgorithm; opaqueEtag: boolean },
): Promise<MultipartCopyResult> {
  const { partSize, maxConcurrentParts } = ctx.app.config.copy;
  const { algorithm } = integrity;
  // The upload names the algorithm only where every part can carry its checksum: S3 refuses Complete otherwise (§11.3).
  const typed = algorithm !== undefined && dest.backend.capabilities.awsChunked;
  const type = algorithm !== undefined && isCombinable(algorithm) ? 'FULL_OBJECT' : 'COMPOSITE';
  const createHeaders = typed ? { ...headers, 'x-amz-checksum-algorithm': algorithm, 'x-amz-checksum-type': type } : headers;
  const created = await sendUpstream(dest.backend, {
    operation: 'CreateMultipartUpload',
    method: 'POST',
    bucket: dest.backendBucket,
    key: dest.key,
    query: [['uploads', '']],
    headers: createHeaders,
    payloadHash: EMPTY_SHA256,
    signal: ctx.abort.signal,
  });
  if (created.status !== 200) throw await destinationError(created, dest);
  const uploadId = xmlText(await readText(created.body), 'UploadId');
  if (!uploadId) throw new S3Error('InternalError', 'The destination did not return an UploadId.');
  const count = Math.ceil(src.size / partSize);
  const parts: WriteResult[] = new Array(count);
  const failFast = new AbortController();
  const signal = AbortSignal.any([ctx.abort.signal, failFast.signal]);
  const sse = destinationSseHeaders(ctx);
  const plan = writePlan(dest, algorithm, integrity.opaqueEtag);
  let next = 0;
  const worker = async () => {
    while (next < count && !signal.aborted) {
      const i = next++;
      const first = i * partSize;
      parts[i] = await copyRange(ctx, src, dest, first, Math.min(partSize, src.size - first), {
        query: [
          ['partNumber', String(i + 1)],
          ['uploadId', uploadId],
        ],
        headers: sse,
        signal,
        stats,
        ...plan,
      });
    }
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(maxConcurrentParts, count) }, () =>
        worker().catch((err) => {
          failFast.abort();
          throw err;
        }),
      ),
    );
    const checksum = algorithm === undefined ? undefined : objectChecksum(algorithm, parts);
    const body = completeXml(parts.map((p, i) => ({ partNumber: i + 1, etag: p.etag, checksum: typed ? p.checksum : undefined })));
    const completeHeaders: Record<string, string> = { ...sse, 'content-length': String(Buffer.byteLength(body)), 'content-type': 'application/xml' };
    // A FULL_OBJECT value sent with Complete is checked by the store against the parts it combines (§11.5).
    if (typed && checksum?.type === 'FULL_OBJECT') {
      completeHeaders[`x-amz-checksum-${checksum.alg.toLowerCase()}`] = checksum.base64;
      completeHeaders['x-amz-checksum-type'] = 'FULL_OBJECT';
    }
    const done = await sendUpstream(dest.backend, {
      operation: 'CompleteMultipartUpload',
      method: 'POST',
      bucket: dest.backendBucket,
      key: dest.key,
      query: [['uploadId', uploadId]],
      headers: completeHeaders,
      body: Buffer.from(body),
      payloadHash: sha256Hex(body),
      signal: ctx.abort.signal,
    });
    if (done.status !== 200) throw await destinationError(done, dest);
    const text = await readText(done.body);
    // CompleteMultipartUpload can fail inside a 200 (copy-semantics.md §1).
    if (xmlText(text, 'Code')) throw new S3Error('InternalError', xmlText(text, 'Message') ?? 'CompleteMultipartUpload failed on the destination.');
    const result: MultipartCopyResult = { etag: xmlText(text, 'ETag') ?? '', lastModified: committedAt(done.headers), headers: resultHeaders(done.headers) };
    if (checksum) {
      // What the store says it keeps wins over our own arithmetic; both agree when it verified the parts.
      const stored = xmlText(text, `Checksum${checksum.alg}`)?.trim();
      const storedType = xmlText(text, 'ChecksumType')?.trim();
      result.checksum =
        typed && stored
          ? { alg: checksum.alg, base64: stored, type: storedType === 'FULL_OBJECT' || storedType === 'COMPOSITE' ? storedType : checksum.type }
          : checksum;
    }
    return result;
  } catch (err) {
    // No orphan upload: abort it, whatever went wrong (and even when the client left).
    const abort = await sendUpstream(dest.backend, {
      operation: 'AbortMultipartUpload',
      method: 'DELETE',
      bucket: dest.backendBucket,
      key: dest.key,
      query: [['uploadId', uploadId]],
      headers: {},
      payloadHash: EMPTY_SHA256,
    }).catch(() => undefined);
    if (abort) await drain(abort.body);
    throw err;
  }
}
