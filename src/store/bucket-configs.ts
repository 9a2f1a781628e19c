// Embedded store, bucket configuration documents: which subresources the store keeps (lifecycle, policy, CORS, tagging, ...), how each is checked before it is kept, and what S3 answers when none is set; pure.
//
// The store keeps these documents and gives them back; it does not act on them (no expiry runs, CORS is
// s3bridge's own, policies are not evaluated for signed requests: the store's only signer is s3bridge, the owner).
// docs/design.md ("The embedded store") says which of them have an effect.
import { S3Error, type S3ErrorCode } from '../s3/errors.js';
import { childNamed, childText, childrenNamed, parseXml, type XmlElement } from '../s3/xml-read.js';
import { validateTags } from './metadata.js';
import type { DefaultEncryption } from './records.js';
import { parseTagging } from './xml-docs.js';

export interface ConfigKind {
  /** The subresource (the key under BucketRecord.configs). */
  name: string;
  /** What GET answers when none is set. */
  notFound: S3ErrorCode;
  /** PUT's success status (S3 answers 204 to a few of them). */
  putStatus: 200 | 204;
  contentType: string;
  /** Throws the S3 error S3 gives for a bad document; returns nothing when it is fine. */
  check(doc: string): void;
}

const malformed = (): S3Error => new S3Error('MalformedXML');

function root(doc: string, name: string): XmlElement {
  const el = parseXml(doc);
  if (el.name !== name) throw malformed();
  return el;
}

const invalid = (message: string, name?: string, value?: string): S3Error =>
  new S3Error('InvalidArgument', message, name === undefined ? {} : { ArgumentName: name, ArgumentValue: value });

/** Lifecycle dates are days: ISO 8601 at midnight UTC (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html). */
function checkMidnight(value: string | undefined): void {
  if (value === undefined) return;
  if (!/^\d{4}-\d{2}-\d{2}(T00:00:00(\.0+)?(Z|[+-]00:?00))?$/.test(value.trim()) || Number.isNaN(Date.parse(value.trim().slice(0, 10))))
    throw invalid("'Date' must be at midnight GMT", 'Date', value);
}

function positiveDays(el: XmlElement | undefined, name: string, what: string, zeroAllowed = false): void {
  const text = el && childText(el, name);
  if (text === undefined) return;
  if (!/^\d+$/.test(text.trim()) || (!zeroAllowed && Number(text) === 0)) throw invalid(`'${name}' for ${what} action must be a positive integer`, name, text);
}

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketLifecycleConfiguration.html and LifecycleRule: 1 to
 * 1000 rules, IDs of at most 255 characters and unique, Status Enabled or Disabled, positive day counts and
 * midnight dates.
 */
