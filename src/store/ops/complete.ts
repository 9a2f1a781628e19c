// Embedded store, CompleteMultipartUpload: checks the part list, joins the parts into one new object file, and commits it while taking the upload away.
import { rm } from 'node:fs/promises';
import { uriEncode } from '../../s3/uri.js';
import { checksumHeaderName, createChecksum, digestMismatch } from '../../s3/checksums.js';
import { S3Error } from '../../s3/errors.js';
import { readSmallBody } from '../body.js';
import { evaluateWriteConditions } from '../conditions.js';
import { bucketOf, header, keyOf, sendXml, type StoreRequest } from '../context.js';
import type { Bucket } from '../buckets.js';
import { TempBlob, blobStream, type OpenBlob } from '../disk/blob.js';
import { checkCompletedParts, compositeChecksum, multipartEtag } from '../multipart-rules.js';
import type { ObjectRecord, PartRecord } from '../records.js';
import { checkUploadKey, customerKey, encryptionHeaders } from '../sse.js';
import { parseCompleteMultipartUpload } from '../xml-docs.js';
import { opaqueEtag } from '../../s3/etag.js';
import { completeXml } from '../xml-write.js';
import { checksumHeaders, newVersion, quote, writtenVersionHeaders } from './common.js';

async function closeAll(parts: Iterable<OpenBlob<PartRecord>>): Promise<void> {
  await Promise.all([...parts].map((p) => p.handle.close().catch(() => undefined)));
}

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html. The listed parts are opened
 * first, so a part re-uploaded meanwhile cannot change what was checked; the joined file is committed only if
 * the upload still exists at that moment (a concurrent Abort or Complete wins otherwise: NoSuchUpload).
 */
export async function completeMultipartUpload(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const key = keyOf(r);
  const uploadId = r.s3.query.get('uploadId');
  // An SSE-C key is optional here; one that is sent must be the upload's.
  const presented = customerKey(r.headers);
  const upload = await r.store.uploads.get(bucket.name, uploadId, key).catch(async (err: unknown) => {
    // A client that did not get the answer (a lost connection, an SDK retry) completes again: S3 answers as it did
    // the first time while the object is still the one that upload made, with the same parts.
    if (!(err instanceof S3Error) || err.code !== 'NoSuchUpload' || uploadId === undefined) throw err;
    const current = await r.store.objects.record(bucket.name, key);
    const listed = current?.uploadId === uploadId ? parseCompleteMultipartUpload(await readSmallBody(r, false)) : undefined;
    if (!current || !listed || multipartEtag(listed.map((p) => opaqueEtag(p.etag))) !== current.etag) throw err;
    sendComplete(r, bucket, key, current);
    return undefined;
  });
  if (!upload) return;
  checkUploadKey(upload.sseCustomer, presented, false);
  // The x-amz-checksum-* headers of this request are the whole object's checksum, not the XML body's.
  const listed = parseCompleteMultipartUpload(await readSmallBody(r, false));
  const condition =
    header(r, 'if-none-match') !== undefined || header(r, 'if-match') !== undefined
      ? (current: ObjectRecord | undefined) => evaluateWriteConditions(r.headers, current && { etag: quote(current.etag) })
      : undefined;

  const open = new Map<number, OpenBlob<PartRecord>>();
  let blob: TempBlob | undefined;
  try {
    for (const p of listed) {
      if (open.has(p.partNumber)) continue; // a repeated number fails the order check below
      const part = await r.store.uploads.openPart(bucket.name, upload.uploadId, p.partNumber);
      if (part) open.set(p.partNumber, part);
    }
    checkCompletedParts(listed, new Map([...open].map(([n, b]) => [n, b.record])), upload, r.store.options.minPartSize);
    const parts = listed.map((p) => open.get(p.partNumber)!);

    const full = upload.checksum?.type === 'FULL_OBJECT' ? createChecksum(upload.checksum.alg) : undefined;
    blob = await TempBlob.create(r.store.layout.tempPath());
    for (const part of parts) {
      open.delete(part.record.partNumber); // the stream closes it from here on
      await blob.append(blobStream(part, 0, part.dataSize - 1), full ? [full] : []);
    }
    const checksum = upload.checksum
      ? {
          alg: upload.checksum.alg,
          type: upload.checksum.type,
          value: full
            ? full.digestBase64()
            : compositeChecksum(
                upload.checksum.alg,
                parts.map((p) => p.record.checksum!.value),
              ),
        }
      : undefined;
    // A whole-object checksum the client sent must agree with what the parts add up to.
    if (checksum) {
      const sent = header(r, checksumHeaderName(checksum.alg));
      if (sent !== undefined && sent.trim() !== checksum.value) throw digestMismatch(checksum.alg);
    }
    const record: ObjectRecord = {
      v: 1,
      key,
      ...newVersion(bucket),
      size: blob.size,
      etag: multipartEtag(parts.map((p) => p.record.etag)),
      lastModified: Date.now(),
      headers: upload.headers,
      meta: upload.meta,
      tags: upload.tags,
      ...(upload.acl ? { acl: upload.acl } : {}),
      ...(upload.lock ? { lock: upload.lock } : {}),
      ...(checksum ? { checksum } : {}),
      parts: parts.map((p) => ({ size: p.record.size, ...(p.record.checksum ? { checksum: p.record.checksum.value } : {}) })),
      uploadId: upload.uploadId,
      ...(upload.sseCustomer ? { sseCustomer: upload.sseCustomer } : {}),
    };
    await blob.seal(record);
    let trash: string | undefined;
    await r.store.objects.commit(bucket, blob, record, {
      ...(condition ? { check: condition } : {}),
      before: async () => {
        if (!(await r.store.uploads.exists(bucket.name, upload.uploadId))) throw new S3Error('NoSuchUpload', undefined, { UploadId: upload.uploadId });
      },
      after: async () => {
        trash = await r.store.uploads.detach(bucket, upload.uploadId);
      },
    });
    if (trash) await rm(trash, { recursive: true, force: true });
    sendComplete(r, bucket, key, record);
  } finally {
    await closeAll(open.values());
    await blob?.discard();
  }
}

/** The answer echoes SSE-S3 / SSE-KMS, not SSE-C (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html#API_CompleteMultipartUpload_ResponseSyntax). */
function sendComplete(r: StoreRequest, bucket: Bucket, key: string, record: ObjectRecord): void {
  const { etag, checksum } = record;
  const location = `http://${header(r, 'host') ?? '127.0.0.1'}/${uriEncode(bucket.name, true)}/${uriEncode(key, false)}`;
  sendXml(r, 200, completeXml(location, bucket.name, key, etag, checksum), {
    ...writtenVersionHeaders(record),
    ...checksumHeaders(checksum),
    ...encryptionHeaders(record.headers, undefined),
  });
}
