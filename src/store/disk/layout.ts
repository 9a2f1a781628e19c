// Embedded store, on disk: where everything lives under the data folder. No path is ever built from a raw name:
// buckets are hex-encoded, keys hashed, upload ids checked against the shape this store issues.
//
//   <dir>/store.json                             format marker
//   <dir>/tmp/                                   bodies being written; emptied at start (a crash leaves nothing visible)
//   <dir>/buckets/<hex(bucket)>/bucket.json      name, creation date, location
//   <dir>/buckets/<hex(bucket)>/objects/<h[0:2]>/<h>        h = sha256(key): data, then the record (blob.ts)
//   <dir>/buckets/<hex(bucket)>/objects/<h[0:2]>/<h>.tags   tags set after the upload, tied to one version
//   <dir>/buckets/<hex(bucket)>/objects/<h[0:2]>/<h>.acl    an ACL set after the upload, likewise
//   <dir>/buckets/<hex(bucket)>/versions/<h[0:2]>/<h>/<versionId>[.tags|.acl]   non-current versions (versioned buckets)
//   <dir>/buckets/<hex(bucket)>/uploads/<uploadId>/upload.json, /<00001…10000> (parts, same blob format)
import { createHash, randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { S3Error } from '../../s3/errors.js';

/** 32 random bytes, base64url: what CreateMultipartUpload hands out and the only shape UploadPart & co. accept. */
const UPLOAD_ID = /^[A-Za-z0-9_-]{43}$/;

export function newUploadId(): string {
  return randomBytes(32).toString('base64url');
}

/** NoSuchUpload for anything this store did not issue, before it comes near a path. */
export function checkUploadId(uploadId: string | undefined): string {
  if (uploadId === undefined || !UPLOAD_ID.test(uploadId)) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
  return uploadId;
}

/** What x-amz-version-id can be here: "null", or a version id the store issued (newVersionId in blob.ts). */
export function isVersionId(value: string): boolean {
  return value === 'null' || /^[0-9a-f]{24}$/.test(value);
}

function keyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export class Layout {
  readonly root: string;
  readonly tmp: string;
  readonly buckets: string;
  readonly marker: string;
  readonly lockFile: string;

  constructor(dir: string) {
    this.root = resolve(dir);
    this.tmp = join(this.root, 'tmp');
    this.buckets = join(this.root, 'buckets');
    this.marker = join(this.root, 'store.json');
    this.lockFile = join(this.root, 'store.lock');
  }

  bucketDir(bucket: string): string {
    return join(this.buckets, Buffer.from(bucket, 'utf8').toString('hex'));
  }

  /** The bucket name a folder under buckets/ stands for, or undefined for anything that is not ours. */
  static bucketFromDirName(name: string): string | undefined {
    return /^(?:[0-9a-f]{2}){1,255}$/.test(name) ? Buffer.from(name, 'hex').toString('utf8') : undefined;
  }

  bucketFile(bucket: string): string {
    return join(this.bucketDir(bucket), 'bucket.json');
  }

  objectsDir(bucket: string): string {
    return join(this.bucketDir(bucket), 'objects');
  }

  objectPath(bucket: string, key: string): string {
    const h = keyHash(key);
    return join(this.objectsDir(bucket), h.slice(0, 2), h);
  }

  tagsPath(bucket: string, key: string): string {
    return `${this.objectPath(bucket, key)}.tags`;
  }

  aclPath(bucket: string, key: string): string {
    return `${this.objectPath(bucket, key)}.acl`;
  }

  versionsDir(bucket: string): string {
    return join(this.bucketDir(bucket), 'versions');
  }

  /** The folder of a key's non-current versions. */
  keyVersionsDir(bucket: string, key: string): string {
    const h = keyHash(key);
    return join(this.versionsDir(bucket), h.slice(0, 2), h);
  }

  /** A non-current version's file; undefined for an id this store cannot have issued ("null" or 24 hex digits). */
  versionPath(bucket: string, key: string, versionId: string): string | undefined {
    if (!isVersionId(versionId)) return undefined;
    return join(this.keyVersionsDir(bucket, key), versionId);
  }

  uploadsDir(bucket: string): string {
    return join(this.bucketDir(bucket), 'uploads');
  }

  uploadDir(bucket: string, uploadId: string): string {
    return join(this.uploadsDir(bucket), checkUploadId(uploadId));
  }

  partPath(bucket: string, uploadId: string, partNumber: number): string {
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) throw new RangeError('part number');
    return join(this.uploadDir(bucket, uploadId), String(partNumber).padStart(5, '0'));
  }

  /** A fresh name in the temp area. */
  tempPath(): string {
    return join(this.tmp, randomBytes(12).toString('hex'));
  }
}
