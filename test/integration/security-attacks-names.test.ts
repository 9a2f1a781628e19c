// Attack table, names (issue 13 items 1, 5, 10): dot segments and encodings in buckets, keys, copy sources, upload and version ids, part numbers, listings and alias targets, on moto, the embedded store and s3rver.
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { grouped, runAttackGroups, type AttackCase, type Expected } from '../helpers/attack-table.js';
import { uriEncode, type RawS3Request } from '../helpers/raw-s3.js';
import { OBJECT, SECRET, startSecurityStack, UPLOAD_KEY, type BackendName, type SecurityStack } from '../helpers/security-stack.js';

let stack: SecurityStack;
beforeAll(async () => {
  stack = await startSecurityStack();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});
const s = () => stack;

const invalid = { status: 400, code: 'InvalidArgument' } as const; // security.md §3.2, §3.3, copy-semantics.md §2
const badBucket = { status: 400, code: 'InvalidBucketName' } as const; // security.md §3.1
const noSuchUpload = { status: 404, code: 'NoSuchUpload' } as const; // security.md §3.3

/** Paths that lead from t1-X to zz-X/secret.txt or out of the store if anything on the way resolves them; {x} is the backend. */
const PATHS: ReadonlyArray<readonly [string, Expected]> = [
  ['/t1-{x}/../zz-{x}/secret.txt', invalid],
  ['/t1-{x}/%2E%2E/zz-{x}/secret.txt', invalid],
  ['/t1-{x}/%2e./zz-{x}/secret.txt', invalid],
  ['/t1-{x}/.%2E/zz-{x}/secret.txt', invalid],
  ['/t1-{x}/..%2Fzz-{x}%2Fsecret.txt', invalid],
  ['/t1-{x}/..%5Czz-{x}%5Csecret.txt', invalid],
  ['/t1-{x}/..\\zz-{x}\\secret.txt', invalid],
  ['/t1-{x}/a/./../../zz-{x}/secret.txt', invalid],
  ['/t1-{x}//../zz-{x}/secret.txt', invalid],
  ['/t1-{x}/./obj.txt', invalid],
  ['/t1-{x}/..', invalid],
  ['/t1-{x}/.', invalid],
  ['/t1-{x}/../../escape-probe', invalid],
  ['/t1-{x}/..%2F..%2F..%2Fescape-probe', invalid],
  ['/t1-{x}/%2E%2E%5C%2E%2E%5Cescape-probe', invalid],
  ['//zz-{x}/secret.txt', { status: 400, code: 'InvalidURI' }],
  ['/../zz-{x}/secret.txt', badBucket],
  ['/./t1-{x}/obj.txt', badBucket],
  ['/%2E%2E/zz-{x}/secret.txt', badBucket],
  ['/t1-{x}%2F..%2Fzz-{x}/secret.txt', badBucket],
  ['/t1-{x}%5C..%5Czz-{x}/secret.txt', badBucket],
  ['/t1-{x}\\..\\zz-{x}/secret.txt', badBucket],
  ['/zz-{x}/secret.txt', { status: 403, code: 'AccessDenied' }],
  // Overlong UTF-8 for "." (a decoder that accepts it would see "..") is not UTF-8 at all.
  ['/t1-{x}/%C0%AE%C0%AE/zz-{x}/secret.txt', { status: 400, code: 'InvalidURI' }],
  ['/t1-{x}/%E0%80%AE%E0%80%AE/zz-{x}/secret.txt', { status: 400, code: 'InvalidURI' }],
  // Decoded once, these are literal keys in t1-X that do not exist: the backend must not decode them again.
  ['/t1-{x}/%252E%252E/zz-{x}/secret.txt', { status: 404, code: 'NoSuchKey', backend: true }],
  ['/t1-{x}/..;/zz-{x}/secret.txt', { status: 404, code: 'NoSuchKey', backend: true }],
  // Fullwidth full stops (U+FF0E) become ".." only under Unicode normalisation, which no store applies to keys.
  ['/t1-{x}/%EF%BC%8E%EF%BC%8E/zz-{x}/secret.txt', { status: 404, code: 'NoSuchKey', backend: true }],
];

