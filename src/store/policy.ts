// Embedded store, bucket policies: which statements apply to a request (everyone as principal, the operation's action, the resource) and whether their Conditions hold for what the request says; pure.
//
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html: an explicit Deny wins,
// then an Allow. Only statements whose Principal is everyone ("*" or {"AWS": "*"}) are read: the store's one account
// has no other principal a statement could name. Condition keys the store cannot know (source IP, VPC, the caller's
// ARN, TLS between client and s3bridge) make a statement undecidable: it then never allows, and it denies only an
// unsigned request, never the owner's (access.ts).
import type { S3Request } from '../parse/request.js';
import { parsedOnce } from './doc-cache.js';

/** The policy action of each operation the store serves (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html). */
export const ACTIONS: Readonly<Record<string, string>> = {
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  PutObject: 's3:PutObject',
  CopyObject: 's3:PutObject',
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  UploadPartCopy: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListParts: 's3:ListMultipartUploadParts',
  DeleteObject: 's3:DeleteObject',
  DeleteObjects: 's3:DeleteObject',
  GetObjectAcl: 's3:GetObjectAcl',
  PutObjectAcl: 's3:PutObjectAcl',
  GetObjectTagging: 's3:GetObjectTagging',
  PutObjectTagging: 's3:PutObjectTagging',
  DeleteObjectTagging: 's3:DeleteObjectTagging',
  GetObjectRetention: 's3:GetObjectRetention',
  PutObjectRetention: 's3:PutObjectRetention',
  GetObjectLegalHold: 's3:GetObjectLegalHold',
  PutObjectLegalHold: 's3:PutObjectLegalHold',
  ListObjects: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  HeadBucket: 's3:ListBucket',
  ListObjectVersions: 's3:ListBucketVersions',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  GetBucketAcl: 's3:GetBucketAcl',
  PutBucketAcl: 's3:PutBucketAcl',
  GetBucketVersioning: 's3:GetBucketVersioning',
  PutBucketVersioning: 's3:PutBucketVersioning',
  GetBucketLocation: 's3:GetBucketLocation',
  DeleteBucket: 's3:DeleteBucket',
  GetBucketTagging: 's3:GetBucketTagging',
  PutBucketTagging: 's3:PutBucketTagging',
  GetBucketCors: 's3:GetBucketCORS',
  PutBucketCors: 's3:PutBucketCORS',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
  GetBucketEncryption: 's3:GetEncryptionConfiguration',
  PutBucketEncryption: 's3:PutEncryptionConfiguration',
  GetObjectLockConfiguration: 's3:GetBucketObjectLockConfiguration',
  PutObjectLockConfiguration: 's3:PutBucketObjectLockConfiguration',
};

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** IAM wildcard match: `*` any run of characters, `?` one (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html). */
function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's').test(value);
}

/** Principal "*" or {"AWS": "*"}: the statement speaks of everyone. */
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

/** A policy's statements, parsed once per document: a bucket with a policy has it read on every request. */
const statements = parsedOnce((policy: string): Statement[] => {
  try {
    return list((JSON.parse(policy) as { Statement?: unknown }).Statement).filter((s): s is Statement => typeof s === 'object' && s !== null);
  } catch {
    return [];
  }
});

/** Condition keys a request cannot tell the store: a statement that uses one is undecidable here. */
const UNKNOWABLE = /^aws:(sourceip|sourcevpce?|sourcearn|sourceaccount|securetransport|principal.*|userid|username|viaawsservice|calledvia.*)$/;

/** Request values by condition key; keys lowercased up to a "/" (tag keys after it keep their case). */
export type ConditionKeys = ReadonlyMap<string, readonly string[]>;

const normKey = (key: string): string => {
  const slash = key.indexOf('/');
  return slash < 0 ? key.toLowerCase() : key.slice(0, slash).toLowerCase() + key.slice(slash);
};

const HEADER_KEYS = [
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-acl',
  'x-amz-grant-read',
  'x-amz-grant-write',
  'x-amz-grant-read-acp',
  'x-amz-grant-write-acp',
  'x-amz-grant-full-control',
  'x-amz-storage-class',
  'x-amz-metadata-directive',
  'x-amz-copy-source',
  'x-amz-content-sha256',
  'x-amz-website-redirect-location',
];

/**
 * The condition keys of a request (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html):
 * its x-amz-* headers, listing parameters, version id, the tags it sets, and the existing object's tags if given.
 */
export function conditionKeys(
  s3: Pick<S3Request, 'headers' | 'query'>,
  extra: { requestTags?: Array<[string, string]>; existingTags?: Array<[string, string]>; now: number },
): ConditionKeys {
  const keys = new Map<string, string[]>();
  const set = (k: string, v: string | undefined) => {
    if (v !== undefined) keys.set(normKey(k), [v]);
  };
  for (const h of HEADER_KEYS) set(`s3:${h}`, s3.headers[h]);
  set('s3:object-lock-mode', s3.headers['x-amz-object-lock-mode']);
  set('s3:object-lock-retain-until-date', s3.headers['x-amz-object-lock-retain-until-date']);
  set('s3:object-lock-legal-hold', s3.headers['x-amz-object-lock-legal-hold']);
  for (const q of ['prefix', 'delimiter', 'max-keys']) set(`s3:${q}`, s3.query.get(q));
  set('s3:versionid', s3.query.get('versionId'));
  set('aws:referer', s3.headers.referer);
  set('aws:useragent', s3.headers['user-agent']);
  set('aws:currenttime', new Date(extra.now).toISOString());
  set('aws:epochtime', String(Math.floor(extra.now / 1000)));
  if (extra.requestTags) {
    for (const [k, v] of extra.requestTags) set(`s3:RequestObjectTag/${k}`, v);
    keys.set(
      's3:requestobjecttagkeys',
      extra.requestTags.map(([k]) => k),
    );
  }
  for (const [k, v] of extra.existingTags ?? []) set(`s3:ExistingObjectTag/${k}`, v);
  return keys;
}

