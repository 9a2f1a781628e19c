// Names that reach a backend (buckets, keys, upload and version ids, part numbers), validated where they enter: pure (security.md §3).
import { S3Error } from './errors.js';

// Bucket names: AWS's current rules are stricter, but legacy buckets (uppercase, "_") still exist on several
// stores, so accept what some S3 store could have and refuse what no store can: no "/", "\", "%", spaces, and
// nothing that is a path segment of its own ("." or "..") — a bucket name is always one path segment.
const BUCKET_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,254}$/;

export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME.test(name);
}

export function assertBucketName(name: string): void {
  if (!BUCKET_NAME.test(name)) throw new S3Error('InvalidBucketName', undefined, { BucketName: name });
}

/**
 * A key with a "." or ".." segment (between "/" or "\" separators, or the whole key) can be resolved by a store
 * that treats keys as paths into another bucket or out of its folder. AWS S3 keeps such keys literally; most other
 * stores normalise them (security.md §3.2).
 */
export function hasDotSegment(key: string): boolean {
  if (!key.includes('.')) return false;
  return key.split(/[/\\]/).some((seg) => seg === '.' || seg === '..');
}

/** Refuses a key with dot segments unless the backend is known to keep them literal (capabilities.literalKeys). */
export function assertLiteralKey(key: string, literalKeys: boolean, argumentName = 'key'): void {
  if (!literalKeys && hasDotSegment(key)) {
    throw new S3Error('InvalidArgument', 'Object keys with "." or ".." path segments are not accepted by this endpoint.', {
      ArgumentName: argumentName,
      ArgumentValue: key,
    });
  }
}

const MAX_TOKEN_LENGTH = 1024;

/**
 * uploadId and versionId are opaque tokens a backend issued (security.md §3.3). Printable ASCII without "\",
 * not starting with "/", no "." or ".." segment: whatever a store does with it, it cannot name a path elsewhere.
 * Real ids (AWS, MinIO, Ceph "2~…", GCS, moto, R2, B2) all fit.
 */
export function assertToken(value: string, name: 'uploadId' | 'versionId'): void {
  const ok =
    value.length > 0 &&
    value.length <= MAX_TOKEN_LENGTH &&
    /^[\x21-\x7e]+$/.test(value) &&
    !value.includes('\\') &&
    !value.startsWith('/') &&
    !hasDotSegment(value);
  if (!ok) {
    if (name === 'uploadId') throw new S3Error('NoSuchUpload', undefined, { UploadId: value });
    throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: value });
  }
}

const MSG_PART_NUMBER = 'Part number must be an integer between 1 and 10000, inclusive';

/** partNumber: a plain decimal 1…10000 (copy-semantics.md §6.2). */
export function parsePartNumber(value: string | undefined): number {
  const n = value !== undefined && /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 10000)) throw new S3Error('InvalidArgument', MSG_PART_NUMBER, { ArgumentName: 'partNumber', ArgumentValue: value });
  return n;
}
