// The S3 operations s3bridge knows, as a table (method, level, subresources, parameters); classifyOperation is strict: any other shape is refused.
import { S3Error } from './errors.js';

/** The only methods S3 serves (operations.md §1); anything else is 405 MethodNotAllowed before parsing goes further. */
export const S3_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS'] as const;
export type Method = (typeof S3_METHODS)[number];

export type Level = 'service' | 'bucket' | 'object';

export interface OperationSpec {
  readonly name: string;
  readonly method: Method;
  readonly level: Level;
  /** The subresources that select this operation, exactly (operations.md §2). */
  readonly sub: readonly string[];
  /** Other query parameters this operation takes; the backend receives these and the subresources, nothing else. */
  readonly params: readonly string[];
  /** Parameters that must be present (e.g. UploadPart's partNumber). */
  readonly required?: readonly string[];
  /** Changes nothing on any backend: the only operations a read-only key may call (operations.md §4). */
  readonly read?: boolean;
  /** The request carries x-amz-copy-source (CopyObject, UploadPartCopy); no other operation may. */
  readonly copy?: boolean;
}

const VERSION = ['versionId'];
/** The `response-*` query parameters of GetObject/HeadObject: they override the answer's headers. */
export const RESPONSE_OVERRIDES = [
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'response-content-language',
  'response-content-type',
  'response-expires',
];
const LIST_COMMON = ['delimiter', 'encoding-type', 'max-keys', 'prefix'];

/** Bucket subresources with a simple Get/Put/Delete trio: [subresource, Get name, Put name, Delete name]. */
export const BUCKET_CONFIGS: ReadonlyArray<readonly [string, string?, string?, string?]> = [
  ['accelerate', 'GetBucketAccelerateConfiguration', 'PutBucketAccelerateConfiguration'],
  ['acl', 'GetBucketAcl', 'PutBucketAcl'],
  ['cors', 'GetBucketCors', 'PutBucketCors', 'DeleteBucketCors'],
  ['encryption', 'GetBucketEncryption', 'PutBucketEncryption', 'DeleteBucketEncryption'],
  ['lifecycle', 'GetBucketLifecycleConfiguration', 'PutBucketLifecycleConfiguration', 'DeleteBucketLifecycle'],
  ['location', 'GetBucketLocation'],
  ['logging', 'GetBucketLogging', 'PutBucketLogging'],
  ['notification', 'GetBucketNotificationConfiguration', 'PutBucketNotificationConfiguration'],
  ['object-lock', 'GetObjectLockConfiguration', 'PutObjectLockConfiguration'],
  ['ownershipControls', 'GetBucketOwnershipControls', 'PutBucketOwnershipControls', 'DeleteBucketOwnershipControls'],
  ['policy', 'GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy'],
  ['policyStatus', 'GetBucketPolicyStatus'],
  ['publicAccessBlock', 'GetPublicAccessBlock', 'PutPublicAccessBlock', 'DeletePublicAccessBlock'],
  ['replication', 'GetBucketReplication', 'PutBucketReplication', 'DeleteBucketReplication'],
  ['requestPayment', 'GetBucketRequestPayment', 'PutBucketRequestPayment'],
  ['tagging', 'GetBucketTagging', 'PutBucketTagging', 'DeleteBucketTagging'],
  ['versioning', 'GetBucketVersioning', 'PutBucketVersioning'],
  ['website', 'GetBucketWebsite', 'PutBucketWebsite', 'DeleteBucketWebsite'],
];

/** Bucket configurations addressed by `id`; GET without an id lists them (operations.md §2). */
const BUCKET_ID_CONFIGS: ReadonlyArray<readonly [string, string]> = [
  ['analytics', 'BucketAnalyticsConfiguration'],
  ['intelligent-tiering', 'BucketIntelligentTieringConfiguration'],
  ['inventory', 'BucketInventoryConfiguration'],
  ['metrics', 'BucketMetricsConfiguration'],
];

/** Object subresources: [subresource, method, name, read]. Each takes versionId. */
const OBJECT_SUBRESOURCES: ReadonlyArray<readonly [string, Method, string, boolean]> = [
  ['acl', 'GET', 'GetObjectAcl', true],
  ['acl', 'PUT', 'PutObjectAcl', false],
  ['tagging', 'GET', 'GetObjectTagging', true],
  ['tagging', 'PUT', 'PutObjectTagging', false],
  ['tagging', 'DELETE', 'DeleteObjectTagging', false],
  ['retention', 'GET', 'GetObjectRetention', true],
  ['retention', 'PUT', 'PutObjectRetention', false],
  ['legal-hold', 'GET', 'GetObjectLegalHold', true],
  ['legal-hold', 'PUT', 'PutObjectLegalHold', false],
  ['attributes', 'GET', 'GetObjectAttributes', true],
  ['torrent', 'GET', 'GetObjectTorrent', true],
  ['restore', 'POST', 'RestoreObject', false],
];