type Compare = (policyValue: string, requestValue: string) => boolean;

const num = (v: string): number => (/^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : Number.NaN);
const date = (v: string): number => (/^\d+$/.test(v.trim()) ? Number(v) * 1000 : Date.parse(v));

/** https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html; negated ones hold when no value matches. */
const OPERATORS: Readonly<Record<string, { compare: Compare; negated?: boolean }>> = {
  StringEquals: { compare: (p, r) => p === r },
  StringNotEquals: { compare: (p, r) => p === r, negated: true },
  StringEqualsIgnoreCase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase() },
  StringNotEqualsIgnoreCase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: true },
  StringLike: { compare: (p, r) => wildcard(p, r) },
  StringNotLike: { compare: (p, r) => wildcard(p, r), negated: true },
  NumericEquals: { compare: (p, r) => num(p) === num(r) },
  NumericNotEquals: { compare: (p, r) => num(p) === num(r), negated: true },
  NumericLessThan: { compare: (p, r) => num(r) < num(p) },
  NumericLessThanEquals: { compare: (p, r) => num(r) <= num(p) },
  NumericGreaterThan: { compare: (p, r) => num(r) > num(p) },
  NumericGreaterThanEquals: { compare: (p, r) => num(r) >= num(p) },
  DateEquals: { compare: (p, r) => date(p) === date(r) },
  DateNotEquals: { compare: (p, r) => date(p) === date(r), negated: true },
  DateLessThan: { compare: (p, r) => date(r) < date(p) },
  DateLessThanEquals: { compare: (p, r) => date(r) <= date(p) },
  DateGreaterThan: { compare: (p, r) => date(r) > date(p) },
  DateGreaterThanEquals: { compare: (p, r) => date(r) >= date(p) },
  Bool: { compare: (p, r) => p.toLowerCase() === r.toLowerCase() },
};

/** One operator block of a Condition: true, false, or undefined when the store cannot evaluate it. */
function blockHolds(operator: string, entries: unknown, keys: ConditionKeys): boolean | undefined {
  let name = operator;
  let set: 'any' | 'all' | undefined;
  if (name.startsWith('ForAnyValue:')) [set, name] = ['any', name.slice('ForAnyValue:'.length)];
  else if (name.startsWith('ForAllValues:')) [set, name] = ['all', name.slice('ForAllValues:'.length)];
  const ifExists = name.endsWith('IfExists');
  if (ifExists) name = name.slice(0, -'IfExists'.length);
  if (typeof entries !== 'object' || entries === null) return undefined;
  for (const [rawKey, rawValues] of Object.entries(entries)) {
    const key = normKey(rawKey);
    if (UNKNOWABLE.test(key)) return undefined;
    const wanted = list(rawValues).map(String);
    const got = keys.get(key);
    if (name === 'Null') {
      if (wanted.some((w) => (w.toLowerCase() === 'true') !== (got === undefined))) return false;
      continue;
    }
    const op = OPERATORS[name];
    if (!op) return undefined;
    if (got === undefined || got.length === 0) {
      // An absent key: IfExists and ForAllValues hold, a negated operator holds, anything else does not.
      if (ifExists || set === 'all' || op.negated) continue;
      return false;
    }
    const matches = (r: string) => wanted.some((w) => op.compare(w, r));
    const holds = set === 'all' ? got.every(matches) : set === 'any' ? got.some(matches) : op.negated ? !got.some(matches) : got.some(matches);
    if (!holds) return false;
  }
  return true;
}

/** Whether a statement's Condition holds: true when it has none; undefined when it cannot be evaluated here. */
function conditionHolds(condition: unknown, keys: ConditionKeys): boolean | undefined {
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null) return undefined;
  let result: boolean | undefined = true;
  for (const [operator, entries] of Object.entries(condition)) {
    const block = blockHolds(operator, entries, keys);
    if (block === false) return false;
    if (block === undefined) result = undefined;
  }
  return result;
}

/**
 * The policy's word on a request by everyone: 'deny' if a statement denies it, 'allow' if one allows it, else
 * undefined. `undecidable` says what a Deny whose Condition cannot be evaluated does.
 */
export function policyDecision(
  policy: string | undefined,
  request: { action: string; resource: string; keys: ConditionKeys; undecidable: 'deny' | 'ignore' },
): 'allow' | 'deny' | undefined {
  if (policy === undefined) return undefined;
  let decision: 'allow' | undefined;
  for (const s of statements(policy)) {
    if (!everyone(s.Principal)) continue;
    if (!list(s.Action).some((a) => typeof a === 'string' && wildcard(a, request.action, true))) continue;
    if (!list(s.Resource).some((r) => typeof r === 'string' && wildcard(r, request.resource))) continue;
    const holds = conditionHolds(s.Condition, request.keys);
    if (s.Effect === 'Deny' && (holds === true || (holds === undefined && request.undecidable === 'deny'))) return 'deny';
    if (s.Effect === 'Allow' && holds === true) decision = 'allow';
  }
  return decision;
}

/** Whether a policy allows anything to everyone without a condition (Block Public Access's "public"). */
export function isPublicPolicy(policy: string): boolean {
  return statements(policy).some((s) => s.Effect === 'Allow' && everyone(s.Principal) && s.Condition === undefined);
}

/** Whether a policy's statements read the existing object's tags (only then does access.ts load them). */
export const needsExistingTags = (policy: string): boolean => /existingobjecttag\//i.test(policy);
