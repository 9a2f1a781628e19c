// End to end: browser POST forms s3bridge must refuse — one hand-made form per violated policy condition, broken signatures and policies, malformed and oversized bodies, restricted keys — each with S3's error, and nothing stored on moto or the embedded store.
//
// Every form here is built byte by byte (helpers/post-form.ts) and signed as AWS documents it; after each case the
// buckets, read directly, must hold nothing new. The embedded store (s3rver) keeps whatever bytes reach it, so a
// body that ends wrong must never reach it whole.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { DEMO, remoteBackend, startBridge, tempDir, type TestBridge } from '../helpers/bridge.js';
import { waitFor } from '../helpers/wait.js';
import { refusal, s3Error, send, type Reply } from './helpers/http.js';
import { multipart, policy, signatureConditions, signedPolicyFields, type Fields, type FilePart } from './helpers/post-form.js';
import type { Creds } from './helpers/clients.js';
import { objectDigest, sha256 } from './helpers/stack.js';

const BUCKET = 'post-refused';
const LOCAL = 'l-post';
const ELSEWHERE: Creds = { accessKeyId: 'elsewhere', secretAccessKey: 'elsewhere-secret' };
const READER: Creds = { accessKeyId: 'reader', secretAccessKey: 'reader-secret' };
let moto: MotoServer;
let bridge: TestBridge;
let direct: S3Client;
/** The embedded store, read around s3bridge. */
let local: S3Client;
let embeddedDir: string;

beforeAll(async () => {
  embeddedDir = tempDir('s3bridge-e2e-post-embedded-');
  moto = await startMoto();
  bridge = await startBridge({
    clients: [
      { ...DEMO, buckets: ['*'] },
      { ...ELSEWHERE, buckets: ['other-*'] },
      { ...READER, buckets: ['*'], readOnly: true },
    ],
    backends: [remoteBackend('moto', moto), { name: 'local', embedded: { dir: embeddedDir } }],
    routes: [
      { bucket: 'l-*', backend: 'local' },
      { bucket: '*', backend: 'moto' },
    ],
  });
  direct = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: moto, maxAttempts: 1 });
  const embedded = bridge.app.backends.get('local')!.embedded!;
  local = new S3Client({ endpoint: embedded.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: embedded, maxAttempts: 1 });
  await direct.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await local.send(new CreateBucketCommand({ Bucket: LOCAL }));
}, 60_000);

afterAll(async () => {
  await bridge?.close(1000);
  await moto?.stop();
  if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
});

const keysIn = async (client: S3Client, Bucket: string) => (await client.send(new ListObjectsV2Command({ Bucket }))).Contents?.map((c) => c.Key) ?? [];

// Nothing a refused form carried may be on a backend (the embedded bucket holds only the reference upload).
afterEach(async () => {
  expect(await keysIn(direct, BUCKET)).toEqual([]);
  expect((await keysIn(local, LOCAL)).filter((k) => k !== 'in/reference.bin')).toEqual([]);
});

const FILE: FilePart = { filename: 'f.txt', data: Buffer.from('0123456789') };

interface FormSpec {
  bucket?: string;
  conditions?: unknown[];
  /** Fields besides key and the signature fields. */
  fields?: Fields;
  key?: string;
  creds?: Creds;
  expiresIn?: number;
  file?: FilePart | null;
  after?: Fields;
}

/** The standard conditions (bucket, key prefix, signature fields) plus `conditions`, signed by `creds`. */
function form(spec: FormSpec = {}): { fields: Fields; file?: FilePart; after?: Fields } {
  const creds = spec.creds ?? DEMO;
  const conditions = [{ bucket: spec.bucket ?? BUCKET }, ['starts-with', '$key', 'in/'], ...signatureConditions(creds), ...(spec.conditions ?? [])];
  return {
    fields: [['key', spec.key ?? 'in/obj'], ...(spec.fields ?? []), ...signedPolicyFields(policy(conditions, spec.expiresIn), creds)],
    file: spec.file === null ? undefined : (spec.file ?? FILE),
    after: spec.after,
  };
}

function post(f: { fields: Fields; file?: FilePart; after?: Fields }, bucket = BUCKET): Promise<Reply> {
  const body = multipart(f.fields, f.file, f.after);
  return send(`${bridge.s3Url}/${bucket}`, { method: 'POST', headers: { 'content-type': body.contentType }, body: body.body });
}

