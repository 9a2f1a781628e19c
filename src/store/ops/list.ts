// Embedded store, listings: ListObjects (v1), ListObjectsV2 and ListMultipartUploads over a bucket's sorted keys.
import { S3Error } from '../../s3/errors.js';
import { bucketOf, sendXml, type StoreRequest } from '../context.js';
import { decodeContinuationToken, encodeContinuationToken, listPage, parseEncodingType, parseMaxKeys, utf8 } from '../listing.js';
import type { UploadRecord } from '../records.js';
import { listObjectsXml, listUploadsXml } from '../xml-write.js';

/** Empty delimiter = none (what SDKs send for "no delimiter"). */
function delimiterOf(r: StoreRequest): string | undefined {
  const d = r.s3.query.get('delimiter');
  return d === undefined || d === '' ? undefined : d;
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html and API_ListObjectsV2.html */
export async function listObjects(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const q = r.s3.query;
  const v2 = q.get('list-type') === '2';
  const prefix = q.get('prefix') ?? '';
  const delimiter = delimiterOf(r);
  const maxKeys = parseMaxKeys(q.get('max-keys'));
  const encoding = parseEncodingType(q.get('encoding-type'));
  const index = await bucket.index();
  if (!v2) {
    const marker = q.get('marker');
    const page = listPage(index.sorted, { prefix, delimiter, after: marker || undefined, maxKeys });
    sendXml(r, 200, listObjectsXml(page, { version: 1, bucket: bucket.name, prefix, delimiter, maxKeys, encoding, owner: r.store.owner, marker }));
    return;
  }
  const token = q.get('continuation-token');
  const startAfter = q.get('start-after');
  if (token === '') throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  // A continuation token wins over start-after (both are "after" positions; the token is the later one).
  const after = token !== undefined ? decodeContinuationToken(token) : startAfter || undefined;
  const page = listPage(index.sorted, { prefix, delimiter, after, maxKeys });
  const fetchOwner = q.get('fetch-owner') === 'true';
  sendXml(
    r,
    200,
    listObjectsXml(page, {
      version: 2,
      bucket: bucket.name,
      prefix,
      delimiter,
      maxKeys,
      encoding,
      owner: fetchOwner ? r.store.owner : undefined,
      continuationToken: token,
      nextContinuationToken: page.truncated && page.last !== undefined ? encodeContinuationToken(page.last) : undefined,
      startAfter,
    }),
  );
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html: by key, then by initiation time. */
export async function listMultipartUploads(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const q = r.s3.query;
  const prefix = q.get('prefix') ?? '';
  const delimiter = delimiterOf(r);
  const maxUploads = parseMaxKeys(q.get('max-uploads'), 'max-uploads');
  const encoding = parseEncodingType(q.get('encoding-type'));
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = q.get('upload-id-marker') ?? '';
  const markerBytes = utf8(keyMarker);

  const uploads = (await r.store.uploads.list(bucket.name)).map((u) => ({ ...u, keyBytes: utf8(u.key) }));
  uploads.sort((a, b) => Buffer.compare(a.keyBytes, b.keyBytes) || a.initiated - b.initiated || (a.uploadId < b.uploadId ? -1 : 1));
  // After the marker: later keys; with upload-id-marker also the marker key's uploads after that upload.
  let start = 0;
  if (keyMarker !== '') {
    const markerIndex = uploadIdMarker === '' ? -1 : uploads.findIndex((u) => u.key === keyMarker && u.uploadId === uploadIdMarker);
    start = markerIndex >= 0 ? markerIndex + 1 : uploads.findIndex((u) => Buffer.compare(u.keyBytes, markerBytes) > 0);
    if (start < 0) start = uploads.length;
  }
  const rest: Array<UploadRecord & { keyBytes: Buffer }> = uploads.slice(start);
  const page = listPage(rest, { prefix, delimiter, maxKeys: maxUploads });
  sendXml(r, 200, listUploadsXml(page, { bucket: bucket.name, owner: r.store.owner, prefix, delimiter, keyMarker, uploadIdMarker, maxUploads, encoding }));
}
