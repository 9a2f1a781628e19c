// Embedded store, server-side copies: CopyObject (metadata and tagging directives) and UploadPartCopy (x-amz-copy-source-range), both with x-amz-copy-source-if-*.
import { createHash } from 'node:crypto';
import { createChecksum, requireChecksumAlgorithm, type ChecksumAlgorithm } from '../../s3/checksums.js';
import { copyPreconditionsFrom, evaluateCopyPreconditions } from '../../s3/copy-preconditions.js';
import { copyObjectResultXml, copyPartResultXml } from '../../s3/copy-result.js';
import { assertCopySourceSize, parseCopySource, resolveCopySourceRange } from '../../s3/copy-source.js';
import { S3Error } from '../../s3/errors.js';
import { parsePartNumber } from '../../s3/names.js';
import { bucketOf, header, keyOf, sendXml, type StoreRequest } from '../context.js';
import { TempBlob, blobStream } from '../disk/blob.js';
import { isVersionId } from '../disk/layout.js';
import { metadataFromRequest, parseTaggingHeader } from '../metadata.js';
import { noSuchVersion, type OpenObject } from '../objects.js';
import type { ObjectRecord, PartRecord } from '../records.js';
import { COPY_SOURCE_CUSTOMER, checkReadKey, checkUploadKey, customerKey, encryptionHeaders, withoutEncryption, writeEncryption } from '../sse.js';
import { drainBody } from '../body.js';
import { checkKey, newVersion, quote, requestAcl, requestLock, versionHeaders, writtenVersionHeaders } from './common.js';

/**
 * The source named by x-amz-copy-source, open, after its SSE-C key (x-amz-copy-source-server-side-encryption-customer-*,
 * checked as a read's) and its preconditions held. The caller owns the handle.
 */
async function openSource(r: StoreRequest): Promise<{ source: OpenObject; bucket: string; versionHeader: Record<string, string> }> {
  const src = r.s3.copySource ?? parseCopySource(header(r, 'x-amz-copy-source') ?? '');
  const sourceKey = customerKey(r.headers, COPY_SOURCE_CUSTOMER);
  const bucket = r.store.buckets.require(src.bucket);
  if (src.versionId !== undefined && !isVersionId(src.versionId)) {
    throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'x-amz-copy-source', ArgumentValue: header(r, 'x-amz-copy-source') });
  }
  const source = await r.store.objects.open(bucket.name, src.key, src.versionId, { markers: true });
  if (!source) throw src.versionId === undefined ? new S3Error('NoSuchKey', undefined, { Key: src.key }) : noSuchVersion(src.key, src.versionId);
  if (source.record.deleteMarker) {
    await source.handle.close();
    // https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html: a marker is no source.
    if (src.versionId === undefined) throw new S3Error('NoSuchKey', undefined, { Key: src.key });
    throw new S3Error('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.');
  }
  const { 'x-amz-version-id': sourceVersion } = versionHeaders(bucket, source.record);
  const versionHeader: Record<string, string> = sourceVersion === undefined ? {} : { 'x-amz-copy-source-version-id': sourceVersion };
  try {
    checkReadKey(source.record.sseCustomer, sourceKey);
    evaluateCopyPreconditions(copyPreconditionsFrom(r.headers), { etag: quote(source.record.etag), lastModified: new Date(source.record.lastModified) });
  } catch (err) {
    await source.handle.close();
    throw err;
  }
  return { source, bucket: bucket.name, versionHeader };
}

/** Copies bytes [first, last] of the source into a new temp file, hashing MD5 and `alg`. Closes the source. */
async function copyBytes(r: StoreRequest, source: OpenObject, first: number, last: number, alg: ChecksumAlgorithm | undefined) {
  let blob: TempBlob;
  try {
    blob = await TempBlob.create(r.store.layout.tempPath());
  } catch (err) {
    await source.handle.close();
    throw err;
  }
  const md5 = createHash('md5');
  const sum = alg ? createChecksum(alg) : undefined;
  try {
    await blob.append(blobStream(source, first, last), sum ? [md5, sum] : [md5]);
  } catch (err) {
    await blob.discard();
    throw err;
  }
  return { blob, etag: md5.digest('hex'), checksum: sum && alg ? { alg, value: sum.digestBase64() } : undefined };
}

function directive(r: StoreRequest, name: 'x-amz-metadata-directive' | 'x-amz-tagging-directive'): 'COPY' | 'REPLACE' {
  const value = header(r, name) ?? 'COPY';
  if (value !== 'COPY' && value !== 'REPLACE') {
    throw new S3Error('InvalidArgument', `Unknown ${name === 'x-amz-metadata-directive' ? 'metadata' : 'tagging'} directive.`, {
      ArgumentName: name,
      ArgumentValue: value,
    });
  }
  return value;
}

