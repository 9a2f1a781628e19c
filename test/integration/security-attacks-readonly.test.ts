// Attack table, read-only keys (issue 13 item 4): every read operation with every write subresource added, and the writes themselves, on moto, the embedded store and s3rver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../src/s3/operations.js';
import { runAttackGroups, runAttacks, type AttackCase, type Expected } from '../helpers/attack-table.js';
import { uriEncode } from '../helpers/raw-s3.js';
import { BACKENDS, OBJECT, startSecurityStack, UPLOAD_KEY, type BackendName, type SecurityStack } from '../helpers/security-stack.js';

let stack: SecurityStack;
beforeAll(async () => {
  stack = await startSecurityStack();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});
const s = () => stack;

type Level = 'service' | 'bucket' | 'object';
/** The S3 operations that change nothing (operations.md §4), from the S3 API reference: [name, method, level, subresource]. */
const READ_OPERATIONS: ReadonlyArray<readonly [string, string, Level, string]> = [
  ['ListBuckets', 'GET', 'service', ''],
  ['ListObjects', 'GET', 'bucket', ''],
  ['ListObjectsV2', 'GET', 'bucket', ''],
  ['ListObjectVersions', 'GET', 'bucket', 'versions'],
  ['ListMultipartUploads', 'GET', 'bucket', 'uploads'],
  ['HeadBucket', 'HEAD', 'bucket', ''],
  ['GetObject', 'GET', 'object', ''],
  ['HeadObject', 'HEAD', 'object', ''],
  ['ListParts', 'GET', 'object', 'uploadId'],
  ['SelectObjectContent', 'POST', 'object', 'select'],
  ['GetBucketAccelerateConfiguration', 'GET', 'bucket', 'accelerate'],
  ['GetBucketAcl', 'GET', 'bucket', 'acl'],
  ['GetBucketCors', 'GET', 'bucket', 'cors'],
  ['GetBucketEncryption', 'GET', 'bucket', 'encryption'],
  ['GetBucketLifecycleConfiguration', 'GET', 'bucket', 'lifecycle'],
  ['GetBucketLocation', 'GET', 'bucket', 'location'],
  ['GetBucketLogging', 'GET', 'bucket', 'logging'],
  ['GetBucketNotificationConfiguration', 'GET', 'bucket', 'notification'],
  ['GetObjectLockConfiguration', 'GET', 'bucket', 'object-lock'],
  ['GetBucketOwnershipControls', 'GET', 'bucket', 'ownershipControls'],
  ['GetBucketPolicy', 'GET', 'bucket', 'policy'],
  ['GetBucketPolicyStatus', 'GET', 'bucket', 'policyStatus'],
  ['GetPublicAccessBlock', 'GET', 'bucket', 'publicAccessBlock'],
  ['GetBucketReplication', 'GET', 'bucket', 'replication'],
  ['GetBucketRequestPayment', 'GET', 'bucket', 'requestPayment'],
  ['GetBucketTagging', 'GET', 'bucket', 'tagging'],
  ['GetBucketVersioning', 'GET', 'bucket', 'versioning'],
  ['GetBucketWebsite', 'GET', 'bucket', 'website'],
  ['GetBucketAnalyticsConfiguration', 'GET', 'bucket', 'analytics'],
  ['GetBucketIntelligentTieringConfiguration', 'GET', 'bucket', 'intelligent-tiering'],
  ['GetBucketInventoryConfiguration', 'GET', 'bucket', 'inventory'],
  ['GetBucketMetricsConfiguration', 'GET', 'bucket', 'metrics'],
  ['GetObjectAcl', 'GET', 'object', 'acl'],
  ['GetObjectTagging', 'GET', 'object', 'tagging'],
  ['GetObjectRetention', 'GET', 'object', 'retention'],
  ['GetObjectLegalHold', 'GET', 'object', 'legal-hold'],
  ['GetObjectAttributes', 'GET', 'object', 'attributes'],
  ['GetObjectTorrent', 'GET', 'object', 'torrent'],
];

