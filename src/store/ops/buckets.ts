// Embedded store, operations on buckets: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation, GetBucketVersioning, and the owner-only ACLs of buckets and objects.
import { S3Error } from '../../s3/errors.js';
import { readSmallBody } from '../body.js';
import { bucketOf, header, keyOf, sendEmpty, sendXml, type StoreRequest } from '../context.js';
import { assertSupportedWriteHeaders } from '../metadata.js';
import { isOwnerOnlyPolicy, parseCreateBucketConfiguration } from '../xml-docs.js';
import { aclXml, listBucketsXml, locationXml, versioningXml } from '../xml-write.js';
import { checkVersionId } from './common.js';

export async function listBuckets(r: StoreRequest): Promise<void> {
  sendXml(r, 200, listBucketsXml(r.store.owner, r.store.buckets.list()));
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html */
export async function createBucket(r: StoreRequest): Promise<void> {
  assertSupportedWriteHeaders(r.headers);
  if (header(r, 'x-amz-bucket-object-lock-enabled')?.toLowerCase() === 'true')
    throw new S3Error('NotImplemented', 'Object Lock is not implemented by the embedded store.');
  const location = parseCreateBucketConfiguration(await readSmallBody(r));
  const bucket = bucketOf(r);
  await r.store.buckets.create(bucket, location);
  sendEmpty(r, 200, { location: `/${bucket}` });
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html: BucketNotEmpty while objects remain. */
export async function deleteBucket(r: StoreRequest): Promise<void> {
  await r.store.buckets.delete(bucketOf(r));
  sendEmpty(r, 204);
}

export async function headBucket(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  sendEmpty(r, 200, { 'x-amz-bucket-region': bucket.record.location ?? r.store.options.region });
}

export async function getBucketLocation(r: StoreRequest): Promise<void> {
  sendXml(r, 200, locationXml(r.store.buckets.require(bucketOf(r)).record.location));
}

/** Never versioned: an empty configuration, as S3 answers for a bucket that never had versioning. */
export async function getBucketVersioning(r: StoreRequest): Promise<void> {
  r.store.buckets.require(bucketOf(r));
  sendXml(r, 200, versioningXml());
}

export async function getBucketAcl(r: StoreRequest): Promise<void> {
  r.store.buckets.require(bucketOf(r));
  sendXml(r, 200, aclXml(r.store.owner));
}

async function requireObject(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  checkVersionId(r);
  if (!(await r.store.objects.record(bucket.name, keyOf(r)))) throw new S3Error('NoSuchKey', undefined, { Key: keyOf(r) });
}

export async function getObjectAcl(r: StoreRequest): Promise<void> {
  await requireObject(r);
  sendXml(r, 200, aclXml(r.store.owner));
}

/**
 * PutBucketAcl / PutObjectAcl: the only ACL is "owner has FULL_CONTROL", so a canned private ACL, or a policy
 * document granting exactly that (s3cmd writes back what GetObjectAcl gave it), is accepted and changes nothing.
 * Anything granting others access is refused as not implemented rather than silently ignored.
 */
async function putAcl(r: StoreRequest): Promise<void> {
  assertSupportedWriteHeaders(r.headers);
  const body = await readSmallBody(r);
  if (body.trim() !== '' && !isOwnerOnlyPolicy(body, r.store.owner.id)) {
    throw new S3Error('NotImplemented', 'The embedded store only has the owner FULL_CONTROL ACL.');
  }
}

export async function putBucketAcl(r: StoreRequest): Promise<void> {
  r.store.buckets.require(bucketOf(r));
  await putAcl(r);
  sendEmpty(r, 200);
}

export async function putObjectAcl(r: StoreRequest): Promise<void> {
  await requireObject(r);
  await putAcl(r);
  sendEmpty(r, 200);
}
