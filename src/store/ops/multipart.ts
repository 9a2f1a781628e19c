// Embedded store, multipart uploads: CreateMultipartUpload, UploadPart, ListParts, AbortMultipartUpload (CompleteMultipartUpload is complete.ts).
import { requireChecksumAlgorithm, type ChecksumAlgorithm } from '../../s3/checksums.js';
import { parsePartNumber } from '../../s3/names.js';
import { S3Error } from '../../s3/errors.js';
import { announcedChecksum, drainBody, receiveInto } from '../body.js';
import { bucketOf, header, keyOf, sendEmpty, sendXml, type StoreRequest } from '../context.js';
import { TempBlob } from '../disk/blob.js';
import { parseEncodingType, parseMaxKeys } from '../listing.js';
import { metadataFromRequest, parseTaggingHeader } from '../metadata.js';
import type { ChecksumType, PartRecord, UploadRecord } from '../records.js';
import { checkUploadKey, customerKey, encryptionHeaders } from '../sse.js';
import { initiateXml, listPartsXml } from '../xml-write.js';
import { checkKey, checksumHeaders, quote, requestAcl, requestLock } from './common.js';

/**
 * x-amz-checksum-algorithm and x-amz-checksum-type of CreateMultipartUpload
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html#ChecksumTypes): CRC64NVME
 * is always FULL_OBJECT, the SHA algorithms always COMPOSITE, CRC32/CRC32C either (COMPOSITE unless asked).
 */
function uploadChecksum(algValue: string | undefined, typeValue: string | undefined): UploadRecord['checksum'] {
  if (algValue === undefined) {
    if (typeValue !== undefined)
      throw new S3Error('InvalidRequest', 'The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.');
    return undefined;
  }
  const alg = requireChecksumAlgorithm(algValue);
  const type = (typeValue?.toUpperCase() ?? (alg === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE')) as ChecksumType;
  if (type !== 'FULL_OBJECT' && type !== 'COMPOSITE') throw new S3Error('InvalidRequest', 'Value for x-amz-checksum-type header is invalid.');
  if (type === 'FULL_OBJECT' && (alg === 'SHA1' || alg === 'SHA256')) {
    throw new S3Error('InvalidRequest', `The FULL_OBJECT checksum type cannot be used with the ${alg.toLowerCase()} checksum algorithm.`);
  }
  if (type === 'COMPOSITE' && alg === 'CRC64NVME')
    throw new S3Error('InvalidRequest', 'The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.');
  return { alg, type };
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html */
export async function createMultipartUpload(r: StoreRequest): Promise<void> {
  await drainBody(r);
  const bucket = r.store.buckets.require(bucketOf(r));
  const key = checkKey(keyOf(r));
  const meta = metadataFromRequest(r.headers, bucket.record.encryption);
  const tags = parseTaggingHeader(header(r, 'x-amz-tagging'));
  const acl = requestAcl(r, bucket);
  const lock = requestLock(r, bucket);
  const checksum = uploadChecksum(header(r, 'x-amz-checksum-algorithm'), header(r, 'x-amz-checksum-type'));
  const upload = await r.store.uploads.create(bucket, {
    key,
    initiated: Date.now(),
    headers: meta.headers,
    meta: meta.meta,
    tags,
    ...(acl ? { acl } : {}),
    ...(lock ? { lock } : {}),
    ...(checksum ? { checksum } : {}),
    ...(meta.sseCustomer ? { sseCustomer: meta.sseCustomer } : {}),
  });
  const headers: Record<string, string> = {
    ...(checksum ? { 'x-amz-checksum-algorithm': checksum.alg, 'x-amz-checksum-type': checksum.type } : {}),
    ...encryptionHeaders(upload.headers, upload.sseCustomer, { context: true }),
  };
  sendXml(r, 200, initiateXml(bucket.name, key, upload.uploadId), headers);
}

function checksumMismatch(expected: ChecksumAlgorithm, actual: ChecksumAlgorithm): S3Error {
  return new S3Error(
    'InvalidRequest',
    `Checksum Type mismatch occurred, expected checksum Type: ${expected.toLowerCase()}, actual checksum Type: ${actual.toLowerCase()}`,
  );
}

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html. A part of an upload created with a checksum
 * algorithm must not carry another one; if it carries none, the store computes it (ListParts and Complete need it).
 */
export async function uploadPart(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const partNumber = parsePartNumber(r.s3.query.get('partNumber'));
  const presented = customerKey(r.headers);
  const upload = await r.store.uploads.get(bucket.name, r.s3.query.get('uploadId'), keyOf(r));
  checkUploadKey(upload.sseCustomer, presented);
  const announced = announcedChecksum(r);
  if (upload.checksum && announced && announced !== upload.checksum.alg) throw checksumMismatch(upload.checksum.alg, announced);
  const blob = await TempBlob.create(r.store.layout.tempPath());
  try {
    const got = await receiveInto(r, blob, upload.checksum?.alg);
    const record: PartRecord = {
      v: 1,
      partNumber,
      size: got.size,
      etag: got.md5.toString('hex'),
      lastModified: Date.now(),
      ...(got.checksum ? { checksum: got.checksum } : {}),
    };
    await blob.seal(record);
    await r.store.uploads.commitPart(bucket, upload.uploadId, partNumber, blob);
    sendEmpty(r, 200, { etag: quote(record.etag), ...checksumHeaders(record.checksum), ...encryptionHeaders(upload.headers, upload.sseCustomer) });
  } finally {
    await blob.discard();
  }
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html */
export async function listParts(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const upload = await r.store.uploads.get(bucket.name, r.s3.query.get('uploadId'), keyOf(r));
  const maxParts = parseMaxKeys(r.s3.query.get('max-parts'), 'max-parts');
  const markerValue = r.s3.query.get('part-number-marker') ?? '0';
  if (!/^\d{1,9}$/.test(markerValue)) {
    throw new S3Error('InvalidArgument', 'Provided part-number-marker not an integer or within integer range', {
      ArgumentName: 'part-number-marker',
      ArgumentValue: markerValue,
    });
  }
  const marker = Number(markerValue);
  const encoding = parseEncodingType(r.s3.query.get('encoding-type'));
  const after = (await r.store.uploads.parts(bucket.name, upload.uploadId)).filter((p) => p.partNumber > marker);
  const parts = after.slice(0, maxParts);
  sendXml(
    r,
    200,
    listPartsXml(parts, { bucket: bucket.name, upload, owner: r.store.owner, marker, maxParts, truncated: after.length > parts.length, encoding }),
  );
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_AbortMultipartUpload.html: the parts are deleted with it. */
export async function abortMultipartUpload(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const upload = await r.store.uploads.get(bucket.name, r.s3.query.get('uploadId'), keyOf(r));
  await r.store.uploads.abort(bucket, upload.uploadId);
  sendEmpty(r, 204);
}