const failed = (condition: string) => ({ status: 403, code: 'AccessDenied', message: `Invalid according to Policy: Policy Condition failed: ${condition}` });

describe('a form that violates its policy is 403 AccessDenied "Invalid according to Policy"', () => {
  it.each<[string, FormSpec, string]>([
    ['bucket', { conditions: [{ bucket: 'another-bucket' }] }, '["eq", "$bucket", "another-bucket"]'],
    ['key (eq)', { key: 'in/other', conditions: [{ key: 'in/exact' }] }, '["eq", "$key", "in/exact"]'],
    ['key (starts-with)', { key: 'out/obj' }, '["starts-with", "$key", "in/"]'],
    [
      'Content-Type',
      { fields: [['Content-Type', 'text/html']], conditions: [['starts-with', '$Content-Type', 'image/']] },
      '["starts-with", "$Content-Type", "image/"]',
    ],
    ['x-amz-meta-*', { fields: [['x-amz-meta-owner', 'mallory']], conditions: [{ 'x-amz-meta-owner': 'alice' }] }, '["eq", "$x-amz-meta-owner", "alice"]'],
    ['acl', { fields: [['acl', 'public-read']], conditions: [{ acl: 'private' }] }, '["eq", "$acl", "private"]'],
    [
      'success_action_status',
      { fields: [['success_action_status', '200']], conditions: [{ success_action_status: '201' }] },
      '["eq", "$success_action_status", "201"]',
    ],
  ])('%s', async (_what, spec, condition) => {
    expect(refusal(await post(form(spec)))).toEqual(failed(condition));
  });

  it('a field no condition names', async () => {
    const reply = await post(form({ fields: [['x-amz-meta-Extra', 'smuggled']] }));
    expect(refusal(reply)).toEqual({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Extra input fields: x-amz-meta-Extra' });
  });

  it('an expired policy', async () => {
    expect(refusal(await post(form({ expiresIn: -60 })))).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Policy expired.',
    });
  });
});

describe('signatures and policies', () => {
  it('a wrong signature is 403 SignatureDoesNotMatch naming the key and the policy signed', async () => {
    const f = form();
    const sig = f.fields.find(([n]) => n === 'x-amz-signature')!;
    sig[1] = sig[1].replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const reply = await post(f);
    expect(refusal(reply)).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(s3Error(reply.text).elements).toMatchObject({ AWSAccessKeyId: DEMO.accessKeyId, StringToSign: f.fields.find(([n]) => n === 'policy')![1] });
  });

  it('a policy signed with another secret, and a policy changed after signing, are refused', async () => {
    const other = form({ creds: { accessKeyId: DEMO.accessKeyId, secretAccessKey: 'not-the-secret' } });
    expect(refusal(await post(other)).code).toBe('SignatureDoesNotMatch');
    const f = form();
    const p = f.fields.find(([n]) => n === 'policy')!;
    p[1] = Buffer.from(Buffer.from(p[1], 'base64').toString('utf8').replace('"in/"', '""')).toString('base64');
    expect(refusal(await post(f)).code).toBe('SignatureDoesNotMatch');
  });

  it.each<[string, string, string]>([
    ['not JSON', '{"expiration": ', 'Invalid Policy: Invalid JSON.'],
    ['no conditions', JSON.stringify({ expiration: '2099-01-01T00:00:00Z' }), 'Invalid Policy: Policy missing conditions.'],
    ['a bad expiration', JSON.stringify({ expiration: 'tomorrow', conditions: [] }), "Invalid Policy: Invalid 'expiration' value: 'tomorrow'"],
    [
      'a non-string simple condition',
      JSON.stringify({ expiration: '2099-01-01T00:00:00Z', conditions: [{ key: 1 }] }),
      'Invalid Policy: Invalid Simple-Condition: value must be a string.',
    ],
  ])('a malformed policy (%s) is 400 InvalidPolicyDocument', async (_what, doc, message) => {
    const fields: Fields = [['key', 'in/obj'], ...signedPolicyFields(doc, DEMO)];
    expect(refusal(await post({ fields, file: FILE }))).toEqual({ status: 400, code: 'InvalidPolicyDocument', message });
  });
});

