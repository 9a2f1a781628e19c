// Attack table, bodies and framing (issue 13 items 6, 7, 11, 12): XML bodies, browser POST forms, streaming uploads without their chunks, methods, Connection, on moto, the embedded store and s3rver.
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import { deriveSigningKey } from '../helpers/aws-chunked-encode.js';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { runAttacks, type AttackCase, type Expected } from '../helpers/attack-table.js';
import { sendTarget, type RawS3Response } from '../helpers/raw-s3.js';
import { CLIENTS, OBJECT, startSecurityStack, UPLOAD_KEY, type BackendName, type SecurityStack } from '../helpers/security-stack.js';
import { signChunked, type ChunkedRequest } from '../helpers/signed-chunks.js';
import { corruptChunkSignature, withoutFinalChunk } from '../e2e/helpers/raw-chunked.js';
import type { AwsChunkedMode } from '../../src/s3/payload.js';

let stack: SecurityStack;
beforeAll(async () => {
  stack = await startSecurityStack();
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});
const s = () => stack;

const invalid = { status: 400, code: 'InvalidArgument' } as const;
const malformed = { status: 400, code: 'MalformedXML' } as const;
const tooBig = { status: 400, code: 'MaxMessageLengthExceeded' } as const;

const deleteDoc = (...keys: string[]) => `<Delete>${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}</Delete>`;
const deleteObjects = (name: string, body: (x: BackendName) => string, expected: Expected): AttackCase => ({
  name: `DeleteObjects: ${name}`,
  client: 't1',
  request: (x) => ({ method: 'POST', path: `/t1-${x}`, query: 'delete', body: body(x) }),
  expect: expected,
});

// Keys are checked like the request's own key, after XML decoding (security.md §3.4).
const xmlBodies: AttackCase[] = [
  deleteObjects('a key with dot segments', (x) => deleteDoc(`../zz-${x}/secret.txt`), invalid),
  deleteObjects('a key with backslash dot segments', (x) => deleteDoc(`..\\zz-${x}\\secret.txt`), invalid),
  deleteObjects('dot segments as character references', (x) => deleteDoc(`&#46;&#46;/zz-${x}/secret.txt`), invalid),
  deleteObjects('dot segments in CDATA', (x) => deleteDoc(`<![CDATA[../zz-${x}/secret.txt]]>`), invalid),
  deleteObjects('dot segments split by a comment', (x) => deleteDoc(`.<!-- -->./zz-${x}/secret.txt`), invalid),
  deleteObjects('the key ".."', () => deleteDoc('..'), invalid),
  deleteObjects('a harmless key beside a bad one', (x) => deleteDoc(OBJECT, `../zz-${x}/secret.txt`), invalid),
  deleteObjects('a version id with dot segments', (x) => `<Delete><Object><Key>${OBJECT}</Key><VersionId>../../zz-${x}</VersionId></Object></Delete>`, invalid),
  deleteObjects('1,001 keys', () => deleteDoc(...Array.from({ length: 1001 }, (_, i) => `k${i}`)), malformed),
  deleteObjects('an entity declared in a DTD', (x) => `<!DOCTYPE d [<!ENTITY e "../zz-${x}/secret.txt">]>${deleteDoc('&e;')}`, malformed),
  deleteObjects('two roots', (x) => `${deleteDoc(OBJECT)}${deleteDoc(`../zz-${x}/secret.txt`)}`, malformed),
  deleteObjects('not well-formed', () => '<Delete><Object><Key>obj.txt</Object></Delete>', malformed),
  {
    name: 'DeleteObjects in a private bucket',
    client: 't1',
    request: (x) => ({ method: 'POST', path: `/zz-${x}`, query: 'delete', body: deleteDoc('secret.txt') }),
    expect: { status: 403, code: 'AccessDenied' },
  },
  // S3's own bounds (security.md §3.4), whether the length is announced or not.
  {
    name: 'DeleteObjects announcing 2 MiB + 1 bytes',
    client: 't1',
    request: (x) => ({ method: 'POST', path: `/t1-${x}`, query: 'delete', body: '<Delete>', declaredLength: 2 * 1024 * 1024 + 1 }),
    expect: tooBig,
  },
  {
    name: 'DeleteObjects announcing 100 MB',
    client: 't1',
    request: (x) => ({ method: 'POST', path: `/t1-${x}`, query: 'delete', body: '<Delete>', declaredLength: 100_000_000 }),
    expect: tooBig,
  },
  // Without a Content-Length a body that is not aws-chunked is refused before it is read (S3: 411).
  {
    name: 'DeleteObjects of 3 MiB, Transfer-Encoding: chunked',
    client: 't1',
    request: (x) => ({
      method: 'POST',
      path: `/t1-${x}`,
      query: 'delete',
      body: `<Delete>${' '.repeat(3 * 1024 * 1024)}${deleteDoc(OBJECT).slice(8)}`,
      chunked: true,
    }),
    // A chunked body without Content-Length is streamed (as S3 and the backends accept it), and still bounded.
    expect: tooBig,
  },
  {
    name: 'PutBucketTagging announcing 1 MiB + 1 bytes',
    client: 't1',
    request: (x) => ({ method: 'PUT', path: `/t1-${x}`, query: 'tagging', body: '<Tagging>', declaredLength: 1024 * 1024 + 1 }),
    expect: tooBig,
  },
  chunkedXml(
    'DeleteObjects announcing a decoded length of 3 MiB',
    { method: 'POST', query: 'delete', data: deleteDoc(OBJECT), decodedLength: 3 * 1024 * 1024 + 1 },
    tooBig,
  ),
  // The decoded length is a promise the chunks must keep: 3 MiB of chunks after announcing 100 bytes.
  chunkedXml(
    'DeleteObjects whose chunks carry 3 MiB after announcing 100 bytes',
    { method: 'POST', query: 'delete', data: `<Delete>${' '.repeat(3 * 1024 * 1024)}</Delete>`, decodedLength: 100 },
    { status: 400, code: 'IncompleteBody' },
  ),
  chunkedXml(
    'PutBucketTagging whose chunks carry 1.5 MiB, announced',
    { method: 'PUT', query: 'tagging', data: `<Tagging>${' '.repeat(1536 * 1024)}</Tagging>` },
    tooBig,
  ),
  {
    name: 'CompleteMultipartUpload listing 10,001 parts',
    client: 't1',
    request: (x, st) => ({
      method: 'POST',
      path: `/t1-${x}/${UPLOAD_KEY}`,
      query: `uploadId=${encodeURIComponent(st.uploads[`t1-${x}`]!)}`,
      body: `<CompleteMultipartUpload>${'<Part><PartNumber>1</PartNumber><ETag>"e"</ETag></Part>'.repeat(10_001)}</CompleteMultipartUpload>`,
    }),
    expect: malformed,
  },
  {
    name: 'CompleteMultipartUpload with PartNumber ../1',
    client: 't1',
    request: (x, st) => ({
      method: 'POST',
      path: `/t1-${x}/${UPLOAD_KEY}`,
      query: `uploadId=${encodeURIComponent(st.uploads[`t1-${x}`]!)}`,
      body: '<CompleteMultipartUpload><Part><PartNumber>../1</PartNumber><ETag>"e"</ETag></Part></CompleteMultipartUpload>',
    }),
    expect: malformed,
  },
];