function op(
  name: string,
  method: Method,
  level: Level,
  sub: readonly string[],
  params: readonly string[] = [],
  extra: Partial<OperationSpec> = {},
): OperationSpec {
  return { name, method, level, sub, params, ...extra };
}

function buildTable(): OperationSpec[] {
  const t: OperationSpec[] = [
    op('ListBuckets', 'GET', 'service', [], ['max-buckets', 'continuation-token', 'prefix', 'bucket-region'], { read: true }),
    // ListObjects and ListObjectsV2 share a shape; list-type=2 tells them apart (classifyOperation).
    op('ListObjects', 'GET', 'bucket', [], [...LIST_COMMON, 'marker'], { read: true }),
    op('ListObjectsV2', 'GET', 'bucket', [], [...LIST_COMMON, 'list-type', 'continuation-token', 'fetch-owner', 'start-after'], { read: true }),
    op('ListObjectVersions', 'GET', 'bucket', ['versions'], [...LIST_COMMON, 'key-marker', 'version-id-marker'], { read: true }),
    op('ListMultipartUploads', 'GET', 'bucket', ['uploads'], ['delimiter', 'encoding-type', 'prefix', 'key-marker', 'max-uploads', 'upload-id-marker'], {
      read: true,
    }),
    op('HeadBucket', 'HEAD', 'bucket', [], [], { read: true }),
    op('CreateBucket', 'PUT', 'bucket', []),
    op('DeleteBucket', 'DELETE', 'bucket', []),
    op('DeleteObjects', 'POST', 'bucket', ['delete']),
    // Browser form upload (post-object.md): the bucket URL, multipart/form-data, no subresource.
    op('PostObject', 'POST', 'bucket', []),
    op('GetObject', 'GET', 'object', [], ['partNumber', ...VERSION, ...RESPONSE_OVERRIDES], { read: true }),
    op('HeadObject', 'HEAD', 'object', [], ['partNumber', ...VERSION, ...RESPONSE_OVERRIDES], { read: true }),
    op('PutObject', 'PUT', 'object', []),
    op('CopyObject', 'PUT', 'object', [], [], { copy: true }),
    op('DeleteObject', 'DELETE', 'object', [], VERSION),
    op('CreateMultipartUpload', 'POST', 'object', ['uploads']),
    op('UploadPart', 'PUT', 'object', ['uploadId'], ['partNumber'], { required: ['partNumber'] }),
    op('UploadPartCopy', 'PUT', 'object', ['uploadId'], ['partNumber'], { required: ['partNumber'], copy: true }),
    op('CompleteMultipartUpload', 'POST', 'object', ['uploadId']),
    op('AbortMultipartUpload', 'DELETE', 'object', ['uploadId']),
    op('ListParts', 'GET', 'object', ['uploadId'], ['max-parts', 'part-number-marker'], { read: true }),
    op('SelectObjectContent', 'POST', 'object', ['select'], ['select-type'], { required: ['select-type'], read: true }),
    // CORS preflight (cors.md §3): answered before authentication, on a bucket or an object.
    op('OptionsObject', 'OPTIONS', 'bucket', [], [], { read: true }),
    op('OptionsObject', 'OPTIONS', 'object', [], [], { read: true }),
  ];
  for (const [sub, get, put, del] of BUCKET_CONFIGS) {
    if (get) t.push(op(get, 'GET', 'bucket', [sub], [], { read: true }));
    if (put) t.push(op(put, 'PUT', 'bucket', [sub]));
    if (del) t.push(op(del, 'DELETE', 'bucket', [sub]));
  }
  for (const [sub, noun] of BUCKET_ID_CONFIGS) {
    t.push(op(`Get${noun}`, 'GET', 'bucket', [sub], ['id', 'continuation-token'], { read: true }));
    t.push(op(`Put${noun}`, 'PUT', 'bucket', [sub], ['id'], { required: ['id'] }));
    t.push(op(`Delete${noun}`, 'DELETE', 'bucket', [sub], ['id'], { required: ['id'] }));
  }
  for (const [sub, method, name, read] of OBJECT_SUBRESOURCES) t.push(op(name, method, 'object', [sub], VERSION, { read }));
  return t;
}

export const OPERATIONS: readonly OperationSpec[] = buildTable();