function checksumAlgorithmHeader(r: StoreRequest): ChecksumAlgorithm | undefined {
  const value = header(r, 'x-amz-checksum-algorithm');
  if (value === undefined) return undefined;
  return requireChecksumAlgorithm(value);
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html */
export async function copyObject(r: StoreRequest): Promise<void> {
  await drainBody(r);
  const dest = r.store.buckets.require(bucketOf(r));
  const key = checkKey(keyOf(r));
  const metadataDirective = directive(r, 'x-amz-metadata-directive');
  const taggingDirective = directive(r, 'x-amz-tagging-directive');
  // The destination's encryption is the request's (or the bucket default), never the source's, whatever the directive.
  const encryption = writeEncryption(r.headers, dest.record.encryption);
  // The copy gets the request's ACL, or the owner's: S3 never copies the source's ACL.
  const acl = requestAcl(r, dest);
  // Likewise its Object Lock state: the request's, or the bucket's default retention.
  const lock = requestLock(r, dest);
  const { source, bucket: sourceBucket, versionHeader } = await openSource(r);
  const src = source.record;
  const changes =
    metadataDirective === 'REPLACE' ||
    ['x-amz-storage-class', 'x-amz-website-redirect-location'].some((h) => header(r, h) !== undefined) ||
    Object.keys(r.headers).some((h) => h.startsWith('x-amz-server-side-encryption'));
  if (sourceBucket === dest.name && src.key === key && !changes) {
    await source.handle.close();
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  let meta: { headers: Record<string, string>; meta: Array<[string, string]> };
  let tags: Array<[string, string]>;
  let alg: ChecksumAlgorithm | undefined;
  try {
    assertCopySourceSize(source.dataSize);
    meta =
      metadataDirective === 'REPLACE'
        ? metadataFromRequest(r.headers, dest.record.encryption)
        : { headers: { ...withoutEncryption(src.headers), ...encryption.headers }, meta: src.meta };
    if (metadataDirective === 'COPY') {
      // Storage class and encryption are set by the copy request even when the metadata is copied.
      for (const h of ['x-amz-storage-class', 'x-amz-website-redirect-location']) {
        const v = header(r, h);
        if (v !== undefined) meta.headers[h] = v;
      }
      if (meta.headers['x-amz-storage-class'] === 'STANDARD') delete meta.headers['x-amz-storage-class'];
    }
    tags = taggingDirective === 'REPLACE' ? parseTaggingHeader(header(r, 'x-amz-tagging')) : await r.store.objects.tags(sourceBucket, src, source.path);
    // The copy keeps the source's checksum algorithm unless the request names another; a whole-object value either way.
    alg = checksumAlgorithmHeader(r) ?? src.checksum?.alg;
  } catch (err) {
    await source.handle.close();
    throw err;
  }
  const copied = await copyBytes(r, source, 0, source.dataSize - 1, alg);
  try {
    const record: ObjectRecord = {
      v: 1,
      key,
      ...newVersion(dest),
      size: copied.blob.size,
      etag: copied.etag,
      lastModified: Date.now(),
      headers: meta.headers,
      meta: meta.meta,
      tags,
      ...(acl ? { acl } : {}),
      ...(lock ? { lock } : {}),
      ...(copied.checksum ? { checksum: { ...copied.checksum, type: 'FULL_OBJECT' as const } } : {}),
      ...(encryption.customer ? { sseCustomer: encryption.customer } : {}),
    };
    await copied.blob.seal(record);
    await r.store.objects.commit(dest, copied.blob, record);
    const checksums = copied.checksum ? { [copied.checksum.alg]: copied.checksum.value, ChecksumType: 'FULL_OBJECT' } : undefined;
    sendXml(r, 200, copyObjectResultXml({ etag: quote(record.etag), lastModified: new Date(record.lastModified), ...(checksums ? { checksums } : {}) }), {
      ...encryptionHeaders(record.headers, record.sseCustomer, { context: true }),
      ...versionHeader,
      ...writtenVersionHeaders(record),
    });
  } finally {
    await copied.blob.discard();
  }
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html */
export async function uploadPartCopy(r: StoreRequest): Promise<void> {
  await drainBody(r);
  const bucket = r.store.buckets.require(bucketOf(r));
  const partNumber = parsePartNumber(r.s3.query.get('partNumber'));
  const presented = customerKey(r.headers);
  const upload = await r.store.uploads.get(bucket.name, r.s3.query.get('uploadId'), keyOf(r));
  checkUploadKey(upload.sseCustomer, presented);
  const { source, versionHeader } = await openSource(r);
  let range: { first: number; last: number };
  try {
    const rangeHeader = header(r, 'x-amz-copy-source-range');
    range = resolveCopySourceRange(rangeHeader, source.dataSize);
    if (rangeHeader === undefined) assertCopySourceSize(source.dataSize);
  } catch (err) {
    await source.handle.close();
    throw err;
  }
  const copied = await copyBytes(r, source, range.first, range.last, upload.checksum?.alg);
  try {
    const record: PartRecord = {
      v: 1,
      partNumber,
      size: copied.blob.size,
      etag: copied.etag,
      lastModified: Date.now(),
      ...(copied.checksum ? { checksum: copied.checksum } : {}),
    };
    await copied.blob.seal(record);
    await r.store.uploads.commitPart(bucket, upload.uploadId, partNumber, copied.blob);
    const checksums = copied.checksum ? { [copied.checksum.alg]: copied.checksum.value } : undefined;
    sendXml(r, 200, copyPartResultXml({ etag: quote(record.etag), lastModified: new Date(record.lastModified), ...(checksums ? { checksums } : {}) }), {
      ...encryptionHeaders(upload.headers, upload.sseCustomer),
      ...versionHeader,
    });
  } finally {
    await copied.blob.discard();
  }
}
