// Embedded store, on disk: the JSON records kept with buckets, objects, parts and multipart uploads (the shapes, no I/O).
import type { ChecksumAlgorithm } from '../s3/checksums.js';

export type ChecksumType = 'FULL_OBJECT' | 'COMPOSITE';

export interface BucketRecord {
  v: 1;
  name: string;
  /** ms since the epoch */
  created: number;
  /** LocationConstraint given at creation, if any. */
  location?: string;
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
}

export interface TagsRecord {
  v: 1;
  vid: string;
  tags: Array<[string, string]>;
}
