// Embedded store, Object Lock operations: the bucket's configuration, and each version's retention and legal hold (the rules are object-lock.ts's).
import { S3Error } from '../../s3/errors.js';
import { readSmallBody } from '../body.js';
import type { Bucket } from '../buckets.js';
import { bucketOf, keyOf, sendEmpty, sendXml, type StoreRequest } from '../context.js';
import {
  assertRetentionChange,
  legalHoldXml,
  lockConfigurationXml,
  parseLegalHold,
  parseLockConfiguration,
  parseRetention,
  retentionXml,
} from '../object-lock.js';
import type { BucketLockRecord } from '../records.js';
import { requireVersion, versionHeaders, versionIdParam } from './common.js';

/** The bucket's Object Lock settings; InvalidRequest for a bucket created without Object Lock, as S3 answers. */
function lockedBucket(r: StoreRequest): { bucket: Bucket; lock: BucketLockRecord } {
  const bucket = r.store.buckets.require(bucketOf(r));
  if (!bucket.record.objectLock) throw new S3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');
  return { bucket, lock: bucket.record.objectLock };
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLockConfiguration.html */
export async function getObjectLockConfiguration(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const lock = bucket.record.objectLock;
  if (!lock) throw new S3Error('ObjectLockConfigurationNotFoundError', undefined, { BucketName: bucket.name });
  sendXml(r, 200, lockConfigurationXml(lock));
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLockConfiguration.html: only on a bucket created with Object Lock. */
export async function putObjectLockConfiguration(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const lock = parseLockConfiguration(await readSmallBody(r));
  if (!bucket.record.objectLock) throw new S3Error('InvalidBucketState', 'Object Lock configuration cannot be enabled on existing buckets');
  await bucket.update((record) => ({ ...record, objectLock: lock }));
  sendEmpty(r, 200);
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectRetention.html */
export async function getObjectRetention(r: StoreRequest): Promise<void> {
  lockedBucket(r);
  const { bucket, record } = await requireVersion(r);
  const lock = await r.store.objects.lock(bucket.name, record);
  if (lock?.mode === undefined || lock.until === undefined) throw new S3Error('NoSuchObjectLockConfiguration');
  sendXml(r, 200, retentionXml({ mode: lock.mode, until: lock.until }), versionHeaders(bucket, record));
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html: a running retention is shortened only as object-lock.ts allows. */
export async function putObjectRetention(r: StoreRequest): Promise<void> {
  const { bucket } = lockedBucket(r);
  const next = parseRetention(await readSmallBody(r));
  const { record } = await requireVersion(r);
  await r.store.objects.setLock(bucket, keyOf(r), versionIdParam(r), (current) => {
    assertRetentionChange(current, next, r.headers, Date.now());
    return { ...current, mode: next.mode, until: next.until };
  });
  sendEmpty(r, 200, versionHeaders(bucket, record));
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectLegalHold.html */
export async function getObjectLegalHold(r: StoreRequest): Promise<void> {
  lockedBucket(r);
  const { bucket, record } = await requireVersion(r);
  const hold = (await r.store.objects.lock(bucket.name, record))?.legalHold;
  if (hold === undefined) throw new S3Error('NoSuchObjectLockConfiguration');
  sendXml(r, 200, legalHoldXml(hold), versionHeaders(bucket, record));
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLegalHold.html */
export async function putObjectLegalHold(r: StoreRequest): Promise<void> {
  const { bucket } = lockedBucket(r);
  const legalHold = parseLegalHold(await readSmallBody(r));
  const { record } = await requireVersion(r);
  await r.store.objects.setLock(bucket, keyOf(r), versionIdParam(r), (current) => ({ ...current, legalHold }));
  sendEmpty(r, 200, versionHeaders(bucket, record));
}