/** S3 operations s3bridge does not serve (operations.md §2). */
const NOT_SERVED = [
  'renameObject',
  'session',
  'metadataTable',
  'metadataConfiguration',
  'metadataInventoryTable',
  'metadataJournalTable',
  'abac',
  'encryptionConfiguration',
];
/** Subresources of the operations that change something, and of those s3bridge does not serve. */
const WRITE_SUBRESOURCES = [
  'uploads',
  'delete',
  'uploadId',
  'restore',
  'acl',
  'tagging',
  'retention',
  'legal-hold',
  'accelerate',
  'cors',
  'encryption',
  'lifecycle',
  'logging',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'versioning',
  'website',
  'analytics',
  'intelligent-tiering',
  'inventory',
  'metrics',
  ...NOT_SERVED,
];

const otherUpload = (x: BackendName, st: SecurityStack) => uriEncode(st.uploads[`zz-${x}`]!);
/** Completes another writer's upload (zz-X) with the part it holds, if anything lets it through. */
const completeBody = (x: BackendName, st: SecurityStack) =>
  `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${st.partEtags[`zz-${x}`]}</ETag></Part></CompleteMultipartUpload>`;

function paramFor(sub: string, x: BackendName, st: SecurityStack): string {
  if (sub === 'uploadId') return `uploadId=${otherUpload(x, st)}`;
  if (sub === 'select') return 'select&select-type=2';
  return sub;
}

function pathFor(level: Level, x: BackendName): string {
  return level === 'service' ? '/' : level === 'bucket' ? `/zz-${x}` : `/zz-${x}/${UPLOAD_KEY}`;
}

/**
 * A read operation plus a write subresource (operations.md §3): two subresources name no operation (400); on an
 * operation without one, the subresource either names another read (not a write: left out), an operation this
 * method does not serve (405), or one s3bridge does not serve (501).
 */
function withWrite(name: string, method: string, level: Level, sub: string, w: string, i: number): AttackCase | undefined {
  let expected: Expected;
  if (sub !== '') expected = { status: 400, code: 'InvalidRequest' };
  else if (NOT_SERVED.includes(w)) expected = { status: 501, code: 'NotImplemented' };
  else if (method === 'GET' && READ_OPERATIONS.some(([, m, l, s]) => m === 'GET' && l === level && s === w)) return undefined;
  else expected = { status: 405, code: 'MethodNotAllowed' };
  return {
    name: `${name} + ?${w}`,
    client: 'ro',
    // Two subresources are refused before any backend is chosen: each such case aims at one backend in turn
    // (every store is still compared after the group), which keeps the ~1,000 of them affordable.
    only: sub !== '' ? [BACKENDS[i % BACKENDS.length]!] : undefined,
    request: (x, st) => {
      const query = [sub ? paramFor(sub, x, st) : name === 'ListObjectsV2' ? 'list-type=2' : '', paramFor(w, x, st)].filter(Boolean).join('&');
      return { method, path: pathFor(level, x), query, body: method === 'POST' ? completeBody(x, st) : undefined };
    },
    expect: expected,
  };
}

const matrix = READ_OPERATIONS.map(([name, method, level, sub]) => ({
  name: `read-only key: ${name} with each write subresource`,
  cases: WRITE_SUBRESOURCES.filter((w) => w !== sub)
    .map((w, i) => withWrite(name, method, level, sub, w, i))
    .filter((c): c is AttackCase => c !== undefined),
}));

