// Embedded store, bucket configurations: Get/Put/Delete of the documents bucket-configs.ts lists, and the always-set ones.
import { S3Error } from '../../s3/errors.js';
import { assertPolicyAllowed } from '../access.js';
import { isPublicPolicy } from '../policy.js';
import { BUCKET_CONFIGS } from '../../s3/operations.js';
import { readSmallBody } from '../body.js';
import { CONFIG_KINDS, EMPTY_CONFIGS, parseBucketEncryption, type ConfigKind } from '../bucket-configs.js';
import { bucketOf, sendEmpty, sendXml, baseHeaders, type StoreRequest } from '../context.js';
import type { BucketRecord } from '../records.js';

type Operation = (r: StoreRequest) => Promise<void>;

function getConfig(kind: ConfigKind): Operation {
  return async (r) => {
    const doc = r.store.buckets.require(bucketOf(r)).record.configs?.[kind.name];
    if (doc === undefined) throw new S3Error(kind.notFound, undefined, { BucketName: bucketOf(r) });
    const body = Buffer.from(doc, 'utf8');
    r.res.writeHead(200, { ...baseHeaders(r), 'content-type': kind.contentType, 'content-length': body.length });
    r.res.end(body);
  };
}

function putConfig(kind: ConfigKind): Operation {
  return async (r) => {
    const bucket = r.store.buckets.require(bucketOf(r));
    const doc = await readSmallBody(r);
    kind.check(doc);
    if (kind.name === 'policy') assertPolicyAllowed(bucket, doc);
    await bucket.update((record) => {
      const next: BucketRecord = { ...record, configs: { ...record.configs, [kind.name]: doc } };
      if (kind.name === 'encryption') next.encryption = parseBucketEncryption(doc);
      return next;
    });
    sendEmpty(r, kind.putStatus);
  };
}

function deleteConfig(kind: ConfigKind): Operation {
  return async (r) => {
    const bucket = r.store.buckets.require(bucketOf(r));
    await bucket.update((record) => {
      const { [kind.name]: _gone, ...configs } = record.configs ?? {};
      const next: BucketRecord = { ...record, configs };
      if (kind.name === 'encryption') delete next.encryption;
      return next;
    });
    sendEmpty(r, 204);
  };
}

function getEmpty(doc: string): Operation {
  return async (r) => {
    r.store.buckets.require(bucketOf(r));
    sendXml(r, 200, `<?xml version="1.0" encoding="UTF-8"?>\n${doc}`);
  };
}

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicyStatus.html: whether the bucket policy makes the
 * bucket public (access.ts's reading of "public"); NoSuchBucketPolicy without one.
 */
async function getBucketPolicyStatus(r: StoreRequest): Promise<void> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const policy = bucket.record.configs?.policy;
  if (policy === undefined) throw new S3Error('NoSuchBucketPolicy', undefined, { BucketName: bucket.name });
  sendXml(
    r,
    200,
    `<?xml version="1.0" encoding="UTF-8"?>\n<PolicyStatus xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsPublic>${isPublicPolicy(policy)}</IsPublic></PolicyStatus>`,
  );
}

/** Get/Put/Delete operations by AWS name, from the subresource table s3bridge parses with (s3/operations.ts). */
export const CONFIG_OPERATIONS: Readonly<Record<string, Operation>> = Object.fromEntries(
  BUCKET_CONFIGS.flatMap(([sub, get, put, del]) => {
    const kind = CONFIG_KINDS[sub];
    if (kind) {
      return [[get!, getConfig(kind)], [put!, putConfig(kind)], ...(del ? [[del, deleteConfig(kind)]] : [])];
    }
    const empty = EMPTY_CONFIGS[sub];
    return empty !== undefined && get ? [[get, getEmpty(empty)]] : [];
  }).concat([['GetBucketPolicyStatus', getBucketPolicyStatus]]),
);
