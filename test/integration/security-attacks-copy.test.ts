// Attack table, copies (issue 13 items 2, 3, 13): a copy source on every subresource, in a header or a presigned query, on moto, the embedded store and s3rver.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUBRESOURCES } from '../../src/s3/operations.js';
import { grouped, runAttackGroups, runAttacks, type AttackCase, type Expected } from '../helpers/attack-table.js';
import { uriEncode } from '../helpers/raw-s3.js';
import { OBJECT, SECRET, startSecurityStack, UPLOAD_KEY, type SecurityStack } from '../helpers/security-stack.js';

let stack: SecurityStack;
beforeAll(async () => {
  stack = await startSecurityStack();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});
const s = () => stack;

/** Every subresource S3 defines (operations.md §2), spelled out here so that a new one must be given its expectation. */
const ALL_SUBRESOURCES = [
  'versions',
  'uploads',
  'delete',
  'uploadId',
  'select',
  'accelerate',
  'acl',
  'cors',
  'encryption',
  'lifecycle',
  'location',
  'logging',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'tagging',
  'versioning',
  'website',
  'analytics',
  'intelligent-tiering',
  'inventory',
  'metrics',
  'retention',
  'legal-hold',
  'attributes',
  'torrent',
  'restore',
  'renameObject',
  'session',
  'metadataTable',
  'metadataConfiguration',
  'metadataInventoryTable',
  'metadataJournalTable',
  'abac',
  'encryptionConfiguration',
];
/** S3 operations s3bridge does not serve (operations.md §2): 501. */
const NOT_SERVED = new Set([
  'renameObject',
  'session',
  'metadataTable',
  'metadataConfiguration',
  'metadataInventoryTable',
  'metadataJournalTable',
  'abac',
  'encryptionConfiguration',
]);
/** PUT on an object with these is an operation, but not a copy (PutObjectAcl, …; UploadPart without its partNumber): 400. */
const OBJECT_PUT = new Set(['acl', 'tagging', 'retention', 'legal-hold', 'uploadId']);

/** `PUT /t1-X/x?<sub>` with a copy source (operations.md §3): no such operation, or not one that copies. */
function copyOnSubresource(sub: string): Expected {
  if (NOT_SERVED.has(sub)) return { status: 501, code: 'NotImplemented' };
  if (OBJECT_PUT.has(sub)) return { status: 400, code: 'InvalidRequest' };
  return { status: 405, code: 'MethodNotAllowed' }; // a GET/POST object subresource, or a bucket one
}

const secretSource = (x: string) => `zz-${x}/${SECRET}`;

const perSubresource: AttackCase[] = [...SUBRESOURCES].flatMap((sub): AttackCase[] => [
  {
    name: `?${sub} with x-amz-copy-source (header)`,
    group: `?${sub}`,
    client: 't1',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/copied.txt`, query: sub, headers: { 'x-amz-copy-source': secretSource(x) } }),
    expect: copyOnSubresource(sub),
  },
  {
    name: `?${sub} with x-amz-copy-source (presigned query)`,
    group: `?${sub}`,
    client: 't1',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/copied.txt`, query: `${sub}&x-amz-copy-source=${uriEncode(secretSource(x))}`, presign: true }),
    expect: copyOnSubresource(sub),
  },
  ...(sub === 'uploadId'
    ? []
    : [
        {
          // With UploadPartCopy's own parameters (the client's own upload): two subresources still name no operation.
          name: `?${sub}&partNumber=1&uploadId=<own upload> with x-amz-copy-source`,
          group: `?${sub}`,
          client: 't1' as const,
          request: (x: string, st: SecurityStack) => ({
            method: 'PUT',
            path: `/t1-${x}/${UPLOAD_KEY}`,
            query: `${sub}&partNumber=1&uploadId=${uriEncode(st.uploads[`t1-${x}`]!)}`,
            headers: { 'x-amz-copy-source': secretSource(x) },
          }),
          expect: { status: 400, code: 'InvalidRequest' },
        },
      ]),
]);