const denied = { status: 403, code: 'AccessDenied' } as const;
const writes: AttackCase[] = [
  {
    name: 'select&uploads creates no upload',
    client: 'ro',
    request: (x) => ({ method: 'POST', path: `/t1-${x}/new.bin`, query: 'select&uploads' }),
    expect: { status: 400, code: 'InvalidRequest' },
  },
  {
    name: "select&uploadId completes no one's upload",
    client: 'ro',
    request: (x, st) => ({ method: 'POST', path: `/zz-${x}/${UPLOAD_KEY}`, query: `select&uploadId=${otherUpload(x, st)}`, body: completeBody(x, st) }),
    expect: { status: 400, code: 'InvalidRequest' },
  },
  {
    name: "select&select-type&uploadId completes no one's upload",
    client: 'ro',
    request: (x, st) => ({
      method: 'POST',
      path: `/zz-${x}/${UPLOAD_KEY}`,
      query: `select&select-type=2&uploadId=${otherUpload(x, st)}`,
      body: completeBody(x, st),
    }),
    expect: { status: 400, code: 'InvalidRequest' },
  },
  {
    name: 'CompleteMultipartUpload',
    client: 'ro',
    request: (x, st) => ({ method: 'POST', path: `/zz-${x}/${UPLOAD_KEY}`, query: `uploadId=${otherUpload(x, st)}`, body: completeBody(x, st) }),
    expect: denied,
  },
  { name: 'CreateMultipartUpload', client: 'ro', request: (x) => ({ method: 'POST', path: `/zz-${x}/new.bin`, query: 'uploads' }), expect: denied },
  { name: 'PutObject', client: 'ro', request: (x) => ({ method: 'PUT', path: `/t1-${x}/${OBJECT}`, body: 'overwritten' }), expect: denied },
  {
    name: 'PutObject (presigned)',
    client: 'ro',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/${OBJECT}`, body: 'overwritten', presign: true }),
    expect: denied,
  },
  { name: 'DeleteObject', client: 'ro', request: (x) => ({ method: 'DELETE', path: `/t1-${x}/${OBJECT}` }), expect: denied },
  {
    name: 'AbortMultipartUpload',
    client: 'ro',
    request: (x, st) => ({ method: 'DELETE', path: `/zz-${x}/${UPLOAD_KEY}`, query: `uploadId=${otherUpload(x, st)}` }),
    expect: denied,
  },
  {
    name: "UploadPart into another writer's upload",
    client: 'ro',
    request: (x, st) => ({ method: 'PUT', path: `/zz-${x}/${UPLOAD_KEY}`, query: `partNumber=1&uploadId=${otherUpload(x, st)}`, body: 'replaced part' }),
    expect: denied,
  },
  {
    name: 'DeleteObjects',
    client: 'ro',
    request: (x) => ({ method: 'POST', path: `/t1-${x}`, query: 'delete', body: `<Delete><Object><Key>${OBJECT}</Key></Object></Delete>` }),
    expect: denied,
  },
  {
    name: 'PutObjectAcl',
    client: 'ro',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/${OBJECT}`, query: 'acl', headers: { 'x-amz-acl': 'public-read' } }),
    expect: denied,
  },
  { name: 'DeleteBucket', client: 'ro', request: (x) => ({ method: 'DELETE', path: `/t1-${x}` }), expect: denied },
  {
    name: 'PUT with ?select&select-type',
    client: 'ro',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/${OBJECT}`, query: 'select&select-type=2', body: 'x' }),
    expect: { status: 405, code: 'MethodNotAllowed' },
  },
  {
    // The override header is never forwarded (security.md §4): the backend serves a plain GET.
    name: 'GetObject carrying a signed X-HTTP-Method-Override: DELETE',
    client: 'ro',
    request: (x) => ({ method: 'GET', path: `/t1-${x}/${OBJECT}`, headers: { 'x-http-method-override': 'DELETE', 'x-method-override': 'DELETE' } }),
    expect: { status: 200 },
    check: (res, x) => expect(res.body).toBe(`contents of t1-${x}`),
  },
];

describe('the read operations', () => {
  it('are exactly the rows of the operation table marked read', () => {
    // OptionsObject (a CORS preflight) is answered before authentication: no key calls it.
    const rows = OPERATIONS.filter((o) => o.read && o.name !== 'OptionsObject')
      .map((o) => `${o.name} ${o.method} ${o.level} ${o.sub.join('&')}`)
      .sort();
    expect(rows).toEqual(READ_OPERATIONS.map((r) => r.join(' ')).sort());
  });
});

describe('read operations with a write subresource added', () => runAttackGroups(s, matrix));
describe('writes with a read-only key', () => runAttacks(s, writes));
