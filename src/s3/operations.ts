// classifyOperation: method + bucket/key + subresource query → the AWS API name (used in logs, metrics, handler choice).

/**
 * Subresources that select a bucket-level operation, checked in this order.
 * Names follow the Amazon S3 API Reference (Get/Put/Delete + resource).
 */
const BUCKET_SUBRESOURCES: Array<[string, { GET?: string; PUT?: string; DELETE?: string; POST?: string; HEAD?: string }]> = [
  ['accelerate', { GET: 'GetBucketAccelerateConfiguration', PUT: 'PutBucketAccelerateConfiguration' }],
  ['acl', { GET: 'GetBucketAcl', PUT: 'PutBucketAcl' }],
  ['analytics', { GET: 'GetBucketAnalyticsConfiguration', PUT: 'PutBucketAnalyticsConfiguration', DELETE: 'DeleteBucketAnalyticsConfiguration' }],
  ['cors', { GET: 'GetBucketCors', PUT: 'PutBucketCors', DELETE: 'DeleteBucketCors' }],
  ['encryption', { GET: 'GetBucketEncryption', PUT: 'PutBucketEncryption', DELETE: 'DeleteBucketEncryption' }],
  ['intelligent-tiering', { GET: 'GetBucketIntelligentTieringConfiguration', PUT: 'PutBucketIntelligentTieringConfiguration', DELETE: 'DeleteBucketIntelligentTieringConfiguration' }],
  ['inventory', { GET: 'GetBucketInventoryConfiguration', PUT: 'PutBucketInventoryConfiguration', DELETE: 'DeleteBucketInventoryConfiguration' }],
  ['lifecycle', { GET: 'GetBucketLifecycleConfiguration', PUT: 'PutBucketLifecycleConfiguration', DELETE: 'DeleteBucketLifecycle' }],
  ['location', { GET: 'GetBucketLocation' }],
  ['logging', { GET: 'GetBucketLogging', PUT: 'PutBucketLogging' }],
  ['metrics', { GET: 'GetBucketMetricsConfiguration', PUT: 'PutBucketMetricsConfiguration', DELETE: 'DeleteBucketMetricsConfiguration' }],
  ['notification', { GET: 'GetBucketNotificationConfiguration', PUT: 'PutBucketNotificationConfiguration' }],
  ['object-lock', { GET: 'GetObjectLockConfiguration', PUT: 'PutObjectLockConfiguration' }],
  ['ownershipControls', { GET: 'GetBucketOwnershipControls', PUT: 'PutBucketOwnershipControls', DELETE: 'DeleteBucketOwnershipControls' }],
  ['policyStatus', { GET: 'GetBucketPolicyStatus' }],
  ['policy', { GET: 'GetBucketPolicy', PUT: 'PutBucketPolicy', DELETE: 'DeleteBucketPolicy' }],
  ['publicAccessBlock', { GET: 'GetPublicAccessBlock', PUT: 'PutPublicAccessBlock', DELETE: 'DeletePublicAccessBlock' }],
  ['replication', { GET: 'GetBucketReplication', PUT: 'PutBucketReplication', DELETE: 'DeleteBucketReplication' }],
  ['requestPayment', { GET: 'GetBucketRequestPayment', PUT: 'PutBucketRequestPayment' }],
  ['tagging', { GET: 'GetBucketTagging', PUT: 'PutBucketTagging', DELETE: 'DeleteBucketTagging' }],
  ['versioning', { GET: 'GetBucketVersioning', PUT: 'PutBucketVersioning' }],
  ['website', { GET: 'GetBucketWebsite', PUT: 'PutBucketWebsite', DELETE: 'DeleteBucketWebsite' }],
  ['uploads', { GET: 'ListMultipartUploads' }],
  ['versions', { GET: 'ListObjectVersions' }],
  ['delete', { POST: 'DeleteObjects' }],
  ['metadataTable', { GET: 'GetBucketMetadataTableConfiguration', POST: 'CreateBucketMetadataTableConfiguration', DELETE: 'DeleteBucketMetadataTableConfiguration' }],
];

const OBJECT_SUBRESOURCES: Array<[string, { GET?: string; PUT?: string; DELETE?: string; POST?: string; HEAD?: string }]> = [
  ['acl', { GET: 'GetObjectAcl', PUT: 'PutObjectAcl' }],
  ['tagging', { GET: 'GetObjectTagging', PUT: 'PutObjectTagging', DELETE: 'DeleteObjectTagging' }],
  ['retention', { GET: 'GetObjectRetention', PUT: 'PutObjectRetention' }],
  ['legal-hold', { GET: 'GetObjectLegalHold', PUT: 'PutObjectLegalHold' }],
  ['attributes', { GET: 'GetObjectAttributes' }],
  ['torrent', { GET: 'GetObjectTorrent' }],
  ['restore', { POST: 'RestoreObject' }],
  ['select', { POST: 'SelectObjectContent' }],
  ['renameObject', { PUT: 'RenameObject' }],
];

/** Operations that only read; a read-only client may call these and nothing else. */
const READ_PREFIXES = ['Get', 'Head', 'List'];

export function isReadOperation(op: string): boolean {
  return READ_PREFIXES.some((p) => op.startsWith(p)) || op === 'SelectObjectContent';
}

export type QueryParams = ReadonlyMap<string, string>;

/**
 * Names the operation the way the AWS API Reference does. Unknown shapes are 'Unknown'
 * and still pass through to the backend.
 */
export function classifyOperation(method: string, bucket: string | undefined, key: string | undefined, query: QueryParams, hasCopySource: boolean): string {
  const m = method.toUpperCase();
  if (!bucket) {
    if (m === 'GET') return 'ListBuckets';
    return 'Unknown';
  }
  if (key === undefined || key === '') {
    for (const [name, ops] of BUCKET_SUBRESOURCES) {
      if (query.has(name)) return ops[m as keyof typeof ops] ?? 'Unknown';
    }
    switch (m) {
      case 'GET':
        return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      case 'HEAD': return 'HeadBucket';
      case 'PUT': return 'CreateBucket';
      case 'DELETE': return 'DeleteBucket';
      case 'POST': return 'PostObject';
      default: return 'Unknown';
    }
  }
  for (const [name, ops] of OBJECT_SUBRESOURCES) {
    if (query.has(name)) return ops[m as keyof typeof ops] ?? 'Unknown';
  }
  const uploadId = query.has('uploadId');
  switch (m) {
    case 'GET':
      return uploadId ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      if (uploadId && query.has('partNumber')) return hasCopySource ? 'UploadPartCopy' : 'UploadPart';
      return hasCopySource ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (uploadId) return 'CompleteMultipartUpload';
      return 'Unknown';
    case 'DELETE':
      return uploadId ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return 'Unknown';
  }
}

/** Operations whose request body is object data (counted as received bytes, checked for integrity). */
export function carriesObjectBody(op: string): boolean {
  return op === 'PutObject' || op === 'UploadPart';
}
