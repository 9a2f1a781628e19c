// Embedded store, operations: checks and header sets several operations share (version ids, key length, an object's response headers).
import { checksumHeaderName } from '../../s3/checksums.js';
import { S3Error } from '../../s3/errors.js';
import type { StoreRequest } from '../context.js';
import { metadataHeaders } from '../metadata.js';
import type { ObjectRecord } from '../records.js';

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html: at most 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

export function checkKey(key: string): string {
  const size = Buffer.byteLength(key, 'utf8');
  if (size > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', undefined, { Size: size, MaxSizeAllowed: MAX_KEY_BYTES });
  return key;
}

/**
 * The store keeps one version per key (no versioning): "null" names it, as on an unversioned S3 bucket; any
 * other id cannot exist here (https://docs.aws.amazon.com/AmazonS3/latest/userguide/AddingObjectstoVersionSuspendedBuckets.html).
 */
export function checkVersionId(r: StoreRequest): void {
  const versionId = r.s3.query.get('versionId');
  if (versionId !== undefined && versionId !== 'null') {
    throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
  }
}

export const quote = (etag: string): string => `"${etag}"`;

/** Headers of a GET/HEAD answer that describe the object (not the range or the request). */
export function objectHeaders(record: ObjectRecord): Record<string, string> {
  return {
    ...metadataHeaders(record),
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
