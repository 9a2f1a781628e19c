// Embedded store, responses: the S3 result documents it answers with (bucket and object listings, multipart, tagging, ACL); pure.
import { xmlEscape } from '../s3/xml.js';
import type { IndexEntry } from './key-index.js';
import { s3UrlEncode, type Page } from './listing.js';
import type { GrantRecord, ObjectRecord, PartRecord, UploadRecord } from './records.js';

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

export interface Owner {
  id: string;
  displayName: string;
}

/** Escaped text; a CR becomes a character reference so that XML parsers' newline normalisation cannot eat it. */
function text(value: string): string {
  return xmlEscape(value).replace(/\r/g, '&#13;');
}

function el(name: string, value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  return `<${name}>${typeof value === 'string' ? text(value) : String(value)}</${name}>`;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const quoted = (etag: string): string => `"${etag}"`;
const ownerXml = (o: Owner): string => `<Owner>${el('ID', o.id)}${el('DisplayName', o.displayName)}</Owner>`;

export function listBucketsXml(owner: Owner, buckets: Array<{ name: string; created: number }>): string {
  const items = buckets.map((b) => `<Bucket>${el('Name', b.name)}${el('CreationDate', iso(b.created))}</Bucket>`).join('');
  return `${DECL}<ListAllMyBucketsResult xmlns="${NS}">${ownerXml(owner)}<Buckets>${items}</Buckets></ListAllMyBucketsResult>`;
}

/** GetBucketLocation: empty for us-east-1, as S3 answers (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html). */
export function locationXml(location: string | undefined): string {
  return `${DECL}<LocationConstraint xmlns="${NS}">${location && location !== 'us-east-1' ? text(location) : ''}</LocationConstraint>`;
}

/** GetBucketVersioning: no Status for a bucket that was never versioned (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketVersioning.html). */
export function versioningXml(status: string | undefined): string {
  return `${DECL}<VersioningConfiguration xmlns="${NS}">${el('Status', status)}</VersioningConfiguration>`;
}

function granteeXml(owner: Owner, g: GrantRecord['grantee']): string {
  const open = (type: string) => `<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="${type}">`;
  if (g.type === 'CanonicalUser') return `${open('CanonicalUser')}${el('ID', g.id)}${g.id === owner.id ? el('DisplayName', owner.displayName) : ''}</Grantee>`;
  if (g.type === 'Group') return `${open('Group')}${el('URI', g.uri)}</Grantee>`;
  return `${open('AmazonCustomerByEmail')}${el('EmailAddress', g.email)}</Grantee>`;
}

/** GetBucketAcl / GetObjectAcl (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAcl.html). */
export function aclXml(owner: Owner, grants: readonly GrantRecord[]): string {
  const list = grants.map((g) => `<Grant>${granteeXml(owner, g.grantee)}${el('Permission', g.permission)}</Grant>`).join('');
  return `${DECL}<AccessControlPolicy xmlns="${NS}">${ownerXml(owner)}<AccessControlList>${list}</AccessControlList></AccessControlPolicy>`;
}

export function taggingXml(tags: Array<[string, string]>): string {
  const items = tags.map(([k, v]) => `<Tag>${el('Key', k)}${el('Value', v)}</Tag>`).join('');
  return `${DECL}<Tagging xmlns="${NS}"><TagSet>${items}</TagSet></Tagging>`;
}

export interface ListObjectsXmlOptions {
  version: 1 | 2;
  bucket: string;
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  encoding?: 'url';
  owner?: Owner;
  /** v1 */
  marker?: string;
  /** v2 */
  continuationToken?: string;
  nextContinuationToken?: string;
  startAfter?: string;
}

/** ListObjects (v1) and ListObjectsV2 results (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html). */
export function listObjectsXml(page: Page<IndexEntry>, o: ListObjectsXmlOptions): string {
  const enc = (v: string | undefined): string | undefined => (v === undefined || o.encoding !== 'url' ? v : s3UrlEncode(v));
  let body = `${DECL}<ListBucketResult xmlns="${NS}">${el('Name', o.bucket)}${el('Prefix', enc(o.prefix))}`;
  if (o.version === 1) {
    body += el('Marker', enc(o.marker ?? ''));
    // NextMarker only with a delimiter; without one a client continues from the last key (API_ListObjects.html).
    if (page.truncated && o.delimiter !== undefined) body += el('NextMarker', enc(page.last));
  } else {
    body += el('KeyCount', page.contents.length + page.commonPrefixes.length);
    body += el('ContinuationToken', o.continuationToken);
    body += el('NextContinuationToken', o.nextContinuationToken);
    body += el('StartAfter', enc(o.startAfter));
  }
  body += el('MaxKeys', o.maxKeys) + el('Delimiter', enc(o.delimiter)) + el('EncodingType', o.encoding) + el('IsTruncated', page.truncated);
  for (const e of page.contents) {
    body += `<Contents>${el('Key', enc(e.key))}${el('LastModified', iso(e.lastModified))}${el('ETag', quoted(e.etag))}`;
    if (e.checksumAlgorithm) body += el('ChecksumAlgorithm', e.checksumAlgorithm) + el('ChecksumType', e.checksumType);
    body += `${el('Size', e.size)}${o.owner ? ownerXml(o.owner) : ''}${el('StorageClass', e.storageClass)}</Contents>`;
  }
  for (const p of page.commonPrefixes) body += `<CommonPrefixes>${el('Prefix', enc(p))}</CommonPrefixes>`;
  return `${body}</ListBucketResult>`;
}

export interface ListVersionsXmlOptions {
  bucket: string;
  prefix: string;
  delimiter?: string;
  maxKeys: number;
  encoding?: 'url';
  owner: Owner;
  keyMarker: string;
  versionIdMarker: string;
  truncated: boolean;
  next?: { key: string; versionId?: string };
}

/** ListObjectVersions (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectVersions.html): versions and delete markers in one sequence, by key, newest first. */
export function listVersionsXml(versions: Array<{ record: ObjectRecord; latest: boolean }>, commonPrefixes: string[], o: ListVersionsXmlOptions): string {
  const enc = (v: string | undefined): string | undefined => (v === undefined || o.encoding !== 'url' ? v : s3UrlEncode(v));
  let body = `${DECL}<ListVersionsResult xmlns="${NS}">${el('Name', o.bucket)}${el('Prefix', enc(o.prefix))}`;
  body += el('KeyMarker', enc(o.keyMarker)) + el('VersionIdMarker', o.versionIdMarker);
  if (o.truncated && o.next) body += el('NextKeyMarker', enc(o.next.key)) + el('NextVersionIdMarker', o.next.versionId);
  body += el('MaxKeys', o.maxKeys) + el('Delimiter', enc(o.delimiter)) + el('EncodingType', o.encoding) + el('IsTruncated', o.truncated);
  for (const { record: r, latest } of versions) {
    const common = `${el('Key', enc(r.key))}${el('VersionId', r.versionId ?? 'null')}${el('IsLatest', latest)}${el('LastModified', iso(r.lastModified))}`;
    if (r.deleteMarker) {
      body += `<DeleteMarker>${common}${ownerXml(o.owner)}</DeleteMarker>`;
      continue;
    }
    body += `<Version>${common}${el('ETag', quoted(r.etag))}${el('Size', r.size)}${el('StorageClass', r.headers['x-amz-storage-class'] ?? 'STANDARD')}`;
    if (r.checksum) body += el('ChecksumAlgorithm', r.checksum.alg) + el('ChecksumType', r.checksum.type);
    body += `${ownerXml(o.owner)}</Version>`;
  }
  for (const p of commonPrefixes) body += `<CommonPrefixes>${el('Prefix', enc(p))}</CommonPrefixes>`;
  return `${body}</ListVersionsResult>`;
}

export type AttributeName = 'ETag' | 'Checksum' | 'ObjectParts' | 'StorageClass' | 'ObjectSize';

/**
 * GetObjectAttributes (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html#API_GetObjectAttributes_ResponseSyntax):
 * the ETag without quotes; ObjectParts only for a multipart object, its Part list only when the parts have checksums.
 */
export function objectAttributesXml(r: ObjectRecord, wanted: ReadonlySet<AttributeName>, paging: { maxParts: number; partNumberMarker: number }): string {
  let body = `${DECL}<GetObjectAttributesResponse xmlns="${NS}">`;
  if (wanted.has('ETag')) body += el('ETag', r.etag);
  if (wanted.has('Checksum') && r.checksum) {
    body += `<Checksum>${el(`Checksum${r.checksum.alg}`, r.checksum.value)}${el('ChecksumType', r.checksum.type)}</Checksum>`;
  }
  if (wanted.has('ObjectParts') && r.parts) {
    const from = paging.partNumberMarker;
    const page = r.parts.map((p, i) => ({ ...p, number: i + 1 })).filter((p) => p.number > from);
    const shown = page.slice(0, paging.maxParts);
    const truncated = page.length > shown.length;
    body += `<ObjectParts>${el('PartsCount', r.parts.length)}${el('PartNumberMarker', from)}`;
    if (truncated) body += el('NextPartNumberMarker', shown.at(-1)?.number ?? from);
    body += el('MaxParts', paging.maxParts) + el('IsTruncated', truncated);
    if (r.checksum)
      for (const p of shown) body += `<Part>${el(`Checksum${r.checksum.alg}`, p.checksum)}${el('PartNumber', p.number)}${el('Size', p.size)}</Part>`;
    body += '</ObjectParts>';
  }
  if (wanted.has('StorageClass')) body += el('StorageClass', r.headers['x-amz-storage-class'] ?? 'STANDARD');
  if (wanted.has('ObjectSize')) body += el('ObjectSize', r.size);
  return `${body}</GetObjectAttributesResponse>`;
}

export function initiateXml(bucket: string, key: string, uploadId: string): string {
  return `${DECL}<InitiateMultipartUploadResult xmlns="${NS}">${el('Bucket', bucket)}${el('Key', key)}${el('UploadId', uploadId)}</InitiateMultipartUploadResult>`;
}

export interface ListPartsXmlOptions {
  bucket: string;
  upload: UploadRecord;
  owner: Owner;
  marker: number;
  maxParts: number;
  truncated: boolean;
  encoding?: 'url';
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html */
export function listPartsXml(parts: PartRecord[], o: ListPartsXmlOptions): string {
  const key = o.encoding === 'url' ? s3UrlEncode(o.upload.key) : o.upload.key;
  let body = `${DECL}<ListPartsResult xmlns="${NS}">${el('Bucket', o.bucket)}${el('Key', key)}${el('UploadId', o.upload.uploadId)}`;
  body += `<Initiator>${el('ID', o.owner.id)}${el('DisplayName', o.owner.displayName)}</Initiator>${ownerXml(o.owner)}`;
  body += el('StorageClass', o.upload.headers['x-amz-storage-class'] ?? 'STANDARD');
  body += el('PartNumberMarker', o.marker);
  if (o.truncated && parts.length > 0) body += el('NextPartNumberMarker', parts[parts.length - 1]!.partNumber);
  body += el('MaxParts', o.maxParts) + el('IsTruncated', o.truncated) + el('EncodingType', o.encoding);
  if (o.upload.checksum) body += el('ChecksumAlgorithm', o.upload.checksum.alg) + el('ChecksumType', o.upload.checksum.type);
  for (const p of parts) {
    body += `<Part>${el('PartNumber', p.partNumber)}${el('LastModified', iso(p.lastModified))}${el('ETag', quoted(p.etag))}${el('Size', p.size)}`;
    if (p.checksum) body += el(`Checksum${p.checksum.alg}`, p.checksum.value);
    body += '</Part>';
  }
  return `${body}</ListPartsResult>`;
}

export interface ListUploadsXmlOptions {
  bucket: string;
  owner: Owner;
  prefix: string;
  delimiter?: string;
  keyMarker: string;
  uploadIdMarker: string;
  maxUploads: number;
  encoding?: 'url';
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html */
export function listUploadsXml(page: Page<UploadRecord & { keyBytes: Buffer }>, o: ListUploadsXmlOptions): string {
  const enc = (v: string | undefined): string | undefined => (v === undefined || o.encoding !== 'url' ? v : s3UrlEncode(v));
  let body = `${DECL}<ListMultipartUploadsResult xmlns="${NS}">${el('Bucket', o.bucket)}`;
  body += el('KeyMarker', enc(o.keyMarker)) + el('UploadIdMarker', o.uploadIdMarker);
  const lastUpload = page.contents[page.contents.length - 1];
  if (page.truncated) {
    const lastIsPrefix = page.last !== undefined && page.commonPrefixes.includes(page.last) && lastUpload?.key !== page.last;
    body += el('NextKeyMarker', enc(page.last)) + el('NextUploadIdMarker', lastIsPrefix ? '' : lastUpload?.uploadId);
  }
  body +=
    el('Prefix', enc(o.prefix)) +
    el('Delimiter', enc(o.delimiter)) +
    el('MaxUploads', o.maxUploads) +
    el('EncodingType', o.encoding) +
    el('IsTruncated', page.truncated);
  for (const u of page.contents) {
    body += `<Upload>${el('Key', enc(u.key))}${el('UploadId', u.uploadId)}`;
    body += `<Initiator>${el('ID', o.owner.id)}${el('DisplayName', o.owner.displayName)}</Initiator>${ownerXml(o.owner)}`;
    body += el('StorageClass', u.headers['x-amz-storage-class'] ?? 'STANDARD') + el('Initiated', iso(u.initiated));
    if (u.checksum) body += el('ChecksumAlgorithm', u.checksum.alg) + el('ChecksumType', u.checksum.type);
    body += '</Upload>';
  }
  for (const p of page.commonPrefixes) body += `<CommonPrefixes>${el('Prefix', enc(p))}</CommonPrefixes>`;
  return `${body}</ListMultipartUploadsResult>`;
}

export function completeXml(location: string, bucket: string, key: string, etag: string, checksum?: { alg: string; value: string; type: string }): string {
  let body = `${DECL}<CompleteMultipartUploadResult xmlns="${NS}">${el('Location', location)}${el('Bucket', bucket)}${el('Key', key)}${el('ETag', quoted(etag))}`;
  if (checksum) body += el(`Checksum${checksum.alg}`, checksum.value) + el('ChecksumType', checksum.type);
  return `${body}</CompleteMultipartUploadResult>`;
}

export interface DeleteOutcome {
  key: string;
  /** The version the request named (echoed as VersionId). */
  versionId?: string;
  error?: { code: string; message: string };
  /** What was deleted or created: a delete marker, and its version id. */
  deleted?: { versionId?: string; deleteMarker?: boolean };
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html: Quiet leaves out what was deleted. */
export function deleteResultXml(outcomes: DeleteOutcome[], quiet: boolean): string {
  let body = `${DECL}<DeleteResult xmlns="${NS}">`;
  for (const o of outcomes) {
    if (o.error) body += `<Error>${el('Key', o.key)}${el('VersionId', o.versionId)}${el('Code', o.error.code)}${el('Message', o.error.message)}</Error>`;
    else if (!quiet) {
      body += `<Deleted>${el('Key', o.key)}${el('VersionId', o.versionId)}`;
      // A marker made by this delete (no version named) is DeleteMarkerVersionId; one deleted by id is the VersionId.
      if (o.deleted?.deleteMarker) body += el('DeleteMarker', true) + (o.versionId === undefined ? el('DeleteMarkerVersionId', o.deleted.versionId) : '');
      body += '</Deleted>';
    }
  }
  return `${body}</DeleteResult>`;
}