/** A SigV4 POST policy signed by t1 that allows any key in t1-X: what refuses the forms below is the key rule, not the policy. */
function signedPolicyFields(bucket: string): Array<[string, string]> {
  const now = new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const credential = `${CLIENTS.t1.accessKeyId}/${date}/us-east-1/s3/aws4_request`;
  const policy = Buffer.from(
    JSON.stringify({
      expiration: new Date(now.getTime() + 600_000).toISOString(),
      conditions: [
        { bucket },
        ['starts-with', '$key', ''],
        { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
        { 'x-amz-credential': credential },
        { 'x-amz-date': amzDate },
      ],
    }),
  ).toString('base64');
  const key = deriveSigningKey(CLIENTS.t1.secretAccessKey, date, 'us-east-1');
  const signature = createHmac('sha256', key).update(policy).digest('hex');
  return [
    ['x-amz-algorithm', 'AWS4-HMAC-SHA256'],
    ['x-amz-credential', credential],
    ['x-amz-date', amzDate],
    ['policy', policy],
    ['x-amz-signature', signature],
  ];
}

/** A browser POST form, validly signed by t1, whose `key` field (or the file's name, through ${filename}) would lead out of t1-X. */
function postForm(name: string, key: string, filename = 'f.txt'): AttackCase {
  const boundary = '----s3bridge-test';
  const field = (n: string, v: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${n}"\r\n\r\n${v}\r\n`;
  return {
    name: `browser POST upload: ${name}`,
    client: 't1',
    request: (x) => ({
      method: 'POST',
      path: `/t1-${x}`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: `${signedPolicyFields(`t1-${x}`)
        .map(([n, v]) => field(n, v))
        .join(
          '',
        )}${field('key', key.replaceAll('{x}', x))}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\nplanted\r\n--${boundary}--\r\n`,
    }),
    // The form is sent on as a PutObject of its key, authorized like one: dot segments refused (security.md §3.2, §3.4).
    expect: invalid,
  };
}

const forms: AttackCase[] = [
  postForm('a key with dot segments into another bucket', '../zz-{x}/planted.txt'),
  postForm('a key with dot segments out of the store', '../../../escape-probe'),
  // The browser's path is dropped (S3's basename rule), so only a filename that is itself a dot segment reaches the key.
  postForm('${filename} that is a dot segment', 'uploads/${filename}', '..'),
  postForm('a key that is only dots', '..'),
];

/** A signed aws-chunked request (security.md §6), changed by `mutate` before it is sent. */
function chunked(
  name: string,
  req: (x: BackendName) => Omit<ChunkedRequest, 'mode' | 'chunkSizes'> & Partial<ChunkedRequest>,
  mutate: (body: Buffer) => Buffer | undefined,
  expected: Expected,
  only?: BackendName[],
): AttackCase {
  return {
    name,
    client: 't1',
    only,
    async send(x, st) {
      const base = st.bridge.s3Url;
      const signed = await signChunked(base, CLIENTS.t1, { mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', chunkSizes: 64 * 1024, ...req(x) });
      const body = mutate(signed.body);
      return sendTarget(base, req(x).method, signed.target, { ...signed.headers, 'content-length': String(body?.length ?? 0) }, body);
    },
    expect: expected,
  };
}

function chunkedXml(name: string, req: { method: string; query: string; data: string; decodedLength?: number }, expected: Expected): AttackCase {
  return chunked(
    `aws-chunked ${name}`,
    (x) => ({ ...req, path: `/t1-${x}`, data: Buffer.from(req.data) }),
    (b) => b,
    expected,
  );
}

/**
 * Once bytes of a streaming upload went out, only the store's rule of committing whole uploads keeps the old
 * object (security.md §6): moto and the embedded store have it; a plain s3rver truncates the object as soon as
 * an upload starts, which §6 and §8 name as outside the guarantee.
 */
const COMMITS_WHOLE: BackendName[] = ['moto', 'emb'];

function chunkedPut(
  name: string,
  mode: AwsChunkedMode,
  mutate: (body: Buffer) => Buffer | undefined,
  expected: Expected,
  opts: { decodedLength?: number; only?: BackendName[] } = {},
): AttackCase {
  const req = (x: BackendName) => ({
    method: 'PUT',
    path: `/t1-${x}/${OBJECT}`,
    data: Buffer.from('replacement bytes'),
    mode,
    chunkSizes: 9,
    decodedLength: opts.decodedLength,
  });
  return chunked(`aws-chunked PUT (${mode}): ${name}`, req, mutate, expected, opts.only);
}

const incomplete = { status: 400, code: 'IncompleteBody' } as const;
const streaming: AttackCase[] = [
  // Refused before any upstream request exists: on every store.
  chunkedPut('no body at all', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', () => undefined, incomplete),
  chunkedPut('no body at all', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', () => undefined, incomplete),
  chunkedPut('no body at all', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', () => undefined, incomplete),
  // Refused once verified chunks went out, before the last byte.
  chunkedPut('no final chunk', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', withoutFinalChunk, incomplete, { only: COMMITS_WHOLE }),
  chunkedPut('fewer bytes than x-amz-decoded-content-length', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', (b) => b, incomplete, {
    decodedLength: 100,
    only: COMMITS_WHOLE,
  }),
  chunkedPut('more bytes than x-amz-decoded-content-length', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', (b) => b, incomplete, {
    decodedLength: 5,
    only: COMMITS_WHOLE,
  }),
  chunkedPut(
    'a chunk signature that does not verify',
    'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    (b) => corruptChunkSignature(b, 1),
    { status: 403, code: 'SignatureDoesNotMatch' },
    { only: COMMITS_WHOLE },
  ),
];

const notAllowed = { status: 405, code: 'MethodNotAllowed' } as const;
const methods: AttackCase[] = ['TRACE', 'PATCH', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'PURGE', 'SEARCH', 'LINK', 'REPORT'].map(
  (method): AttackCase => ({
    name: `${method} on an object`,
    client: 't1',
    request: (x) => ({ method, path: `/t1-${x}/${OBJECT}`, body: method === 'TRACE' ? undefined : 'x', headers: { 'x-amz-copy-source': `t1-${x}/${OBJECT}` } }),
    expect: notAllowed,
  }),
);

/** CONNECT is not an S3 method: Node closes the connection of a CONNECT nobody listens for, before s3bridge sees it. */
function rawConnect(x: BackendName, st: SecurityStack): Promise<RawS3Response> {
  const url = new URL(st.bridge.s3Url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`CONNECT t1-${x}:80 HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('close', () => resolve({ status: 0, headers: {}, body: received }));
    socket.on('error', reject);
  });
}
// Status 0: no HTTP answer at all, the connection closed.
methods.push({ name: 'CONNECT', client: 't1', send: rawConnect, expect: { status: 0 }, check: (res) => expect(res.body).toBe('') });

// A Connection header naming what was signed would make s3bridge drop it (security.md §4).
const refusedConnection = { status: 400, code: 'InvalidRequest' } as const;
const connection = (name: string, value: string, extra: Record<string, string> = {}, method = 'GET'): AttackCase => ({
  name: `Connection: ${value} (${name})`,
  client: 't1',
  request: (x) => ({
    method,
    path: `/t1-${x}/${method === 'PUT' ? 'copied.txt' : OBJECT}`,
    headers: Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, v.replaceAll('{x}', x)])),
    unsigned: { connection: value },
  }),
  expect: refusedConnection,
});
const connections: AttackCase[] = [
  connection('the timestamp', 'x-amz-date'),
  connection('the payload hash', 'keep-alive, X-Amz-Content-Sha256'),
  connection('the host', 'host'),
  connection('a signed Range', 'range', { range: 'bytes=0-3' }),
  connection('a signed Content-MD5', 'content-md5', { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' }, 'PUT'),
  connection('user metadata', 'x-amz-meta-owner', { 'x-amz-meta-owner': 'me' }, 'PUT'),
  connection('the copy source', 'x-amz-copy-source', { 'x-amz-copy-source': 't1-{x}/obj.txt' }, 'PUT'),
  connection('the copy range', 'close, x-amz-copy-source-range', { 'x-amz-copy-source': 't1-{x}/obj.txt', 'x-amz-copy-source-range': 'bytes=0-1' }, 'PUT'),
];

/** Configuration writes whose document makes the backend write into another bucket (security.md §3.5). */
const namingOtherBuckets: AttackCase[] = [
  [
    'PutBucketLogging',
    'logging',
    (x: BackendName) =>
      `<BucketLoggingStatus><LoggingEnabled><TargetBucket>zz-${x}</TargetBucket><TargetPrefix>l/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>`,
  ],
  [
    'PutBucketInventoryConfiguration',
    'inventory&id=i1',
    (x: BackendName) =>
      `<InventoryConfiguration><Id>i1</Id><IsEnabled>true</IsEnabled><Destination><S3BucketDestination><Format>CSV</Format><Bucket>arn:aws:s3:::zz-${x}</Bucket></S3BucketDestination></Destination><IncludedObjectVersions>All</IncludedObjectVersions><Schedule><Frequency>Daily</Frequency></Schedule></InventoryConfiguration>`,
  ],
  [
    'PutBucketAnalyticsConfiguration',
    'analytics&id=a1',
    (x: BackendName) =>
      `<AnalyticsConfiguration><Id>a1</Id><StorageClassAnalysis><DataExport><OutputSchemaVersion>V_1</OutputSchemaVersion><Destination><S3BucketDestination><Format>CSV</Format><Bucket>arn:aws:s3:::zz-${x}</Bucket></S3BucketDestination></Destination></DataExport></StorageClassAnalysis></AnalyticsConfiguration>`,
  ],
  [
    'PutBucketReplication',
    'replication',
    (x: BackendName) =>
      `<ReplicationConfiguration><Role>r</Role><Rule><Status>Enabled</Status><Destination><Bucket>arn:aws:s3:::zz-${x}</Bucket></Destination></Rule></ReplicationConfiguration>`,
  ],
  [
    'PutBucketLogging, the target hidden in CDATA',
    'logging',
    (x: BackendName) => `<BucketLoggingStatus><LoggingEnabled><TargetBucket><![CDATA[zz-${x}]]></TargetBucket></LoggingEnabled></BucketLoggingStatus>`,
  ],
].map(([name, query, body]) => ({
  name: `${name as string} naming another tenant's bucket`,
  client: 't1' as const,
  request: (x: BackendName) => ({ method: 'PUT', path: `/t1-${x}`, query: query as string, body: (body as (x: BackendName) => string)(x) }),
  expect: { status: 403, code: 'AccessDenied' },
}));

describe('XML bodies', () => runAttacks(s, xmlBodies));
describe('configuration documents naming other buckets', () => runAttacks(s, namingOtherBuckets));
describe('browser POST forms', () => runAttacks(s, forms));
describe('streaming uploads that do not prove themselves', () => runAttacks(s, streaming));
describe('methods', () => runAttacks(s, methods));
describe('Connection naming signed headers', () => runAttacks(s, connections));
