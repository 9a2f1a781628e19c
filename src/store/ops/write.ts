// Embedded store, writing objects: PutObject, DeleteObject, DeleteObjects.
import { S3Error } from '../../s3/errors.js';
import { readSmallBody, receiveInto } from '../body.js';
import { evaluateWriteConditions } from '../conditions.js';
import { bucketOf, header, keyOf, sendEmpty, sendXml, type StoreRequest } from '../context.js';
import { TempBlob } from '../disk/blob.js';
import { expirationHeader } from '../lifecycle.js';
import { metadataFromRequest, parseTaggingHeader } from '../metadata.js';
import type { ObjectRecord } from '../records.js';
import { encryptionHeaders } from '../sse.js';
import { parseDelete } from '../xml-docs.js';
import { deleteResultXml, type DeleteOutcome } from '../xml-write.js';
import { isVersionId } from '../disk/layout.js';
import {
  checkKey,
  checksumHeaders,
  deleteGuard,
  MAX_KEY_BYTES,
  newVersion,
  quote,
  requestAcl,
  requestLock,
  versionIdParam,
  writtenVersionHeaders,
} from './common.js';

/** Conditional writes are judged at commit time (inside the bucket lock), and once before the body is read. */
function writeCondition(r: StoreRequest): ((current: ObjectRecord | undefined) => void) | undefined {
  if (header(r, 'if-none-match') === undefined && header(r, 'if-match') === undefined) return undefined;
  return (current) => evaluateWriteConditions(r.headers, current && { etag: quote(current.etag) });
}

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html. The body goes to a temp file; the object
 * exists only after its whole body arrived, every check passed and the file was synced and renamed into place.
 */
export async function putObject(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const key = checkKey(keyOf(r));
  const meta = metadataFromRequest(r.headers, bucket.record.encryption);
  const tags = parseTaggingHeader(header(r, 'x-amz-tagging'));
  const acl = requestAcl(r, bucket);
  const lock = requestLock(r, bucket);
  const condition = writeCondition(r);
  if (condition) condition(await r.store.objects.record(bucket.name, key));
  const blob = await TempBlob.create(r.store.layout.tempPath());
  try {
    const got = await receiveInto(r, blob);
    const record: ObjectRecord = {
      v: 1,
      key,
      ...newVersion(bucket),
      size: got.size,
      etag: got.md5.toString('hex'),
      lastModified: Date.now(),
      headers: meta.headers,
      meta: meta.meta,
      tags,
      ...(acl ? { acl } : {}),
      ...(lock ? { lock } : {}),
      ...(got.checksum ? { checksum: { ...got.checksum, type: 'FULL_OBJECT' as const } } : {}),
      ...(meta.sseCustomer ? { sseCustomer: meta.sseCustomer } : {}),
    };
    await blob.seal(record);
    await r.store.objects.commit(bucket, blob, record, { check: condition });
    const expiration = expirationHeader(bucket.record.configs?.lifecycle, record);
    sendEmpty(r, 200, {
      etag: quote(record.etag),
      ...checksumHeaders(record.checksum),
      ...encryptionHeaders(record.headers, record.sseCustomer, { context: true }),
      ...writtenVersionHeaders(record),
      ...(expiration ? { 'x-amz-expiration': expiration } : {}),
    });
  } finally {
    await blob.discard();
  }
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html: 204 whether or not the key existed. */
export async function deleteObject(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const deleted = await r.store.objects.delete(bucket, keyOf(r), versionIdParam(r), deleteGuard(r, bucket));
  sendEmpty(r, 204, {
    ...(deleted.versionId !== undefined ? { 'x-amz-version-id': deleted.versionId } : {}),
    ...(deleted.deleteMarker ? { 'x-amz-delete-marker': 'true' } : {}),
  });
}

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html: the body must carry Content-MD5 or an
 * x-amz-checksum-* (S3 refuses it otherwise); each key succeeds or fails on its own.
 */
export async function deleteObjects(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const hasIntegrity =
    Object.keys(r.headers).some((h) => h === 'content-md5' || (h.startsWith('x-amz-checksum-') && h !== 'x-amz-checksum-algorithm')) ||
    header(r, 'x-amz-trailer') !== undefined;
  if (!hasIntegrity) throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5');
  const request = parseDelete(await readSmallBody(r));
  const outcomes: DeleteOutcome[] = [];
  for (const { key, versionId } of request.objects) {
    const named = versionId === undefined ? {} : { versionId };
    if (versionId !== undefined && !isVersionId(versionId)) {
      outcomes.push({ key, ...named, error: { code: 'NoSuchVersion', message: 'The specified version does not exist.' } });
    } else if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
      outcomes.push({ key, ...named, error: { code: 'KeyTooLongError', message: 'Your key is too long' } });
    } else {
      try {
        outcomes.push({ key, ...named, deleted: await r.store.objects.delete(bucket, key, versionId, deleteGuard(r, bucket)) });
      } catch (err) {
        if (!(err instanceof S3Error)) throw err;
        outcomes.push({ key, ...named, error: { code: err.code, message: err.message } });
      }
    }
  }
  sendXml(r, 200, deleteResultXml(outcomes, request.quiet));
}