function checkLifecycle(doc: string): void {
  const rules = childrenNamed(root(doc, 'LifecycleConfiguration'), 'Rule');
  if (rules.length === 0 || rules.length > 1000) throw malformed();
  const ids = new Set<string>();
  for (const rule of rules) {
    const id = childText(rule, 'ID');
    if (id !== undefined) {
      if ([...id].length > 255) throw invalid('ID length should not exceed allowed limit of 255', 'ID', id);
      if (ids.has(id)) throw invalid('Rule ID must be unique. Found same ID for more than one rule', 'ID', id);
      ids.add(id);
    }
    const status = childText(rule, 'Status');
    if (status !== 'Enabled' && status !== 'Disabled') throw malformed();
    const expiration = childNamed(rule, 'Expiration');
    positiveDays(expiration, 'Days', 'Expiration');
    if (expiration) checkMidnight(childText(expiration, 'Date'));
    for (const t of childrenNamed(rule, 'Transition')) {
      positiveDays(t, 'Days', 'Transition', true);
      checkMidnight(childText(t, 'Date'));
    }
    positiveDays(childNamed(rule, 'NoncurrentVersionExpiration'), 'NoncurrentDays', 'NoncurrentVersionExpiration');
    positiveDays(childNamed(rule, 'AbortIncompleteMultipartUpload'), 'DaysAfterInitiation', 'AbortIncompleteMultipartUpload');
  }
}

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-policy-language-overview.html: a JSON object with a Statement. */
function checkPolicy(doc: string): void {
  let policy: unknown;
  try {
    policy = JSON.parse(doc);
  } catch {
    throw new S3Error('MalformedPolicy', "Policies must be valid JSON and the first byte must be '{'");
  }
  if (typeof policy !== 'object' || policy === null || Array.isArray(policy))
    throw new S3Error('MalformedPolicy', "Policies must be valid JSON and the first byte must be '{'");
  const statement = (policy as { Statement?: unknown }).Statement;
  if (statement === undefined || (typeof statement !== 'object' && !Array.isArray(statement)))
    throw new S3Error('MalformedPolicy', 'Missing required field Statement');
  const statements = Array.isArray(statement) ? statement : [statement];
  for (const s of statements) {
    const effect = (s as { Effect?: unknown } | null)?.Effect;
    if (effect !== 'Allow' && effect !== 'Deny') throw new S3Error('MalformedPolicy', 'Invalid effect');
  }
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketCors.html: 1 to 100 rules, each with a method and an origin. */
function checkCors(doc: string): void {
  const rules = childrenNamed(root(doc, 'CORSConfiguration'), 'CORSRule');
  if (rules.length === 0 || rules.length > 100) throw malformed();
  for (const rule of rules) {
    if (childrenNamed(rule, 'AllowedMethod').length === 0 || childrenNamed(rule, 'AllowedOrigin').length === 0) throw malformed();
    for (const m of childrenNamed(rule, 'AllowedMethod'))
      if (!['GET', 'PUT', 'POST', 'DELETE', 'HEAD'].includes(m.text.trim()))
        throw new S3Error('InvalidRequest', `Found unsupported HTTP method in CORS config. Unsupported method is ${m.text.trim()}`);
  }
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketTagging.html: the object tag rules, up to 50 tags. */
function checkBucketTagging(doc: string): void {
  validateTags(parseTagging(doc), 50);
}

const ALGORITHMS = new Set(['AES256', 'aws:kms', 'aws:kms:dsse']);

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketEncryption.html → the default a write without SSE headers gets. */
export function parseBucketEncryption(doc: string): DefaultEncryption {
  const rules = childrenNamed(root(doc, 'ServerSideEncryptionConfiguration'), 'Rule');
  if (rules.length !== 1) throw malformed();
  const rule = rules[0]!;
  const by = childNamed(rule, 'ApplyServerSideEncryptionByDefault');
  if (!by) throw malformed();
  const algorithm = childText(by, 'SSEAlgorithm')?.trim();
  if (algorithm === undefined || !ALGORITHMS.has(algorithm)) throw malformed();
  const kmsKeyId = childText(by, 'KMSMasterKeyID')?.trim();
  if (kmsKeyId !== undefined && algorithm === 'AES256')
    throw invalid('a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse');
  const bucketKey = childText(rule, 'BucketKeyEnabled')?.trim();
  if (bucketKey !== undefined && bucketKey !== 'true' && bucketKey !== 'false') throw malformed();
  return {
    algorithm: algorithm as DefaultEncryption['algorithm'],
    ...(kmsKeyId ? { kmsKeyId } : {}),
    ...(bucketKey === 'true' ? { bucketKeyEnabled: true } : {}),
  };
}

export interface PublicAccessBlock {
  blockPublicAcls: boolean;
  ignorePublicAcls: boolean;
  blockPublicPolicy: boolean;
  restrictPublicBuckets: boolean;
}

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html: a bucket's four switches (all off when none is set). */
export function publicAccessBlock(doc: string | undefined): PublicAccessBlock {
  const el = doc === undefined ? undefined : root(doc, 'PublicAccessBlockConfiguration');
  const on = (name: string): boolean => (el ? childText(el, name)?.trim().toLowerCase() === 'true' : false);
  return {
    blockPublicAcls: on('BlockPublicAcls'),
    ignorePublicAcls: on('IgnorePublicAcls'),
    blockPublicPolicy: on('BlockPublicPolicy'),
    restrictPublicBuckets: on('RestrictPublicBuckets'),
  };
}

function checkPublicAccessBlock(doc: string): void {
  const el = root(doc, 'PublicAccessBlockConfiguration');
  for (const child of el.children) {
    if (!['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'].includes(child.name)) throw malformed();
    if (!/^(true|false)$/i.test(child.text.trim())) throw malformed();
  }
}

/** A document with this root and nothing more checked. */
const rooted = (name: string) => (doc: string) => void root(doc, name);

const XML = 'application/xml';

/** By subresource. Absent from here: configurations the store answers 501 to. */
export const CONFIG_KINDS: Readonly<Record<string, ConfigKind>> = {
  lifecycle: { name: 'lifecycle', notFound: 'NoSuchLifecycleConfiguration', putStatus: 200, contentType: XML, check: checkLifecycle },
  policy: { name: 'policy', notFound: 'NoSuchBucketPolicy', putStatus: 204, contentType: 'application/json', check: checkPolicy },
  cors: { name: 'cors', notFound: 'NoSuchCORSConfiguration', putStatus: 200, contentType: XML, check: checkCors },
  tagging: { name: 'tagging', notFound: 'NoSuchTagSet', putStatus: 204, contentType: XML, check: checkBucketTagging },
  encryption: {
    name: 'encryption',
    notFound: 'ServerSideEncryptionConfigurationNotFoundError',
    putStatus: 200,
    contentType: XML,
    check: (doc) => void parseBucketEncryption(doc),
  },
  publicAccessBlock: {
    name: 'publicAccessBlock',
    notFound: 'NoSuchPublicAccessBlockConfiguration',
    putStatus: 200,
    contentType: XML,
    check: checkPublicAccessBlock,
  },
  ownershipControls: {
    name: 'ownershipControls',
    notFound: 'OwnershipControlsNotFoundError',
    putStatus: 200,
    contentType: XML,
    check: rooted('OwnershipControls'),
  },
  website: { name: 'website', notFound: 'NoSuchWebsiteConfiguration', putStatus: 200, contentType: XML, check: rooted('WebsiteConfiguration') },
};

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * Configurations that always have a value: what S3 answers for a bucket where none was ever set
 * (GetBucketLogging, GetBucketNotificationConfiguration, GetBucketRequestPayment, GetBucketAccelerateConfiguration).
 */
export const EMPTY_CONFIGS: Readonly<Record<string, string>> = {
  logging: `<BucketLoggingStatus xmlns="${NS}"/>`,
  notification: `<NotificationConfiguration xmlns="${NS}"/>`,
  requestPayment: `<RequestPaymentConfiguration xmlns="${NS}"><Payer>BucketOwner</Payer></RequestPaymentConfiguration>`,
  accelerate: `<AccelerateConfiguration xmlns="${NS}"/>`,
};
