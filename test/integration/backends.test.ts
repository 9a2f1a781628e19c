// The test backends themselves: the recording backend's signature check and faults, and moto_server in both modes.
//
// A backend that accepted anything would let a proxy test pass for the wrong reason, so each check here must bite.
import { readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import aws4 from 'aws4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AUTH_FAILURES, AWKWARD_KEYS, INTEGRITY_FAILURES, RANGES, multipartOf2k } from '../helpers/behaviour-tables.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { checkSignature, startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';
import { waitFor } from '../helpers/wait.js';
import { failure } from '../helpers/store.js';

const KEYS = { accessKeyId: 'AKIDRECORDING', secretAccessKey: 'recording/secret+key' };

function s3(endpoint: string, creds: { accessKeyId: string; secretAccessKey: string }, extra: Record<string, unknown> = {}): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: creds, maxAttempts: 1, ...extra });
}

interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request signed with aws4 (the library s3bridge signs with), sent over node:http exactly as given. */
function raw(
  endpoint: string,
  opts: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string; sign?: boolean; timeoutMs?: number },
): Promise<RawReply> {
  const url = new URL(endpoint);
  let headers: Record<string, string> = { ...opts.headers };
  if (opts.sign !== false) {
    headers['x-amz-content-sha256'] ??= 'UNSIGNED-PAYLOAD';
    const signed = aws4.sign({ host: url.host, path: opts.path, method: opts.method, service: 's3', region: 'us-east-1', headers }, KEYS);
    headers = signed.headers as Record<string, string>;
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: opts.method, path: opts.path, headers, timeout: opts.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

interface Vector {
  id: string;
  kind: string;
  region: string;
  now: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  request: { method: string; rawPath: string; rawQuery: string; headers: [string, string][] };
}
const vectors = JSON.parse(readFileSync(new URL('../fixtures/recording-backend/vectors.json', import.meta.url), 'utf8')) as Vector[];

/** The parts of an IncomingMessage the check reads, built the way Node's parser would. */
function incoming(v: Vector['request'], edit: (headers: [string, string][]) => [string, string][] = (h) => h): IncomingMessage {
  const pairs = edit(v.headers.map(([n, val]) => [n, val] as [string, string]));
  const headers: Record<string, string> = {};
  for (const [n, val] of pairs) headers[n.toLowerCase()] = headers[n.toLowerCase()] === undefined ? val : `${headers[n.toLowerCase()]}, ${val}`;
  return { method: v.method, url: v.rawPath + (v.rawQuery ? `?${v.rawQuery}` : ''), headers, rawHeaders: pairs.flat() } as unknown as IncomingMessage;
}

describe("checkSignature (the recording backend's verifier)", () => {
  it.each(vectors.map((v) => [v.id, v] as const))('accepts the published vector %s', async (_id, v) => {
    const check = await checkSignature(incoming(v.request), { ...v.credentials, region: v.region }, new Date(v.now));
    expect(check).toMatchObject({ ok: true });
  });

  const base = vectors.find((v) => v.id === 'aws-s3-docs/get-object-range')!;
  const presigned = vectors.find((v) => v.id === 'aws-s3-docs/presigned-get-object')!;
  const at = (v: Vector, deltaMs = 0): Date => new Date(new Date(v.now).getTime() + deltaMs);
  const creds = { ...base.credentials, region: 'us-east-1' };
  const swap = (name: string, value: string) => (h: [string, string][]) => h.map(([n, v]) => [n, n.toLowerCase() === name ? value : v] as [string, string]);
  it.each<[string, Vector, Partial<Vector['request']>, ((h: [string, string][]) => [string, string][]) | undefined, Record<string, unknown>, Date, string]>([
    ['another path', base, { rawPath: '/test2.txt' }, undefined, creds, at(base), 'SignatureDoesNotMatch'],
    ['another method', base, { method: 'HEAD' }, undefined, creds, at(base), 'SignatureDoesNotMatch'],
    ['an added query parameter', base, { rawQuery: 'versionId=1' }, undefined, creds, at(base), 'SignatureDoesNotMatch'],
    ['a changed signed header', base, {}, swap('range', 'bytes=0-10'), creds, at(base), 'SignatureDoesNotMatch'],
    ['an added unsigned x-amz header', base, {}, (h) => [...h, ['x-amz-meta-a', '1']], creds, at(base), 'AccessDenied'],
    ['another secret', base, {}, undefined, { ...creds, secretAccessKey: 'nope' }, at(base), 'SignatureDoesNotMatch'],
    ['another access key', base, {}, undefined, { ...creds, accessKeyId: 'AKIDOTHER' }, at(base), 'InvalidAccessKeyId'],
    ['another region', base, {}, undefined, { ...creds, region: 'eu-west-1' }, at(base), 'AuthorizationHeaderMalformed'],
    ['a clock 16 min ahead', base, {}, undefined, creds, at(base, 16 * 60_000), 'RequestTimeTooSkewed'],
    ['no x-amz-content-sha256', base, {}, (h) => h.filter(([n]) => n !== 'x-amz-content-sha256'), creds, at(base), 'InvalidRequest'],
    ['a bogus x-amz-content-sha256', base, {}, swap('x-amz-content-sha256', 'abc'), creds, at(base), 'InvalidArgument'],
    ['no authorization at all', base, {}, (h) => h.filter(([n]) => n !== 'Authorization'), creds, at(base), 'AccessDenied'],
    ['a malformed authorization', base, {}, swap('authorization', 'AWS4-HMAC-SHA256 Credential=x'), creds, at(base), 'AuthorizationHeaderMalformed'],
    ['bad percent-encoding in the path', base, { rawPath: '/test%ZZ.txt' }, undefined, creds, at(base), 'InvalidURI'],
    ['invalid UTF-8 in the path', base, { rawPath: '/test%C3%28.txt' }, undefined, creds, at(base), 'InvalidURI'],
    ['a missing session token', base, {}, undefined, { ...creds, sessionToken: 'tok' }, at(base), 'InvalidToken'],
    ['a presigned URL used after it expired', presigned, {}, undefined, creds, at(presigned, 86_400_000), 'AccessDenied'],
    ['a presigned URL for another key', presigned, { rawPath: '/other.txt' }, undefined, creds, at(presigned), 'SignatureDoesNotMatch'],
    [
      'a presigned URL plus an Authorization header',
      presigned,
      {},
      (h) => [...h, ['Authorization', 'AWS4-HMAC-SHA256 x']],
      creds,
      at(presigned),
      'InvalidArgument',
    ],
  ])('rejects %s', async (_what, v, change, edit, key, now, code) => {
    const check = await checkSignature(incoming({ ...v.request, ...change }, edit), key as { accessKeyId: string; secretAccessKey: string }, now);
    expect(check).toMatchObject({ ok: false, code });
  });

  it('still accepts the base vectors one second before expiry / within the skew', async () => {
    expect(await checkSignature(incoming(presigned.request), creds, at(presigned, 86_399_000))).toMatchObject({ ok: true });
    expect(await checkSignature(incoming(base.request), creds, at(base, -14 * 60_000))).toMatchObject({ ok: true });
  });
});

describe('startRecordingBackend', () => {
  let rb: RecordingBackend;
  let client: S3Client;
  beforeAll(async () => {
    rb = await startRecordingBackend(KEYS);
    client = s3(rb.endpoint, KEYS); // SDK defaults, as most users run it
  });
  afterAll(() => rb.stop());
  beforeEach(() => {
    rb.requests.length = 0;
    rb.objects.clear();
    rb.faults.clear();
  });

  it('records a signed PUT, stores it, and serves GET/HEAD/DELETE', async () => {
    const body = Buffer.from('hello recording backend');
    await client.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'a/b.txt', Body: body, ContentType: 'text/plain', Metadata: { color: 'blue' } }));
    const put = rb.requests[0]!;
    expect(put).toMatchObject({ method: 'PUT', completed: true, aborted: false, status: 200, bodyBytes: body.length, auth: { ok: true, form: 'header' } });
    expect(put.url).toMatch(/^\/bkt\/a\/b\.txt\?x-id=PutObject$/);
    expect(put.rawHeaders.length).toBeGreaterThan(0);
    expect(rb.objects.get('bkt/a/b.txt')).toEqual(body);
    const got = await client.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'a/b.txt' }));
    expect(await got.Body!.transformToString()).toBe(body.toString());
    expect(got).toMatchObject({ ContentType: 'text/plain', Metadata: { color: 'blue' } });
    const head = await client.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'a/b.txt' }));
    expect(head.ContentLength).toBe(body.length);
    await client.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'a/b.txt' }));
    expect(rb.objects.has('bkt/a/b.txt')).toBe(false);
    expect((await failure(client.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'a/b.txt' })))).name).toBe('NoSuchKey');
  });

  it.each(AWKWARD_KEYS)('verifies the SDK signature of key %j and stores it under that exact key', async (key) => {
    await client.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: 'x' }));
    expect(rb.requests[0]!.auth).toMatchObject({ ok: true });
    expect(rb.objects.has(`bkt/${key}`)).toBe(true);
  });

  it.each(AUTH_FAILURES)('answers %s with %s', async (_what, code, status, extra, creds) => {
    const e = await failure(s3(rb.endpoint, creds(KEYS), extra).send(new PutObjectCommand({ Bucket: 'bkt', Key: 'denied', Body: 'x' })));
    expect(e).toEqual({ name: code, status });
    expect(rb.requests[0]).toMatchObject({ status, auth: { ok: false, code } });
    expect(rb.objects.has('bkt/denied')).toBe(false);
  });

  it('verifies presigned URLs and rejects a tampered one', async () => {
    rb.objects.set('bkt/pre.txt', Buffer.from('presigned'));
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'bkt', Key: 'pre.txt' }), { expiresIn: 60 });
    const ok = await fetch(url);
    expect([ok.status, await ok.text()]).toEqual([200, 'presigned']);
    expect(rb.requests[0]!.auth).toMatchObject({ ok: true, form: 'query' });
    const bad = await fetch(url.replace('pre.txt', 'pre2.txt'));
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('agrees with aws4 on an encoded path, and reads a raw "+" in the path as a plus, as S3 does', async () => {
    expect((await raw(rb.endpoint, { method: 'PUT', path: '/bkt/a%2Bb%20c', body: 'x' })).status).toBe(200);
    expect(rb.objects.has('bkt/a+b c')).toBe(true);
    // aws4 decodes "+" in a path as a space before signing: a re-signer must send %2B, or S3 rejects it.
    const plus = await raw(rb.endpoint, { method: 'PUT', path: '/bkt/a+b', body: 'x' });
    expect(plus.status).toBe(403);
    expect(plus.body).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it.each(INTEGRITY_FAILURES)('rejects a body with %s', async (_what, headers, code) => {
    const reply = await raw(rb.endpoint, { method: 'PUT', path: '/bkt/integrity', headers, body: 'not empty' });
    expect(reply.status).toBe(400);
    expect(reply.body).toContain(`<Code>${code}</Code>`);
    expect(rb.objects.has('bkt/integrity')).toBe(false);
  });

  it.each(RANGES)('GET with Range %s answers %i', async (range, status, text) => {
    rb.objects.set('bkt/digits', Buffer.from('0123456789'));
    const reply = await raw(rb.endpoint, { method: 'GET', path: '/bkt/digits', headers: { range } });
    expect(reply.status).toBe(status);
    if (status !== 416) expect(reply.body).toBe(text);
    else expect(reply.body).toContain('<Code>InvalidRange</Code>');
  });

  it('answers 501 for what it does not implement', async () => {
    for (const path of ['/bkt', '/bkt/k?tagging', '/bkt/k?uploads']) {
      expect((await raw(rb.endpoint, { method: path === '/bkt' ? 'GET' : 'POST', path })).status).toBe(501);
    }
    expect((await raw(rb.endpoint, { method: 'PUT', path: '/bkt/copy', headers: { 'x-amz-copy-source': '/bkt/digits' } })).status).toBe(501);
  });

  it('resetAfterBytes: the next GET is cut after n bytes, and only that one', async () => {
    rb.objects.set('bkt/big', Buffer.alloc(10_000, 7));
    rb.faults.resetAfterBytes(100);
    await expect(raw(rb.endpoint, { method: 'GET', path: '/bkt/big' })).rejects.toMatchObject({ code: 'ECONNRESET', message: 'aborted' });
    const again = await raw(rb.endpoint, { method: 'GET', path: '/bkt/big' });
    expect(again.body.length).toBe(10_000);
  });

  it('hangUpload: the next PUT is read but never answered', async () => {
    rb.faults.hangUpload();
    await expect(raw(rb.endpoint, { method: 'PUT', path: '/bkt/hung', body: 'abc', timeoutMs: 300 })).rejects.toThrow('client timeout');
    expect(rb.requests[0]).toMatchObject({ completed: true, aborted: false, bodyBytes: 3, status: undefined });
    expect(rb.objects.has('bkt/hung')).toBe(false);
    expect((await raw(rb.endpoint, { method: 'PUT', path: '/bkt/hung', body: 'abc' })).status).toBe(200);
  });

  it('hangUpload({ read: false }): the body is not even read', async () => {
    rb.faults.hangUpload({ read: false });
    await expect(raw(rb.endpoint, { method: 'PUT', path: '/bkt/stalled', body: Buffer.alloc(64 * 1024), timeoutMs: 300 })).rejects.toThrow('client timeout');
    expect(rb.requests[0]).toMatchObject({ bodyBytes: 0, completed: false });
  });

  it('stop() ends even with a hung upload, and the client sees its connection closed', async () => {
    const own = await startRecordingBackend(KEYS);
    own.faults.hangUpload();
    const pending = raw(own.endpoint, { method: 'PUT', path: '/bkt/hung', body: 'abc' });
    await waitFor(() => own.requests[0]?.completed === true, 5_000, 'the hung upload to be read');
    await own.stop();
    await expect(pending).rejects.toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' });
  });

  it('failNext: the next n requests get the injected error', async () => {
    rb.faults.failNext('SlowDown', 503, 2);
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await raw(rb.endpoint, { method: 'PUT', path: '/bkt/retry', body: 'r' })).status);
    expect(codes).toEqual([503, 503, 200]);
  });

  it('onRequest takes a request over after the signature check, and records an aborted body', async () => {
    rb.faults.onRequest = (rec, req, res) => {
      if (!rec.auth.ok || req.method !== 'PUT') return false;
      req.once('data', () => res.socket?.destroy()); // drop the connection mid-upload
      return true;
    };
    // Reset while writing: ECONNRESET, or EPIPE when the write loses the race with the close.
    await expect(
      raw(rb.endpoint, { method: 'PUT', path: '/bkt/cut', headers: { 'content-length': '1000000' }, body: Buffer.alloc(1_000_000) }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/) });
    const rec = rb.requests[0]!;
    await rec.done;
    expect(rec).toMatchObject({ aborted: true, completed: false, status: undefined, auth: { ok: true } });
    expect(rec.bodyBytes).toBeLessThan(1_000_000);
  });
});