const at = (template: string, x: BackendName) => template.replaceAll('{x}', x);

const paths: AttackCase[] = PATHS.flatMap(([template, expected]): AttackCase[] => {
  const get: AttackCase = {
    name: `GET ${template}`,
    group: template,
    client: 't1',
    request: (x) => ({ method: 'GET', path: at(template, x) }),
    expect: expected,
  };
  // A PUT or DELETE of a literal key that merely does not exist would succeed, in t1-X: those paths are read probes only.
  if (expected.backend) return [get];
  return [
    get,
    { name: `PUT ${template}`, group: template, client: 't1', request: (x) => ({ method: 'PUT', path: at(template, x), body: 'planted' }), expect: expected },
    { name: `DELETE ${template}`, group: template, client: 't1', request: (x) => ({ method: 'DELETE', path: at(template, x) }), expect: expected },
  ];
});

const absolute: AttackCase = {
  name: 'GET http://host/t1-X/../zz-X/secret.txt (absolute-form target)',
  client: 't1',
  request: (x) => ({ method: 'GET', path: `/t1-${x}/../zz-${x}/${SECRET}`, absolute: true }),
  expect: invalid,
};

/** Copy sources that lead from t1-X to zz-X/secret.txt (copy-semantics.md §2, security.md §2.3). */
const SOURCES: ReadonlyArray<readonly [string, Expected]> = [
  ['t1-{x}/../zz-{x}/secret.txt', invalid],
  ['t1-{x}/%2E%2E/zz-{x}/secret.txt', invalid],
  ['/t1-{x}/..%2Fzz-{x}%2Fsecret.txt', invalid],
  ['t1-{x}/..%5Czz-{x}%5Csecret.txt', invalid],
  ['t1-{x}//../zz-{x}/secret.txt', invalid],
  ['t1-{x}/.', invalid],
  ['t1-{x}%2F..%2Fzz-{x}/secret.txt', invalid],
  ['t1-{x}%5C..%5Czz-{x}/secret.txt', invalid],
  ['..%2Fzz-{x}/secret.txt', invalid],
  ['zz-{x}%2Fsecret.txt', invalid],
  ['t1-{x}/obj.txt?versionId=..%2F..%2Fzz-{x}', invalid],
  ['t1-{x}/obj.txt?versionId=%5C..%5Cx', invalid],
  ['arn%3Aaws%3As3%3Aus-east-1%3A123456789012%3Aaccesspoint%2Fzz-{x}%2Fobject%2Fsecret.txt', invalid],
  ['zz-{x}/secret.txt', { status: 403, code: 'AccessDenied' }],
];

const copySources: AttackCase[] = SOURCES.flatMap(([template, expected]): AttackCase[] => [
  {
    name: `CopyObject from ${template} (header)`,
    group: `copy source ${template}`,
    client: 't1',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/copied.txt`, headers: { 'x-amz-copy-source': at(template, x) } }),
    expect: expected,
  },
  {
    name: `CopyObject from ${template} (presigned query)`,
    group: `copy source ${template}`,
    client: 't1',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}/copied.txt`, query: `x-amz-copy-source=${uriEncode(at(template, x))}`, presign: true }),
    expect: expected,
  },
]);

const own = (x: BackendName, st: SecurityStack) => uriEncode(st.uploads[`t1-${x}`]!);
const part =
  (query: (x: BackendName, st: SecurityStack) => string) =>
  (x: BackendName, st: SecurityStack): RawS3Request => ({
    method: 'PUT',
    path: `/t1-${x}/${UPLOAD_KEY}`,
    query: query(x, st),
    body: 'planted part',
  });

