// Embedded store, operations: checks and header sets several operations share (version ids, key length, an object's response headers).
import { checksumHeaderName } from '../../s3/checksums.js';
import { S3Error } from '../../s3/errors.js';
import { assertAclAllowed } from '../access.js';
import { aclFromHeaders } from '../acl.js';
import type { Bucket } from '../buckets.js';
import type { StoreRequest } from '../context.js';
import { newVersionId } from '../disk/blob.js';
import { isVersionId } from '../disk/layout.js';
import { metadataHeaders } from '../metadata.js';
import { noSuchVersion, versionIdOf, type DeleteGuard } from '../objects.js';
import { assertDeletable, lockFromHeaders } from '../object-lock.js';
import type { GrantRecord, LockRecord, ObjectRecord } from '../records.js';
import { SSE_CONTEXT, encryptionHeaders } from '../sse.js';

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html: at most 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

export function checkKey(key: string): string {
  const size = Buffer.byteLength(key, 'utf8');
  if (size > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', undefined, { Size: size, MaxSizeAllowed: MAX_KEY_BYTES });
  return key;
}

/**
 * The versionId query parameter: undefined when absent, else "null" or an id of the shape this store issues (any
 * other cannot exist here: S3 answers InvalidArgument to it).
 */
export function versionIdParam(r: StoreRequest): string | undefined {
  const versionId = r.s3.query.get('versionId');
  if (versionId !== undefined && !isVersionId(versionId)) {
    throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
  }
  return versionId;
}

/** The object version a subresource request (ACL, tagging) names: the current one, or ?versionId's; NoSuchKey / NoSuchVersion. */
export async function requireVersion(r: StoreRequest): Promise<{ bucket: Bucket; record: ObjectRecord; versionId: string | undefined }> {
  const bucket = r.store.buckets.require(r.s3.bucket!);
  const versionId = versionIdParam(r);
  const key = r.s3.key!;
  const record = await r.store.objects.record(bucket.name, key, versionId);
  if (!record) throw versionId === undefined ? new S3Error('NoSuchKey', undefined, { Key: key }) : noSuchVersion(key, versionId);
  return { bucket, record, versionId };
}

/** The ACL a write request sets with x-amz-acl / x-amz-grant-* (undefined: none), refused if the bucket blocks public ACLs. */
export function requestAcl(r: StoreRequest, bucket: Bucket): GrantRecord[] | undefined {
  const acl = aclFromHeaders(r.headers, r.store.owner);
  assertAclAllowed(bucket, acl);
  return acl;
}

/** The Object Lock state a write request gives the new version (headers, else the bucket's default retention). */
export function requestLock(r: StoreRequest, bucket: Bucket): LockRecord | undefined {
  return lockFromHeaders(r.headers, bucket.record.objectLock, Date.now());
}

/** In an Object Lock bucket, what keeps a locked version from DeleteObject(s) by version id. */
export function deleteGuard(r: StoreRequest, bucket: Bucket): DeleteGuard | undefined {
  return bucket.record.objectLock ? (lock) => assertDeletable(lock, r.headers, Date.now()) : undefined;
}

/** The ids of a new write: its vid, and as its version id the same when the bucket's versioning is Enabled ("null" otherwise). */
export function newVersion(bucket: Bucket): { vid: string; versionId?: string } {
  const vid = newVersionId();
  return bucket.record.versioning === 'Enabled' ? { vid, versionId: vid } : { vid };
}

/** x-amz-version-id of an answer that wrote this version: only a real id ("null" versions go unnamed, as S3 answers). */
export function writtenVersionHeaders(record: ObjectRecord): Record<string, string> {
  return record.versionId !== undefined ? { 'x-amz-version-id': record.versionId } : {};
}

/** x-amz-version-id of an answer about this version: sent once the bucket was ever versioned (or the version has an id). */
export function versionHeaders(bucket: Bucket, record: ObjectRecord): Record<string, string> {
  return bucket.record.versioning !== undefined || record.versionId !== undefined ? { 'x-amz-version-id': versionIdOf(record) } : {};
}

export const quote = (etag: string): string => `"${etag}"`;

/** Headers of a GET/HEAD answer that describe the object (not the range or the request); no SSE-KMS context (S3 sends none). */
export function objectHeaders(record: ObjectRecord): Record<string, string> {
  const { [SSE_CONTEXT]: _context, ...described } = metadataHeaders(record);
  return {
    ...described,
    ...encryptionHeaders({}, record.sseCustomer),
    etag: quote(record.etag),
    'last-modified': new Date(record.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
  };
}

/** x-amz-checksum-<alg> (and its type) for an answer. */
export function checksumHeaders(checksum: { alg: Parameters<typeof checksumHeaderName>[0]; value: string; type?: string } | undefined): Record<string, string> {
  if (!checksum) return {};
  return { [checksumHeaderName(checksum.alg)]: checksum.value, ...(checksum.type ? { 'x-amz-checksum-type': checksum.type } : {}) };
}
