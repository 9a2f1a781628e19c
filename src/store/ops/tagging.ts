// Embedded store, object tags: GetObjectTagging, PutObjectTagging, DeleteObjectTagging.
import { readSmallBody } from '../body.js';
import { keyOf, sendEmpty, sendXml, type StoreRequest } from '../context.js';
import { validateTags } from '../metadata.js';
import { parseTagging } from '../xml-docs.js';
import { taggingXml } from '../xml-write.js';
import { requireVersion, versionHeaders } from './common.js';

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectTagging.html */
export async function getObjectTagging(r: StoreRequest): Promise<void> {
  const { bucket, record } = await requireVersion(r);
  sendXml(r, 200, taggingXml(await r.store.objects.tags(bucket.name, record)), versionHeaders(bucket, record));
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html: replaces the whole tag set. */
export async function putObjectTagging(r: StoreRequest): Promise<void> {
  const { bucket, record, versionId } = await requireVersion(r);
  const tags = validateTags(parseTagging(await readSmallBody(r)));
  await r.store.objects.setTags(bucket, keyOf(r), tags, versionId);
  sendEmpty(r, 200, versionHeaders(bucket, record));
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjectTagging.html */
export async function deleteObjectTagging(r: StoreRequest): Promise<void> {
  const { bucket, record, versionId } = await requireVersion(r);
  await r.store.objects.setTags(bucket, keyOf(r), [], versionId);
  sendEmpty(r, 204, versionHeaders(bucket, record));
}
