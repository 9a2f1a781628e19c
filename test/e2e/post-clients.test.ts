// End to end: browser POST uploads from forms the real clients make (boto3 generate_presigned_post, SigV4 and SigV2, sent with python requests; @aws-sdk/s3-presigned-post sent with Node's fetch and FormData) through s3bridge to moto, and a 50 MB upload that streams.
//
// Every stored object is read back from moto directly; each answer (204, 200, 201 PostResponse, 303) is checked as
// S3 gives it (post-object.md §9).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectAclCommand, GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { XMLParser } from 'fast-xml-parser';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { DEMO, remoteBackend, startBridge, tempDir, type TestBridge } from '../helpers/bridge.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';
import { waitFor } from '../helpers/wait.js';
import { requirePython, runPython } from './helpers/python.js';
import { runOk } from './helpers/run.js';
import { cleanEnv } from './helpers/clients.js';
import { send } from './helpers/http.js';
import { multipart, policy, signatureConditions, signedPolicyFields } from './helpers/post-form.js';
import { digestStream, objectDigest, sha256, writeRandomFile } from './helpers/stack.js';

const MB = 1024 * 1024;
const BUCKET = 'post-up';
const REC_CREDS = { accessKeyId: 'rec', secretAccessKey: 'rec-secret' };
let moto: MotoServer;
let rec: RecordingBackend;
let bridge: TestBridge;
let direct: S3Client;
let dir: string;

beforeAll(async () => {
  requirePython();
  dir = tempDir('s3bridge-e2e-post-');
  [moto, rec] = await Promise.all([startMoto(), startRecordingBackend(REC_CREDS)]);
  bridge = await startBridge({
    backends: [remoteBackend('moto', moto), remoteBackend('rec', { endpoint: rec.endpoint, ...REC_CREDS })],
    routes: [
      { bucket: 'post-*', backend: 'moto' },
      { bucket: 'rec-*', backend: 'rec' },
    ],
  });
  direct = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: moto, maxAttempts: 1 });
  await direct.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 60_000);