/** uploadId values a file-backed store would turn into a path (security.md §3.3). */
const UPLOAD_IDS = [
  '..%2F..%2Fzz-{x}%2Fsecret.txt',
  '%2F..%2F..%2Fescape',
  '..',
  '.',
  'abc%5C..%5C..%5Cx',
  '',
  '%00',
  '{own}%2F..%2F..%2F..%2F..%2Fescape',
  '..%2F..%2Fzz-{x}%2F._S3rver_uploads%2F{other}',
];
const uploadId = (template: string, x: BackendName, st: SecurityStack) =>
  at(template, x)
    .replace('{own}', own(x, st))
    .replace('{other}', uriEncode(st.uploads[`zz-${x}`]!));

const uploads: AttackCase[] = UPLOAD_IDS.flatMap((id): AttackCase[] => [
  {
    name: `UploadPart with uploadId=${id}`,
    group: `uploadId=${id}`,
    client: 't1',
    request: part((x, st) => `partNumber=1&uploadId=${uploadId(id, x, st)}`),
    expect: noSuchUpload,
  },
  {
    name: `CompleteMultipartUpload with uploadId=${id}`,
    group: `uploadId=${id}`,
    client: 't1',
    request: (x, st) => ({ method: 'POST', path: `/t1-${x}/${UPLOAD_KEY}`, query: `uploadId=${uploadId(id, x, st)}`, body: '<CompleteMultipartUpload/>' }),
    expect: noSuchUpload,
  },
  {
    name: `AbortMultipartUpload with uploadId=${id}`,
    group: `uploadId=${id}`,
    client: 't1',
    request: (x, st) => ({ method: 'DELETE', path: `/t1-${x}/${UPLOAD_KEY}`, query: `uploadId=${uploadId(id, x, st)}` }),
    expect: noSuchUpload,
  },
  {
    name: `ListParts with uploadId=${id}`,
    group: `uploadId=${id}`,
    client: 't1',
    request: (x, st) => ({ method: 'GET', path: `/t1-${x}/${UPLOAD_KEY}`, query: `uploadId=${uploadId(id, x, st)}` }),
    expect: noSuchUpload,
  },
]);

const partNumbers: AttackCase[] = [
  ...['..%2F1', '1%2F..%2F..%2F..%2Fescape', '0', '10001', '-1', '1.0', '%2B1', '%201', '1e3', '0x1', ''].map(
    (n): AttackCase => ({
      name: `UploadPart with partNumber=${n}`,
      client: 't1',
      request: part((x, st) => `partNumber=${n}&uploadId=${own(x, st)}`),
      expect: invalid,
    }),
  ),
  // Stores disagree on which of several values counts; s3rver joins them ("1,../../x" is a path).
  {
    name: 'UploadPart with partNumber given twice',
    client: 't1',
    request: part((x, st) => `partNumber=1&partNumber=..%2F..%2F..%2F..%2F..%2Fescape&uploadId=${own(x, st)}`),
    expect: invalid,
  },
  {
    name: 'UploadPart with uploadId given twice',
    client: 't1',
    request: part((x, st) => `partNumber=1&uploadId=${own(x, st)}&uploadId=..%2F..%2Fescape`),
    expect: invalid,
  },
  {
    name: 'GetObject with partNumber=..%2F1',
    client: 't1',
    request: (x) => ({ method: 'GET', path: `/t1-${x}/${OBJECT}`, query: 'partNumber=..%2F1' }),
    expect: invalid,
  },
];

const versions: AttackCase[] = ['..%2F..%2Fzz-{x}%2Fsecret.txt', '..', '%5C..%5Cx', '%2Fetc', '', 'a%00b']
  .flatMap((v): AttackCase[] => [
    {
      name: `GetObject with versionId=${v}`,
      group: `versionId=${v}`,
      client: 't1',
      request: (x) => ({ method: 'GET', path: `/t1-${x}/${OBJECT}`, query: `versionId=${at(v, x)}` }),
      expect: invalid,
    },
    {
      name: `DeleteObject with versionId=${v}`,
      group: `versionId=${v}`,
      client: 't1',
      request: (x) => ({ method: 'DELETE', path: `/t1-${x}/${OBJECT}`, query: `versionId=${at(v, x)}` }),
      expect: invalid,
    },
  ])
  .concat([
    {
      name: 'DeleteObject with versionId given twice',
      client: 't1',
      request: (x) => ({ method: 'DELETE', path: `/t1-${x}/${OBJECT}`, query: 'versionId=null&versionId=..%2F..' }),
      expect: invalid,
    },
  ]);