/**
 * Every query parameter that selects an operation (operations.md §2), including S3 operations s3bridge does not
 * serve (renameObject, session, metadataTable, ...): a request naming one of those is refused, never passed on as
 * if it were the plain operation.
 */
export const SUBRESOURCES: ReadonlySet<string> = new Set([
  ...OPERATIONS.flatMap((o) => o.sub),
  'renameObject',
  'session',
  'metadataTable',
  'metadataConfiguration',
  'metadataInventoryTable',
  'metadataJournalTable',
  'abac',
  'encryptionConfiguration',
]);

/** Operation names, for metric labels. */
export const OPERATION_NAMES: readonly string[] = [...new Set(OPERATIONS.map((o) => o.name))].sort();

const BY_NAME = new Map(OPERATIONS.map((o) => [o.name, o]));

export function operationSpec(name: string): OperationSpec | undefined {
  return BY_NAME.get(name);
}

/** Operations whose request body is object data (counted as received bytes, checked for integrity). */
export function carriesObjectBody(name: string): boolean {
  return name === 'PutObject' || name === 'UploadPart' || name === 'PostObject';
}

const RESOURCE_TYPE: Record<Level, string> = { service: 'SERVICE', bucket: 'BUCKET', object: 'OBJECT' };

function methodNotAllowed(method: string, level: Level): S3Error {
  return new S3Error(
    'MethodNotAllowed',
    undefined,
    { Method: method, ResourceType: RESOURCE_TYPE[level] },
    { headers: { allow: allowedMethods(level).join(', ') } },
  );
}

function allowedMethods(level: Level): Method[] {
  return S3_METHODS.filter((m) => OPERATIONS.some((o) => o.level === level && o.method === m));
}

/**
 * The operation a request performs (operations.md §3). `names` are the query parameter names present, `copy`
 * whether it carries a copy source (header or presigned query). Exactly one table row must match: the
 * subresource set is compared as a set, so `?select&uploads` is no operation at all.
 * Throws: 405 MethodNotAllowed (method not served on this resource), 501 NotImplemented (an S3 operation
 * s3bridge does not serve), 400 InvalidRequest (subresources that form no operation, a copy source where no
 * copy is possible, a missing required parameter).
 */
/** The table indexed by level and subresource set (sorted, joined with "&"): one lookup per request. */
const BY_SHAPE = new Map<string, OperationSpec[]>();
for (const o of OPERATIONS) {
  const k = `${o.level}?${[...o.sub].sort().join('&')}`;
  BY_SHAPE.set(k, [...(BY_SHAPE.get(k) ?? []), o]);
}

export function classifyOperation(method: Method, level: Level, names: ReadonlySet<string>, copy: boolean, listType?: string): OperationSpec {
  const sub: string[] = [];
  for (const n of names) if (SUBRESOURCES.has(n)) sub.push(n);
  sub.sort();
  const candidates = BY_SHAPE.get(`${level}?${sub.join('&')}`) ?? [];
  if (candidates.length === 0) {
    if (sub.length === 0 || (sub.length === 1 && !OPERATIONS.some((o) => o.sub.includes(sub[0]!)))) {
      if (sub.length === 1) throw new S3Error('NotImplemented', `s3bridge does not serve the "${sub[0]}" subresource.`);
      throw methodNotAllowed(method, level);
    }
    if (sub.length === 1) throw methodNotAllowed(method, level);
    throw new S3Error('InvalidRequest', `The subresources ${sub.map((s) => `"${s}"`).join(', ')} do not form one S3 operation.`);
  }
  const byMethod = candidates.filter((o) => o.method === method);
  if (byMethod.length === 0) throw methodNotAllowed(method, level);
  let spec = byMethod.find((o) => (o.copy === true) === copy);
  // Not with a copy source: neither listing copies, and the copy source must be refused below like anywhere else.
  if (!copy && byMethod.length > 1 && byMethod.every((o) => !o.copy) && method === 'GET' && level === 'bucket' && sub.length === 0) {
    spec = byMethod.find((o) => o.name === (listType === '2' ? 'ListObjectsV2' : 'ListObjects'));
  }
  if (!spec) {
    if (copy) throw new S3Error('InvalidRequest', 'x-amz-copy-source is only valid on CopyObject and UploadPartCopy.', { ArgumentName: 'x-amz-copy-source' });
    throw methodNotAllowed(method, level);
  }
  for (const name of spec.required ?? []) {
    if (!names.has(name)) throw new S3Error('InvalidRequest', `${spec.name} requires the "${name}" query parameter.`, { ArgumentName: name });
  }
  return spec;
}