afterAll(async () => {
  await bridge?.close(1000);
  await Promise.all([moto?.stop(), rec?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const xml = new XMLParser({ parseTagValue: false });
const etagOf = async (Key: string) => (await direct.send(new HeadObjectCommand({ Bucket: BUCKET, Key }))).ETag;
const location = (key: string) => `${bridge.s3Url}/${BUCKET}/${encodeURIComponent(key)}`;

interface PyResult {
  url: string;
  fields: Record<string, string>;
  status: number;
  headers: Record<string, string>;
  body: string;
}

describe('boto3 generate_presigned_post, sent with python requests', () => {
  const v4 = randomBytes(100_000);
  const v2 = Buffer.from('a text file uploaded with a SigV2 policy\n');
  const small = Buffer.from('small');
  let results: Record<string, PyResult>;

  beforeAll(async () => {
    const form = (name: string, data: Buffer, rest: Record<string, unknown>) => ({ name, bucket: BUCKET, data: data.toString('base64'), ...rest });
    const out = await runPython<{ client: string; results: Record<string, PyResult> }>('post.py', {
      endpoint: bridge.s3Url,
      ...DEMO,
      forms: [
        form('v4', v4, {
          key: 'boto3/v4.png',
          filename: 'v4.png',
          fields: {
            'Content-Type': 'image/png',
            'x-amz-meta-owner': 'alice',
            acl: 'public-read',
            'Cache-Control': 'max-age=60',
            'Content-Disposition': 'inline',
          },
          conditions: [
            { 'Content-Type': 'image/png' },
            ['starts-with', '$x-amz-meta-owner', ''],
            ['content-length-range', 1, MB],
            { acl: 'public-read' },
            { 'Cache-Control': 'max-age=60' },
            ['starts-with', '$Content-Disposition', ''],
          ],
        }),
        form('v2', v2, {
          signatureVersion: 's3',
          key: 'boto3/v2-${filename}',
          filename: 'report 1.txt',
          fields: { success_action_status: '201' },
          conditions: [{ success_action_status: '201' }],
        }),
        form('v4-200', small, { key: 'boto3/200', filename: 'a', fields: { success_action_status: '200' }, conditions: [{ success_action_status: '200' }] }),
        form('v4-redirect', small, {
          key: 'boto3/redirect',
          filename: 'a',
          fields: { success_action_redirect: 'http://app.example/done?x=1#top' },
          conditions: [['starts-with', '$success_action_redirect', 'http://app.example/']],
        }),
      ],
    });
    results = out.results;
  });

  it('a SigV4 form (the default) stores the file with its headers, metadata and ACL; 204 with ETag and Location', async () => {
    const r = results.v4!;
    expect(Object.keys(r.fields)).toEqual(expect.arrayContaining(['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature', 'policy']));
    expect([r.status, r.body]).toEqual([204, '']);
    expect(r.headers.location).toBe(location('boto3/v4.png'));
    expect(r.headers.etag).toBe(await etagOf('boto3/v4.png'));
    const got = await direct.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'boto3/v4.png' }));
    expect([got.ContentType, got.Metadata, got.CacheControl, got.ContentDisposition]).toEqual(['image/png', { owner: 'alice' }, 'max-age=60', 'inline']);
    expect(await digestStream(got.Body as never)).toEqual({ sha256: sha256(v4), length: v4.length });
    const acl = await direct.send(new GetObjectAclCommand({ Bucket: BUCKET, Key: 'boto3/v4.png' }));
    expect(acl.Grants?.filter((g) => g.Grantee?.URI === 'http://acs.amazonaws.com/groups/global/AllUsers').map((g) => g.Permission)).toEqual(['READ']);
  });

  it('a SigV2 form (signature_version="s3") with ${filename} and success_action_status 201 answers PostResponse XML', async () => {
    const r = results.v2!;
    expect(Object.keys(r.fields)).toEqual(expect.arrayContaining(['AWSAccessKeyId', 'signature', 'policy']));
    const key = 'boto3/v2-report 1.txt';
    expect(r.status, r.body).toBe(201);
    expect(r.headers['content-type']).toBe('application/xml');
    expect(xml.parse(r.body).PostResponse).toEqual({ Location: location(key), Bucket: BUCKET, Key: key, ETag: await etagOf(key) });
    expect(await objectDigest(direct, BUCKET, key)).toEqual({ sha256: sha256(v2), length: v2.length });
  });

  it('success_action_status 200 answers 200 with an empty body', async () => {
    expect([results['v4-200']!.status, results['v4-200']!.body]).toEqual([200, '']);
    expect(await objectDigest(direct, BUCKET, 'boto3/200')).toEqual({ sha256: sha256(small), length: small.length });
  });

  it('success_action_redirect answers 303 to the URL with bucket, key and etag added before the fragment', async () => {
    const r = results['v4-redirect']!;
    const etag = await etagOf('boto3/redirect');
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe(`http://app.example/done?x=1&bucket=${BUCKET}&key=boto3%2Fredirect&etag=${encodeURIComponent(etag!)}#top`);
  });
});

describe('@aws-sdk/s3-presigned-post, sent with fetch and FormData', () => {
  it('uploads to a ${filename} key; 201 PostResponse; the browser-sent file name picks the key', async () => {
    const s3 = bridge.client();
    const { url, fields } = await createPresignedPost(s3, {
      Bucket: BUCKET,
      Key: 'sdk/${filename}',
      Expires: 300,
      Fields: { success_action_status: '201', 'Content-Type': 'text/plain', 'x-amz-meta-from': 'js sdk' },
      Conditions: [['content-length-range', 1, 10 * MB]],
    });
    expect(url).toBe(`${bridge.s3Url}/${BUCKET}`);
    const data = randomBytes(300_000);
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([data]), 'C:\\Users\\me\\photo 2026.png');
    const res = await fetch(url, { method: 'POST', body: form });
    const body = await res.text();
    const key = 'sdk/photo 2026.png';
    expect(res.status, body).toBe(201);
    expect(xml.parse(body).PostResponse).toEqual({ Location: location(key), Bucket: BUCKET, Key: key, ETag: await etagOf(key) });
    const got = await direct.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect([got.ContentType, got.Metadata]).toEqual(['text/plain', { from: 'js sdk' }]);
    expect(await digestStream(got.Body as never)).toEqual({ sha256: sha256(data), length: data.length });
  });

  it('redirects with 303 (fetch redirect: "manual"), and a plain form defaults to 204', async () => {
    const s3 = bridge.client();
    const post = await createPresignedPost(s3, { Bucket: BUCKET, Key: 'sdk/plain', Fields: { success_action_redirect: 'https://app.example/ok' } });
    const form = new FormData();
    for (const [k, v] of Object.entries(post.fields)) form.append(k, v);
    form.append('file', new Blob(['redirected']), 'x');
    const res = await fetch(post.url, { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(
      `https://app.example/ok?bucket=${BUCKET}&key=sdk%2Fplain&etag=${encodeURIComponent((await etagOf('sdk/plain'))!)}`,
    );
    const plain = await createPresignedPost(s3, { Bucket: BUCKET, Key: 'sdk/204' });
    const form2 = new FormData();
    for (const [k, v] of Object.entries(plain.fields)) form2.append(k, v);
    form2.append('file', new Blob(['no status asked']), 'x');
    const res2 = await fetch(plain.url, { method: 'POST', body: form2 });
    expect([res2.status, await res2.text(), res2.headers.get('etag')]).toEqual([204, '', await etagOf('sdk/204')]);
  });
});

describe('curl -F', () => {
  it('a form over 1 MB (curl sends Expect: 100-continue) is answered 100 Continue at once and stored byte-exact', async () => {
    const path = join(dir, 'curl.bin');
    const file = await writeRandomFile(path, 2 * MB + 1);
    const post = await createPresignedPost(bridge.client(), { Bucket: BUCKET, Key: 'curl/${filename}' });
    const fields = Object.entries(post.fields).flatMap(([k, v]) => ['--form-string', `${k}=${v}`]);
    const r = await runOk('curl', ['-sS', '-v', '-o', '/dev/null', '-w', '%{http_code}', ...fields, '-F', `file=@${path}`, post.url], { env: cleanEnv() });
    expect(r.stdout).toBe('204');
    expect(r.stderr).toContain('> Expect: 100-continue');
    // Regression: s3bridge sent no 100 Continue for a form, and curl waited a second before sending the body.
    expect(r.stderr).toContain('< HTTP/1.1 100 Continue');
    expect(r.stderr).not.toContain('Done waiting for 100-continue');
    expect(await objectDigest(direct, BUCKET, 'curl/curl.bin')).toEqual(file);
  });
});

describe('what the backend receives', () => {
  it('a small form that arrives in one piece (fetch + FormData) is sent on as a PutObject with its exact Content-Length', async () => {
    const post = await createPresignedPost(bridge.client(), { Bucket: 'rec-post', Key: 'small/one-chunk.txt' });
    const form = new FormData();
    for (const [k, v] of Object.entries(post.fields)) form.append(k, v);
    form.append('file', new Blob(['twelve bytes']), 'one-chunk.txt');
    const res = await fetch(post.url, { method: 'POST', body: form });
    expect([res.status, await res.text()]).toEqual([204, '']);
    const put = rec.requests.find((r) => r.method === 'PUT' && r.url.startsWith('/rec-post/small/one-chunk.txt'))!;
    expect([put.headers['content-length'], put.headers['transfer-encoding'], put.auth.ok]).toEqual(['12', undefined, true]);
    expect(rec.objects.get('rec-post/small/one-chunk.txt')?.toString()).toBe('twelve bytes');
  });
});

describe('observability', () => {
  it("uploads are logged and counted as PostObject with the form's key, stored or refused (regression: stored ones were PutObject)", async () => {
    const s3 = bridge.client();
    const upload = async (Key: string, data: string, Conditions?: never[]) => {
      const post = await createPresignedPost(s3, { Bucket: BUCKET, Key, Conditions });
      const form = new FormData();
      for (const [k, v] of Object.entries(post.fields)) form.append(k, v);
      form.append('file', new Blob([data]), 'x');
      const res = await fetch(post.url, { method: 'POST', body: form });
      await res.arrayBuffer();
      return res;
    };
    const ok = await upload('obs/stored', 'stored');
    const refused = await upload('obs/refused', 'too long for the range', [['content-length-range', 1, 4]] as never[]);
    expect([ok.status, refused.status]).toEqual([204, 400]);
    const line = async (id: string | null) => {
      await waitFor(() => bridge.lines.some((l) => l.requestId === id && 'status' in l), 5000, `the access-log line of ${id}`);
      return bridge.lines.find((l) => l.requestId === id && 'status' in l);
    };
    expect(await line(ok.headers.get('x-amz-request-id'))).toMatchObject({
      operation: 'PostObject',
      bucket: BUCKET,
      key: 'obs/stored',
      backend: 'moto',
      status: 204,
      accessKeyId: DEMO.accessKeyId,
      bytesIn: 6,
    });
    expect(await line(refused.headers.get('x-amz-request-id'))).toMatchObject({
      operation: 'PostObject',
      key: 'obs/refused',
      status: 400,
      errorCode: 'EntityTooLarge',
    });
    const metrics = await (await fetch(`${bridge.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/^s3bridge_requests_total\{operation="PostObject",backend="moto",status="204"\} \d+$/m);
    expect(metrics).not.toMatch(/^s3bridge_requests_total\{operation="PutObject",backend="moto",status="204"\}/m);
  });
});

describe('a 50 MB file', () => {
  const size = 50 * MB;
  let file: { path: string; sha256: string; length: number };
  beforeAll(async () => {
    const path = join(dir, 'big.bin');
    file = { path, ...(await writeRandomFile(path, size)) };
  });

  /** A hand-made SigV4 form for `Bucket/Key`, with the file streamed from disk between its head and tail. */
  function bigForm(Bucket: string, Key: string) {
    const conditions = [{ bucket: Bucket }, { key: Key }, ['content-length-range', size, size], ...signatureConditions(DEMO)];
    const form = multipart([['key', Key], ...signedPolicyFields(policy(conditions), DEMO)], { filename: 'big.bin', data: Buffer.alloc(0) });
    return { form, headers: { 'content-type': form.contentType, 'content-length': String(form.head.length + size + form.tail.length) } };
  }

  it('is stored byte-exact on moto, streamed from disk', async () => {
    const { form, headers } = bigForm(BUCKET, 'big/50mb.bin');
    const body = (async function* () {
      yield form.head;
      for await (const chunk of createReadStream(file.path, { highWaterMark: MB })) yield chunk as Buffer;
      yield form.tail;
    })();
    const reply = await send(`${bridge.s3Url}/${BUCKET}`, { method: 'POST', headers, body, timeoutMs: 120_000 });
    expect([reply.status, reply.text]).toEqual([204, '']);
    expect(await objectDigest(direct, BUCKET, 'big/50mb.bin')).toEqual({ sha256: file.sha256, length: size });
  });

  it('streams: the backend receives the file while the client is still sending it, with a Content-Length from the framing', async () => {
    const Key = 'big/streamed.bin';
    const { form, headers } = bigForm('rec-post', Key);
    const upstream = () => rec.requests.find((r) => r.method === 'PUT' && r.url.startsWith(`/rec-post/big/streamed.bin`));
    const body = (async function* () {
      yield form.head;
      let sent = 0;
      for await (const chunk of createReadStream(file.path, { highWaterMark: MB })) {
        yield chunk as Buffer;
        sent += (chunk as Buffer).length;
        // Halfway, the client holds the rest back until the backend has seen most of what was sent: a proxy that
        // buffered the file (or waited for the form's end) would never pass this point.
        if (sent === 25 * MB) await waitFor(() => (upstream()?.bodyBytes ?? 0) >= 20 * MB, 30_000, 'the backend to receive 20 MB of the first 25 MB');
      }
      yield form.tail;
    })();
    const reply = await send(`${bridge.s3Url}/rec-post`, { method: 'POST', headers, body, timeoutMs: 120_000 });
    expect([reply.status, reply.text]).toEqual([204, '']);
    const put = upstream()!;
    expect(put.headers['content-length']).toBe(String(size));
    expect(put.headers['transfer-encoding']).toBeUndefined();
    expect(put.auth.ok).toBe(true);
    expect(sha256(rec.objects.get(`rec-post/${Key}`)!)).toBe(file.sha256);
  });
});
