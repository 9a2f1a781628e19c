// Embedded store, object tags: GetObjectTagging, PutObjectTagging, DeleteObjectTagging.
import { S3Error } from '../../s3/errors.js';
import { readSmallBody } from '../body.js';
import { bucketOf, keyOf, sendEmpty, sendXml, type StoreRequest } from '../context.js';
import { validateTags } from '../metadata.js';
import { parseTagging } from '../xml-docs.js';
import { taggingXml } from '../xml-write.js';
import { checkVersionId } from './common.js';

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html */
export async function getObjectTagging(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  checkVersionId(r);
  const record = await r.store.objects.record(bucket.name, keyOf(r));
  if (!record) throw new S3Error('NoSuchKey', undefined, { Key: keyOf(r) });
  sendXml(r, 200, taggingXml(await r.store.objects.tags(bucket.name, record)));
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html: replaces the whole tag set. */
export async function putObjectTagging(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  checkVersionId(r);
  const tags = validateTags(parseTagging(await readSmallBody(r)));
  await r.store.objects.setTags(bucket, keyOf(r), tags);
  sendEmpty(r, 200);
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html */
export async function deleteObjectTagging(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  checkVersionId(r);
  await r.store.objects.setTags(bucket, keyOf(r), []);
  sendEmpty(r, 204);
}