/** The text of every <tag> element of a listing. */
const listed = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]);

// An alias target is reachable only under its alias, even for a key whose glob matches both (security.md §5).
const noSuchBucket = { status: 404, code: 'NoSuchBucket' } as const;
const aliases: AttackCase[] = [
  {
    name: 'GET an alias target under its backend name',
    client: 'pclient',
    only: ['moto'],
    request: () => ({ method: 'GET', path: '/prod-photos/cat.jpg' }),
    expect: noSuchBucket,
  },
  {
    name: 'PUT into an alias target under its backend name',
    client: 'pclient',
    only: ['moto'],
    request: () => ({ method: 'PUT', path: '/prod-photos/planted.jpg', body: 'x' }),
    expect: noSuchBucket,
  },
  {
    name: 'DELETE in an alias target under its backend name',
    client: 'pclient',
    only: ['moto'],
    request: () => ({ method: 'DELETE', path: '/prod-photos/cat.jpg' }),
    expect: noSuchBucket,
  },
  {
    name: 'list an alias target under its backend name',
    client: 'pclient',
    only: ['moto'],
    request: () => ({ method: 'GET', path: '/prod-photos', query: 'list-type=2' }),
    expect: noSuchBucket,
  },
  {
    name: 'delete an alias target bucket under its backend name',
    client: 'pclient',
    only: ['moto'],
    request: () => ({ method: 'DELETE', path: '/prod-photos' }),
    expect: noSuchBucket,
  },
  {
    name: 'ListBuckets shows the alias, not its target',
    client: 'pclient',
    only: ['moto'],
    request: () => ({ method: 'GET', path: '/' }),
    expect: { status: 200 },
    check: (res) => expect(listed(res.body, 'Name')).toEqual(['photos']),
  },
  {
    name: 'GET through the alias (the way in that exists)',
    client: 'pclient',
    only: ['moto'],
    request: () => ({ method: 'GET', path: '/photos/cat.jpg' }),
    expect: { status: 200 },
    check: (res) => expect(res.body).toBe('meow'),
  },
];

const listings: AttackCase[] = [
  {
    name: "ListBuckets shows the key's buckets only",
    client: 't1',
    only: ['moto'],
    request: () => ({ method: 'GET', path: '/' }),
    expect: { status: 200 },
    check: (res) => expect(listed(res.body, 'Name')).toEqual(['t1-emb', 't1-moto', 't1-s3rver']),
  },
  // Listing parameters are compared with keys, never resolved as paths (s3rver walks its folder from the bucket's own).
  ...(
    [
      ['prefix=..%2Fzz-{x}%2F', []],
      ['start-after=..%2Fzz-{x}', [OBJECT]], // "../zz-X" sorts before "obj.txt": t1-X's own key, nothing else
      ['prefix=..%2F&delimiter=%2F', []],
      ['prefix=%2F..%2F..%2F', []],
    ] as const
  ).map(
    ([query, keys]): AttackCase => ({
      name: `ListObjectsV2 with ${query}`,
      group: 'listing parameters that look like paths',
      client: 't1',
      request: (x) => ({ method: 'GET', path: `/t1-${x}`, query: `list-type=2&${at(query, x)}` }),
      expect: { status: 200 },
      check: (res) => expect(listed(res.body, 'Key')).toEqual(keys),
    }),
  ),
];

describe('paths', () => runAttackGroups(s, grouped([...paths, absolute])));
describe('copy sources', () => runAttackGroups(s, grouped(copySources)));
describe('upload ids', () => runAttackGroups(s, grouped(uploads)));
describe('part numbers', () => runAttackGroups(s, grouped(partNumbers)));
describe('version ids', () => runAttackGroups(s, grouped(versions)));
describe('aliases', () => runAttackGroups(s, grouped(aliases)));
describe('listings', () => runAttackGroups(s, grouped(listings)));
