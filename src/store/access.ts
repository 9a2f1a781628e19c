// Embedded store, anonymous access: whether a request that carries no signature may run, judged by the bucket's or object's ACL (AllUsers grants) and the bucket policy's statements for everyone, as S3 judges the anonymous principal.
//
// Signed requests come from the owner (s3bridge) and are never judged here. An unsigned one reaches the store only
// when s3bridge forwards it on purpose (a route with `anonymous: backend`); without a public grant it is AccessDenied.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-auth-workflow-bucket-operation.html
import { S3Error } from '../s3/errors.js';
import { allowsEveryone, defaultAcl, isPublicAcl } from './acl.js';
import { publicAccessBlock } from './bucket-configs.js';
import type { Bucket } from './buckets.js';
import type { Objects } from './objects.js';
import type { GrantRecord } from './records.js';
import type { Owner } from './xml-write.js';

type Permission = GrantRecord['permission'];

/** What each operation needs: the policy action, and the ACL permission on the bucket or the object that grants it. */
const NEEDS: Readonly<Record<string, { action: string; acl?: { on: 'bucket' | 'object'; permission: Permission } }>> = {
  GetObject: { action: 's3:GetObject', acl: { on: 'object', permission: 'READ' } },
  HeadObject: { action: 's3:GetObject', acl: { on: 'object', permission: 'READ' } },
  GetObjectAcl: { action: 's3:GetObjectAcl', acl: { on: 'object', permission: 'READ_ACP' } },
  PutObjectAcl: { action: 's3:PutObjectAcl', acl: { on: 'object', permission: 'WRITE_ACP' } },
  GetObjectTagging: { action: 's3:GetObjectTagging' },
  PutObjectTagging: { action: 's3:PutObjectTagging' },
  DeleteObjectTagging: { action: 's3:DeleteObjectTagging' },
  ListObjects: { action: 's3:ListBucket', acl: { on: 'bucket', permission: 'READ' } },
  ListObjectsV2: { action: 's3:ListBucket', acl: { on: 'bucket', permission: 'READ' } },
  HeadBucket: { action: 's3:ListBucket', acl: { on: 'bucket', permission: 'READ' } },
  ListMultipartUploads: { action: 's3:ListBucketMultipartUploads', acl: { on: 'bucket', permission: 'READ' } },
  GetBucketAcl: { action: 's3:GetBucketAcl', acl: { on: 'bucket', permission: 'READ_ACP' } },
  PutBucketAcl: { action: 's3:PutBucketAcl', acl: { on: 'bucket', permission: 'WRITE_ACP' } },
  PutObject: { action: 's3:PutObject', acl: { on: 'bucket', permission: 'WRITE' } },
  CreateMultipartUpload: { action: 's3:PutObject', acl: { on: 'bucket', permission: 'WRITE' } },
  UploadPart: { action: 's3:PutObject', acl: { on: 'bucket', permission: 'WRITE' } },
  CompleteMultipartUpload: { action: 's3:PutObject', acl: { on: 'bucket', permission: 'WRITE' } },
  ListParts: { action: 's3:ListMultipartUploadParts', acl: { on: 'bucket', permission: 'WRITE' } },
  AbortMultipartUpload: { action: 's3:AbortMultipartUpload', acl: { on: 'bucket', permission: 'WRITE' } },
  DeleteObject: { action: 's3:DeleteObject', acl: { on: 'bucket', permission: 'WRITE' } },
};

/** IAM wildcard match: `*` any run of characters, `?` one (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html). */
function wildcard(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
  return re.test(value);
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Principal "*" or {"AWS": "*"}: the statement speaks of everyone, anonymous requests included. */
function everyone(principal: unknown): boolean {
  if (principal === '*') return true;
  return typeof principal === 'object' && principal !== null && list((principal as { AWS?: unknown }).AWS).includes('*');
}

interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  Resource?: unknown;
  Condition?: unknown;
}

/**
 * The bucket policy's word on an anonymous request: 'deny' if a statement for everyone denies it, 'allow' if one
 * allows it, else undefined. A statement with a Condition is not evaluated: it never allows, and it denies.
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
 */
export function policyDecision(policy: string | undefined, action: string, resource: string): 'allow' | 'deny' | undefined {
  if (policy === undefined) return undefined;
  let statements: Statement[];
  try {
    statements = list((JSON.parse(policy) as { Statement?: unknown }).Statement) as Statement[];
  } catch {
    return undefined;
  }
  let decision: 'allow' | undefined;
  for (const s of statements) {
    if (typeof s !== 'object' || s === null || !everyone(s.Principal)) continue;
    const acts = list(s.Action).some((a) => typeof a === 'string' && wildcard(a.toLowerCase(), action.toLowerCase()));
    const res = list(s.Resource).some((r) => typeof r === 'string' && wildcard(r, resource));
    if (!acts || !res) continue;
    if (s.Effect === 'Deny') return 'deny';
    if (s.Effect === 'Allow' && s.Condition === undefined) decision = 'allow';
  }
  return decision;
}

/** Whether a policy allows anything to everyone without a condition (Block Public Access's "public"). */
export function isPublicPolicy(policy: string): boolean {
  try {
    return list((JSON.parse(policy) as { Statement?: unknown }).Statement).some(
      (s) =>
        typeof s === 'object' &&
        s !== null &&
        (s as Statement).Effect === 'Allow' &&
        everyone((s as Statement).Principal) &&
        (s as Statement).Condition === undefined,
    );
  } catch {
    return false;
  }
}

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

/** Throws AccessDenied unless everyone may run this operation here. */
export async function authorizeAnonymous(
  operation: string,
  bucket: Bucket | undefined,
  key: string | undefined,
  objects: Objects,
  owner: Owner,
): Promise<void> {
  const needs = NEEDS[operation];
  if (!needs) throw new S3Error('AccessDenied');
  // S3 tells anyone that a bucket does not exist.
  if (!bucket) throw new S3Error('NoSuchBucket');
  const resource = `arn:aws:s3:::${bucket.name}${key !== undefined ? `/${key}` : ''}`;
  const block = publicAccessBlock(bucket.record.configs?.publicAccessBlock);
  // RestrictPublicBuckets: a public policy no longer lets anyone in; IgnorePublicAcls: nor do public grants.
  const policyDoc = block.restrictPublicBuckets ? undefined : bucket.record.configs?.policy;
  const policy = policyDecision(policyDoc, needs.action, resource);
  if (policy === 'deny') throw new S3Error('AccessDenied');
  if (policy === 'allow') return;
  if (!needs.acl) throw new S3Error('AccessDenied');
  let grants: GrantRecord[] | undefined;
  if (needs.acl.on === 'bucket') grants = bucket.record.acl;
  else {
    const record = key === undefined ? undefined : await objects.record(bucket.name, key);
    // No object: NoSuchKey for a caller who may list the bucket, else AccessDenied (S3 tells no more than a listing would).
    if (!record) {
      const mayList = policyDecision(policyDoc, 's3:ListBucket', `arn:aws:s3:::${bucket.name}`);
      if (mayList === 'allow' || (mayList === undefined && !block.ignorePublicAcls && allowsEveryone(bucket.record.acl ?? [], 'READ'))) return;
      throw new S3Error('AccessDenied');
    }
    grants = (await objects.acl(bucket.name, record)) ?? defaultAcl(owner);
  }
  if (block.ignorePublicAcls || !allowsEveryone(grants ?? [], needs.acl.permission)) throw new S3Error('AccessDenied');
}