describe('the file', () => {
  it('larger than content-length-range allows is 400 EntityTooLarge; smaller is 400 EntityTooSmall', async () => {
    const large = await post(form({ conditions: [['content-length-range', 1, 9]] }));
    expect(refusal(large)).toEqual({ status: 400, code: 'EntityTooLarge', message: 'Your proposed upload exceeds the maximum allowed size' });
    expect(s3Error(large.text).elements).toMatchObject({ ProposedSize: '10', MaxSizeAllowed: '9' });
    const small = await post(form({ conditions: [['content-length-range', 11, 100]] }));
    expect(refusal(small)).toEqual({ status: 400, code: 'EntityTooSmall', message: 'Your proposed upload is smaller than the minimum allowed size' });
    expect(s3Error(small.text).elements).toMatchObject({ ProposedSize: '10', MinSizeAllowed: '11' });
  });

  it('missing is 400 InvalidArgument "POST requires exactly one file upload per request."', async () => {
    const reply = await post(form({ file: null }));
    expect(refusal(reply)).toEqual({ status: 400, code: 'InvalidArgument', message: 'POST requires exactly one file upload per request.' });
    expect(s3Error(reply.text).elements).toMatchObject({ ArgumentName: 'file', ArgumentValue: '0' });
  });

  it('two files, sent without a Content-Length (chunked), are 400 InvalidArgument and nothing is stored', async () => {
    const f = form();
    const { contentType, head, tail } = multipart(f.fields, FILE);
    const boundary = contentType.split('boundary=')[1]!;
    const second = `\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="g.txt"\r\n\r\nsecond`;
    const pieces = [head, FILE.data, Buffer.from(second), tail];
    const reply = await send(`${bridge.s3Url}/${BUCKET}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: (async function* () {
        yield* pieces;
      })(),
    });
    expect(refusal(reply)).toEqual({ status: 400, code: 'InvalidArgument', message: 'POST requires exactly one file upload per request.' });
    expect(s3Error(reply.text).elements).toMatchObject({ ArgumentName: 'file', ArgumentValue: '2' });
  });

  it('a key sent after the file is not seen: 400 InvalidArgument naming the field order', async () => {
    const f = form();
    const key = f.fields.shift()!;
    const reply = await post({ ...f, after: [key] });
    expect(refusal(reply)).toEqual({
      status: 400,
      code: 'InvalidArgument',
      message: "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
    });
  });

  it('a form that goes on after the file is 400 MalformedPOSTRequest (s3bridge streams the file with a length taken from the framing)', async () => {
    // S3 ignores fields after the file; s3bridge cannot, see post-form.ts createPostFileCheck.
    const reply = await post(form({ after: [['x-amz-meta-late', 'ignored by S3']] }));
    expect(refusal(reply)).toEqual({ status: 400, code: 'MalformedPOSTRequest', message: 'The file must be the last field of the form.' });
  });
});

describe('malformed and oversized bodies', () => {
  const PRE_DATA = { status: 400, code: 'MaxPostPreDataLengthExceeded', message: 'Your POST request fields preceding the upload file were too large.' };

  it('10,000 form fields are 400 MaxPostPreDataLengthExceeded', async () => {
    const f = form();
    const many: Fields = Array.from({ length: 10_000 }, (_, i) => [`x-ignore-${i}`, 'v']);
    const reply = await post({ ...f, fields: [...many, ...f.fields] });
    expect(refusal(reply)).toEqual(PRE_DATA);
    expect(s3Error(reply.text).elements.MaxPostPreDataLengthBytes).toBe('20480');
  });

  it('a 1 GB field streamed from a generator fails fast: answered after a few MB, memory flat', async () => {
    const f = form();
    const body = multipart(f.fields, f.file);
    const boundary = body.contentType.split('boundary=')[1]!;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    const total = 1024 ** 3;
    const rssBefore = process.memoryUsage().rss;
    const stream = (function* () {
      yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="x-ignore-huge"\r\n\r\n`);
      for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
      yield Buffer.from('\r\n');
      yield body.body;
    })();
    const reply = await send(`${bridge.s3Url}/${BUCKET}`, {
      method: 'POST',
      headers: { 'content-type': body.contentType, 'content-length': String(total + 200 + body.body.length) },
      body: stream,
    });
    expect(refusal(reply)).toEqual(PRE_DATA);
    expect(reply.headers.connection).toBe('close');
    expect(reply.sent).toBeLessThan(32 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('a body that ends before its closing boundary is 400 MalformedPOSTRequest', async () => {
    const f = form();
    const body = multipart(f.fields, f.file);
    const cut = body.body.subarray(0, body.body.length - body.tail.length);
    const reply = await send(`${bridge.s3Url}/${BUCKET}`, { method: 'POST', headers: { 'content-type': body.contentType }, body: cut });
    expect(refusal(reply)).toEqual({
      status: 400,
      code: 'MalformedPOSTRequest',
      message: 'The body of your POST request is not well-formed multipart/form-data.',
    });
  });

  it('a body that is not multipart/form-data is 412 PreconditionFailed', async () => {
    const reply = await send(`${bridge.s3Url}/${BUCKET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'key=in%2Fobj',
    });
    expect(refusal(reply)).toEqual({ status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold' });
    expect(s3Error(reply.text).elements.Condition).toBe('Bucket POST must be of the enclosure-type multipart/form-data');
  });
});

describe('restricted keys cannot upload with a policy they signed', () => {
  it('a key whose allow-list names other buckets is 403 AccessDenied', async () => {
    const reply = await post(form({ creds: ELSEWHERE }));
    expect(refusal(reply)).toEqual({ status: 403, code: 'AccessDenied', message: 'Access Denied' });
    expect(s3Error(reply.text).elements.BucketName).toBe(BUCKET);
  });

  it('a read-only key is 403 AccessDenied', async () => {
    expect(refusal(await post(form({ creds: READER })))).toEqual({
      status: 403,
      code: 'AccessDenied',
      message: 'Access Denied: this access key is read-only.',
    });
  });

  it('an unknown key is 403 InvalidAccessKeyId', async () => {
    const reply = await post(form({ creds: { accessKeyId: 'nobody', secretAccessKey: 'x' } }));
    expect(refusal(reply)).toEqual({ status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' });
  });
});

describe('bodies that end wrong, on the embedded store', () => {
  const big: FilePart = { filename: 'big.bin', data: randomBytes(1024 * 1024 + 3) };

  it('a whole form is stored byte-exact (the reference)', async () => {
    const reply = await post(form({ bucket: LOCAL, key: 'in/reference.bin', file: big }), LOCAL);
    expect([reply.status, reply.text]).toEqual([204, '']);
    expect(await objectDigest(local, LOCAL, 'in/reference.bin')).toEqual({ sha256: sha256(big.data), length: big.data.length });
  });

  it('cut short inside the file: 400 MalformedPOSTRequest', async () => {
    const body = multipart(form({ bucket: LOCAL, file: big }).fields, big);
    const cut = body.body.subarray(0, body.head.length + 600_000);
    const reply = await send(`${bridge.s3Url}/${LOCAL}`, { method: 'POST', headers: { 'content-type': body.contentType }, body: cut });
    expect(refusal(reply)).toMatchObject({ status: 400, code: 'MalformedPOSTRequest' });
  });

  it('going on after the file: 400 MalformedPOSTRequest', async () => {
    const reply = await post(form({ bucket: LOCAL, file: big, after: [['x-ignore-late', 'v']] }), LOCAL);
    expect(refusal(reply)).toMatchObject({ status: 400, code: 'MalformedPOSTRequest' });
  });

  it('past content-length-range in the middle of the file: 400 EntityTooLarge', async () => {
    const reply = await post(form({ bucket: LOCAL, file: big, conditions: [['content-length-range', 0, 512 * 1024]] }), LOCAL);
    expect(refusal(reply)).toMatchObject({ status: 400, code: 'EntityTooLarge' });
    expect(s3Error(reply.text).elements.MaxSizeAllowed).toBe(String(512 * 1024));
  });

  it('a client that goes away in the middle of the file leaves nothing', async () => {
    const body = multipart(form({ bucket: LOCAL, key: 'in/abandoned', file: big }).fields, big);
    const u = new URL(`${bridge.s3Url}/${LOCAL}`);
    const req = request({
      host: u.hostname,
      port: u.port,
      method: 'POST',
      path: u.pathname,
      headers: { 'content-type': body.contentType, 'content-length': body.body.length },
    });
    req.on('error', () => {});
    req.write(body.body.subarray(0, body.head.length + 700_000), () => req.destroy());
    await waitFor(() => bridge.lines.some((l) => l.key === 'in/abandoned' && 'status' in l), 10_000, 'the abandoned upload to be logged');
    expect(bridge.lines.find((l) => l.key === 'in/abandoned' && 'status' in l)).toMatchObject({ operation: 'PostObject', errorCode: 'ClientDisconnected' });
  });
});
