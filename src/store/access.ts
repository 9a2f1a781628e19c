// Embedded store, access: whether a request may run — an unsigned one by the ACLs' AllUsers grants and the bucket policy, a signed one (the owner's) unless the bucket policy denies it; and Block Public Access on writes.
//
// An unsigned request reaches the store only when s3bridge forwards it on purpose (a route with `anonymous:
// backend`); without a public grant it is AccessDenied. Signed requests come from the owner: S3 applies a bucket
// policy's explicit Deny to them too, but never to the owner's own Get/Put/DeleteBucketPolicy (so a policy cannot
// lock the owner out of fixing it). https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow-bucket-operation.html
import type { S3Request } from '../parse/request.js';
import { S3Error } from '../s3/errors.js';
import { allowsEveryone, defaultAcl, isPublicAcl } from './acl.js';
import { publicAccessBlock } from './bucket-configs.js';
import type { Bucket } from './buckets.js';
import { parseTaggingHeader } from './metadata.js';
import type { Objects } from './objects.js';
import { ACTIONS, conditionKeys, isPublicPolicy, needsExistingTags, policyDecision } from './policy.js';
import type { GrantRecord } from './records.js';
import type { Owner } from './xml-write.js';

type Permission = GrantRecord['permission'];

/** The ACL permission, on the bucket or on the object, that lets everyone run an operation. */
const ACL_NEEDS: Readonly<Record<string, { on: 'bucket' | 'object'; permission: Permission }>> = {
  GetObject: { on: 'object', permission: 'READ' },
  HeadObject: { on: 'object', permission: 'READ' },
  GetObjectAcl: { on: 'object', permission: 'READ_ACP' },
  PutObjectAcl: { on: 'object', permission: 'WRITE_ACP' },
  ListObjects: { on: 'bucket', permission: 'READ' },
  ListObjectsV2: { on: 'bucket', permission: 'READ' },
  HeadBucket: { on: 'bucket', permission: 'READ' },
  ListMultipartUploads: { on: 'bucket', permission: 'READ' },
  GetBucketAcl: { on: 'bucket', permission: 'READ_ACP' },
  PutBucketAcl: { on: 'bucket', permission: 'WRITE_ACP' },
  PutObject: { on: 'bucket', permission: 'WRITE' },
  CreateMultipartUpload: { on: 'bucket', permission: 'WRITE' },
  UploadPart: { on: 'bucket', permission: 'WRITE' },
  CompleteMultipartUpload: { on: 'bucket', permission: 'WRITE' },
  ListParts: { on: 'bucket', permission: 'WRITE' },
  AbortMultipartUpload: { on: 'bucket', permission: 'WRITE' },
  DeleteObject: { on: 'bucket', permission: 'WRITE' },
};

/**
 * Block Public Access on writes (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html):
 * BlockPublicAcls refuses a public ACL, BlockPublicPolicy a public policy, with AccessDenied. Signed requests too.
 */
export function assertAclAllowed(bucket: Bucket, acl: readonly GrantRecord[] | undefined): void {
  if (acl && isPublicAcl(acl) && publicAccessBlock(bucket.record.configs?.publicAccessBlock).blockPublicAcls) throw new S3Error('AccessDenied');
}

export function assertPolicyAllowed(bucket: Bucket, policy: string): void {
  if (isPublicPolicy(policy) && publicAccessBlock(bucket.record.configs?.publicAccessBlock).blockPublicPolicy) throw new S3Error('AccessDenied');
}

type Request = Pick<S3Request, 'operation' | 'key' | 'headers' | 'query'>;

/** The request as the bucket policy sees it: its action, resource and condition keys (the object's tags only if the policy reads them). */
async function policyRequest(s3: Request, bucket: Bucket, policy: string, objects: Objects, undecidable: 'deny' | 'ignore') {
  const resource = `arn:aws:s3:::${bucket.name}${s3.key !== undefined ? `/${s3.key}` : ''}`;
  let requestTags: Array<[string, string]> | undefined;
  try {
    requestTags = s3.headers['x-amz-tagging'] !== undefined ? parseTaggingHeader(s3.headers['x-amz-tagging']) : undefined;
  } catch {
    requestTags = undefined; // the operation refuses the header itself
  }
  let existingTags: Array<[string, string]> | undefined;
  if (s3.key !== undefined && needsExistingTags(policy)) {
    const record = await objects.record(bucket.name, s3.key, s3.query.get('versionId'));
    existingTags = record && (await objects.tags(bucket.name, record));
  }
  return { action: ACTIONS[s3.operation] ?? '', resource, keys: conditionKeys(s3, { requestTags, existingTags, now: Date.now() }), undecidable };
}

/** A signed (the owner's) request: AccessDenied only where the bucket policy's Deny for everyone covers it. */
export async function authorizeSigned(s3: Request, bucket: Bucket | undefined, objects: Objects): Promise<void> {
  const policy = bucket?.record.configs?.policy;
  if (!bucket || policy === undefined || ACTIONS[s3.operation] === undefined) return;
  if (policyDecision(policy, await policyRequest(s3, bucket, policy, objects, 'ignore')) === 'deny') throw new S3Error('AccessDenied');
}

/** Throws AccessDenied unless everyone may run this operation here. */
export async function authorizeAnonymous(s3: Request, bucket: Bucket | undefined, objects: Objects, owner: Owner): Promise<void> {
  const acl = ACL_NEEDS[s3.operation];
  if (!acl && ACTIONS[s3.operation] === undefined) throw new S3Error('AccessDenied');
  // S3 tells anyone that a bucket does not exist.
  if (!bucket) throw new S3Error('NoSuchBucket');
  const block = publicAccessBlock(bucket.record.configs?.publicAccessBlock);
  // RestrictPublicBuckets: a public policy no longer lets anyone in; IgnorePublicAcls: nor do public grants.
  const policy = block.restrictPublicBuckets ? undefined : bucket.record.configs?.policy;
  const asked = policy === undefined ? undefined : await policyRequest(s3, bucket, policy, objects, 'deny');
  const decision = asked && policyDecision(policy, asked);
  if (decision === 'deny') throw new S3Error('AccessDenied');
  if (decision === 'allow') return;
  if (!acl) throw new S3Error('AccessDenied');
  let grants: GrantRecord[] | undefined;
  if (acl.on === 'bucket') grants = bucket.record.acl;
  else {
    const record = s3.key === undefined ? undefined : await objects.record(bucket.name, s3.key);
    // No object: NoSuchKey for a caller who may list the bucket, else AccessDenied (S3 tells no more than a listing would).
    if (!record) {
      const mayList = asked && policyDecision(policy, { ...asked, action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket.name}` });
      if (mayList === 'allow' || (mayList === undefined && !block.ignorePublicAcls && allowsEveryone(bucket.record.acl ?? [], 'READ'))) return;
      throw new S3Error('AccessDenied');
    }
    grants = (await objects.acl(bucket.name, record)) ?? defaultAcl(owner);
  }
  if (block.ignorePublicAcls || !allowsEveryone(grants ?? [], acl.permission)) throw new S3Error('AccessDenied');
}
