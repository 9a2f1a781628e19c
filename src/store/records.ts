// Embedded store, on disk: the JSON records kept with buckets, objects, parts and multipart uploads (the shapes, no I/O).
import type { ChecksumAlgorithm } from '../s3/checksums.js';

export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

/** One ACL grant (https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html). */
export interface GrantRecord {
  grantee: { type: 'CanonicalUser'; id: string } | { type: 'Group'; uri: string } | { type: 'AmazonCustomerByEmail'; email: string };
  permission: 'FULL_CONTROL' | 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP';
}

/** A bucket's default encryption (PutBucketEncryption): applied to writes that ask for none. */
export interface DefaultEncryption {
  algorithm: 'AES256' | 'aws:kms' | 'aws:kms:dsse';
  kmsKeyId?: string;
  bucketKeyEnabled?: boolean;
}

/** A bucket with Object Lock: its default retention, if any (object-lock.ts). */
export interface BucketLockRecord {
  defaultRetention?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; days?: number; years?: number };
}

/** One version's Object Lock state: a retention (mode until a time in ms) and/or a legal hold. */
export interface LockRecord {
  mode?: 'GOVERNANCE' | 'COMPLIANCE';
  until?: number;
  legalHold?: 'ON' | 'OFF';
}

/** SSE-C: only the key's MD5 (base64, as the client sends it) is kept, never the key. */
export interface SseCustomerRecord {
  algorithm: 'AES256';
  keyMd5: string;
}

export interface BucketRecord {
  v: 1;
  name: string;
  /** ms since the epoch */
  created: number;
  /** LocationConstraint given at creation, if any. */
  location?: string;
  /** The bucket ACL; absent means the owner's FULL_CONTROL only. */
  acl?: GrantRecord[];
  /** Set when the bucket was created with Object Lock (it is then always versioned). */
  objectLock?: BucketLockRecord;
  /** PutBucketVersioning's state; absent: never versioned (every object is the "null" version). */
  versioning?: 'Enabled' | 'Suspended';
  /** Configuration documents by subresource (lifecycle, policy, cors, tagging...), as the client sent them, validated. */
  configs?: Record<string, string>;
  encryption?: DefaultEncryption;
}

export interface ObjectRecord {
  v: 1;
  key: string;
  /** Random per write: tags set later (the .tags file) name the version they belong to. */
  vid: string;
  size: number;
  /** Without quotes: an MD5 in hex, or md5-of-md5s-N for a multipart upload. */
  etag: string;
  lastModified: number;
  headers: Record<string, string>;
  meta: Array<[string, string]>;
  tags: Array<[string, string]>;
  checksum?: { alg: ChecksumAlgorithm; value: string; type: ChecksumType };
  /** Multipart objects: each part's size (and checksum), for GetObject?partNumber and x-amz-mp-parts-count. */
  parts?: Array<{ size: number; checksum?: string }>;
  /** Multipart objects: the upload they completed, so that a repeated Complete of it answers as the first did. */
  uploadId?: string;
  /** The object ACL; absent means the owner's FULL_CONTROL only. */
  acl?: GrantRecord[];
  sseCustomer?: SseCustomerRecord;
  /** Its version id when written while versioning was Enabled (then equal to vid); absent: the "null" version. */
  versionId?: string;
  /** A delete marker: no data, and GET of the key answers NoSuchKey while it is the current version. */
  deleteMarker?: true;
  /** Object Lock state given at upload (PutObjectRetention / PutObjectLegalHold later write a .lock side file). */
  lock?: LockRecord;
}

export interface PartRecord {
  v: 1;
  partNumber: number;
  size: number;
  etag: string;
  lastModified: number;
  checksum?: { alg: ChecksumAlgorithm; value: string };
}

export interface UploadRecord {
  v: 1;
  key: string;
  uploadId: string;
  initiated: number;
  headers: Record<string, string>;
  meta: Array<[string, string]>;
  tags: Array<[string, string]>;
  checksum?: { alg: ChecksumAlgorithm; type: ChecksumType };
  acl?: GrantRecord[];
  sseCustomer?: SseCustomerRecord;
  lock?: LockRecord;
}

export interface TagsRecord {
  v: 1;
  vid: string;
  tags: Array<[string, string]>;
}

/** An ACL set by PutObjectAcl after the upload, tied to one version like TagsRecord. */
export interface AclRecord {
  v: 1;
  vid: string;
  acl: GrantRecord[];
}

/** Object Lock state set after the upload, tied to one version like TagsRecord. */
export interface LockSideRecord {
  v: 1;
  vid: string;
  lock: LockRecord;
}