const copies: AttackCase[] = [
  {
    name: 'CopyObject from a private bucket (header)',
    client: 't1',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/copied.txt`, headers: { 'x-amz-copy-source': secretSource(x) } }),
    expect: { status: 403, code: 'AccessDenied' },
  },
  {
    name: 'CopyObject from a private bucket (presigned x-amz-copy-source)',
    client: 't1',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/copied.txt`, query: `x-amz-copy-source=${uriEncode(secretSource(x))}`, presign: true }),
    expect: { status: 403, code: 'AccessDenied' },
  },
  {
    name: 'CopyObject: an allowed source in the header, a private one in the query',
    client: 't1',
    request: (x) => ({
      method: 'PUT',
      path: `/t1-${x}/copied.txt`,
      query: `x-amz-copy-source=${uriEncode(secretSource(x))}`,
      headers: { 'x-amz-copy-source': `t1-${x}/${OBJECT}` },
    }),
    expect: { status: 400, code: 'InvalidArgument' },
  },
  {
    name: 'CopyObject from a private bucket, X-Amz-Copy-Source spelled in capitals in a presigned query',
    client: 't1',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/copied.txt`, query: `X-Amz-Copy-Source=${uriEncode(secretSource(x))}`, presign: true }),
    expect: { status: 403, code: 'AccessDenied' },
  },
  {
    name: 'UploadPartCopy into the own upload from a private bucket',
    client: 't1',
    request: (x, st) => ({
      method: 'PUT',
      path: `/t1-${x}/${UPLOAD_KEY}`,
      query: `partNumber=2&uploadId=${uriEncode(st.uploads[`t1-${x}`]!)}`,
      headers: { 'x-amz-copy-source': secretSource(x) },
    }),
    expect: { status: 403, code: 'AccessDenied' },
  },
  {
    name: 'UploadPartCopy with an empty uploadId',
    client: 't1',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/copied.txt`, query: 'partNumber=1&uploadId=', headers: { 'x-amz-copy-source': secretSource(x) } }),
    expect: { status: 404, code: 'NoSuchUpload' },
  },
  {
    name: "UploadPartCopy into another writer's upload in a private bucket",
    client: 't1',
    request: (x, st) => ({
      method: 'PUT',
      path: `/zz-${x}/${UPLOAD_KEY}`,
      query: `partNumber=2&uploadId=${uriEncode(st.uploads[`zz-${x}`]!)}`,
      headers: { 'x-amz-copy-source': `t1-${x}/${OBJECT}` },
    }),
    expect: { status: 403, code: 'AccessDenied' },
  },
  // A copy source on an operation without subresources that cannot copy (the listings share one shape).
  ...[
    ['ListObjects', ''],
    ['ListObjectsV2', 'list-type=2'],
  ].flatMap(([name, query]): AttackCase[] => [
    {
      name: `${name} with x-amz-copy-source (header)`,
      client: 't1',
      request: (x) => ({ method: 'GET', path: `/t1-${x}`, query, headers: { 'x-amz-copy-source': secretSource(x) } }),
      expect: { status: 400, code: 'InvalidRequest' },
    },
    {
      name: `${name} with x-amz-copy-source (presigned query)`,
      client: 't1',
      request: (x) => ({
        method: 'GET',
        path: `/t1-${x}`,
        query: [query, `x-amz-copy-source=${uriEncode(secretSource(x))}`].filter(Boolean).join('&'),
        presign: true,
      }),
      expect: { status: 400, code: 'InvalidRequest' },
    },
  ]),
  {
    name: 'GetObject with x-amz-copy-source',
    client: 't1',
    request: (x) => ({ method: 'GET', path: `/t1-${x}/${OBJECT}`, headers: { 'x-amz-copy-source': secretSource(x) } }),
    expect: { status: 400, code: 'InvalidRequest' },
  },
  {
    name: 'CopyObject with a read-only key',
    client: 'ro',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/copied.txt`, headers: { 'x-amz-copy-source': `t1-${x}/${OBJECT}` } }),
    expect: { status: 403, code: 'AccessDenied' },
  },
  {
    name: 'CopyObject from an alias target under its backend name',
    client: 'pclient',
    only: ['moto'],
    request: () => ({ method: 'PUT', path: '/photos/copied.jpg', headers: { 'x-amz-copy-source': 'prod-photos/cat.jpg' } }),
    expect: { status: 404, code: 'NoSuchBucket' },
  },
  {
    name: 'CopyObject into an alias target under its backend name',
    client: 'pclient',
    only: ['moto'],
    request: () => ({ method: 'PUT', path: '/prod-photos/copied.jpg', headers: { 'x-amz-copy-source': 'photos/cat.jpg' } }),
    expect: { status: 404, code: 'NoSuchBucket' },
  },
  // Same-backend copies are native: the range must be refused before the backend sees it (security.md §2.3).
  ...['bytes=0-1,3-4', 'bytes=5-1', 'bytes=-3', 'bytes=0-', 'bytes=0-1, 2-3', 'items=0-1', 'bytes=0x0-0x1'].map(
    (range): AttackCase => ({
      name: `UploadPartCopy with x-amz-copy-source-range: ${range}`,
      client: 't1',
      request: (x, st) => ({
        method: 'PUT',
        path: `/t1-${x}/${UPLOAD_KEY}`,
        query: `partNumber=2&uploadId=${uriEncode(st.uploads[`t1-${x}`]!)}`,
        headers: { 'x-amz-copy-source': `t1-${x}/${OBJECT}`, 'x-amz-copy-source-range': range },
      }),
      expect: { status: 400, code: 'InvalidArgument' },
    }),
  ),
];

describe('the subresource list', () => {
  it('is the one s3bridge knows: every subresource has its expectation here', () => {
    expect(new Set(ALL_SUBRESOURCES)).toEqual(SUBRESOURCES);
  });
});

describe('a copy source on every subresource (header, presigned query, as UploadPartCopy)', () => runAttackGroups(s, grouped(perSubresource)));
describe('copies across the allow-list', () => runAttacks(s, copies));
