// Embedded store, operations on buckets: ListBuckets, CreateBucket, DeleteBucket, HeadBucket, GetBucketLocation, and the ACLs of buckets and objects.
import { S3Error } from '../../s3/errors.js';
import { readSmallBody } from '../body.js';
import { bucketOf, header, keyOf, sendEmpty, sendXml, type StoreRequest } from '../context.js';
import { assertAclAllowed } from '../access.js';
import { aclFromHeaders, defaultAcl, parseAccessControlPolicy } from '../acl.js';
import type { GrantRecord } from '../records.js';
import { parseCreateBucketConfiguration } from '../xml-docs.js';
import { aclXml, listBucketsXml, locationXml } from '../xml-write.js';
import { requireVersion, versionHeaders } from './common.js';

export async function listBuckets(r: StoreRequest): Promise<void> {
  sendXml(r, 200, listBucketsXml(r.store.owner, r.store.buckets.list()));
}

const US_EAST_1 = (location: string | undefined): boolean => location === undefined || location === 'us-east-1';

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html. Creating a bucket one already owns is
 * BucketAlreadyOwnedByYou, except in us-east-1 where S3, for legacy compatibility, answers 200 and resets the ACL.
 */
export async function createBucket(r: StoreRequest): Promise<void> {
  // Object Lock comes with versioning, for good (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html).
  const locked = header(r, 'x-amz-bucket-object-lock-enabled')?.toLowerCase() === 'true';
  const acl = aclFromHeaders(r.headers, r.store.owner);
  const location = parseCreateBucketConfiguration(await readSmallBody(r));
  const bucket = bucketOf(r);
  const existing = r.store.buckets.get(bucket);
  if (existing && US_EAST_1(r.store.options.region) && US_EAST_1(location) && US_EAST_1(existing.record.location)) {
    await existing.update(({ acl: _old, ...record }) => (acl ? { ...record, acl } : record));
  } else await r.store.buckets.create(bucket, location, { ...(acl ? { acl } : {}), ...(locked ? { objectLock: {}, versioning: 'Enabled' as const } : {}) });
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

export async function getBucketAcl(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  sendXml(r, 200, aclXml(r.store.owner, bucket.record.acl ?? defaultAcl(r.store.owner)));
}

export async function getObjectAcl(r: StoreRequest): Promise<void> {
  const { bucket, record } = await requireVersion(r);
  const acl = (await r.store.objects.acl(bucket.name, record)) ?? defaultAcl(r.store.owner);
  sendXml(r, 200, aclXml(r.store.owner, acl), versionHeaders(bucket, record));
}

/**
 * PutBucketAcl / PutObjectAcl (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html): the ACL
 * comes from the headers (x-amz-acl or x-amz-grant-*) or from an AccessControlPolicy body, not both.
 */
async function aclOfRequest(r: StoreRequest): Promise<GrantRecord[]> {
  const fromHeaders = aclFromHeaders(r.headers, r.store.owner);
  const body = await readSmallBody(r);
  if (fromHeaders && body.trim() !== '') throw new S3Error('UnexpectedContent', 'This request does not support content');
  if (fromHeaders) return fromHeaders;
  if (body.trim() === '') throw new S3Error('MissingSecurityHeader', 'Your request was missing a required header', { MissingHeaderName: 'x-amz-acl' });
  return parseAccessControlPolicy(body, r.store.owner);
}

export async function putBucketAcl(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const acl = await aclOfRequest(r);
  assertAclAllowed(bucket, acl);
  await bucket.update((record) => ({ ...record, acl }));
  sendEmpty(r, 200);
}

export async function putObjectAcl(r: StoreRequest): Promise<void> {
  const { bucket, record, versionId } = await requireVersion(r);
  const acl = await aclOfRequest(r);
  assertAclAllowed(bucket, acl);
  await r.store.objects.setAcl(bucket, keyOf(r), acl, versionId);
  sendEmpty(r, 200, versionHeaders(bucket, record));
}