describe('startMoto', () => {
  const motos: MotoServer[] = [];
  afterAll(() => Promise.all(motos.map((m) => m.stop())));
  it('without auth: any key works and moto keeps its default 5 MiB part minimum', async () => {
    const moto = await startMoto();
    motos.push(moto);
    expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = s3(moto.endpoint, { accessKeyId: 'anything', secretAccessKey: 'at-all' }, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    await client.send(new CreateBucketCommand({ Bucket: 'open' }));
    await client.send(new PutObjectCommand({ Bucket: 'open', Key: 'k', Body: 'v' }));
    expect(await (await client.send(new GetObjectCommand({ Bucket: 'open', Key: 'k' }))).Body!.transformToString()).toBe('v');
    expect((await failure(multipartOf2k(client, 'open'))).name).toBe('EntityTooSmall');
    await moto.stop();
    await expect(fetch(moto.endpoint)).rejects.toMatchObject({ cause: { code: 'ECONNREFUSED' } });
  });

  it("rejects with the shell's words when moto cannot be started", async () => {
    // A PATH without pyenv's shims: moto is not installed there.
    await expect(startMoto({ env: { PATH: '/usr/bin:/bin' } })).rejects.toThrow(/exited \(127\) before listening: .*moto_server: not found/);
  });

  it('with auth: a wrong secret or key is refused, the created key works, env reaches moto', async () => {
    const moto = await startMoto({ auth: true, env: { S3_UPLOAD_PART_MIN_SIZE: '1024' } });
    motos.push(moto);
    const opts = { requestChecksumCalculation: 'WHEN_REQUIRED' };
    const good = s3(moto.endpoint, moto, opts);
    await good.send(new CreateBucketCommand({ Bucket: 'locked' }));
    expect(
      await failure(
        s3(moto.endpoint, { ...moto, secretAccessKey: 'wrong-secret' }, opts).send(new PutObjectCommand({ Bucket: 'locked', Key: 'k', Body: 'v' })),
      ),
    ).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(
      await failure(
        s3(moto.endpoint, { accessKeyId: 'AKIAUNKNOWN00000000', secretAccessKey: 'x' }, opts).send(new GetObjectCommand({ Bucket: 'locked', Key: 'k' })),
      ),
    ).toMatchObject({ name: 'InvalidAccessKeyId', status: 403 });
    await good.send(new PutObjectCommand({ Bucket: 'locked', Key: 'k', Body: 'v' }));
    expect(await (await good.send(new GetObjectCommand({ Bucket: 'locked', Key: 'k' }))).Body!.transformToString()).toBe('v');
    await multipartOf2k(good, 'locked'); // 2 KiB parts pass only because S3_UPLOAD_PART_MIN_SIZE reached moto
  });
});
