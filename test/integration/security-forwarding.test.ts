// What s3bridge sends a backend for hostile requests (issue 13 items 7, 8, 9, 13), seen by the recording backend: headers, dot segments, pipelining, the unverified-bytes budget.
import { request as httpRequest, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';
import { expectS3Error, sendS3, sendTarget, signRaw, xmlField, type RawS3Request } from '../helpers/raw-s3.js';
import { signChunked } from '../helpers/signed-chunks.js';
import { waitFor } from '../helpers/wait.js';

const KEYS = { accessKeyId: 'rec', secretAccessKey: 'rec-secret' };
const T1 = { accessKeyId: 't1', secretAccessKey: 't1-secret-key' };
let rec: RecordingBackend;
let bridge: TestBridge;

beforeAll(async () => {
  rec = await startRecordingBackend({ ...KEYS, keepBodies: true });
  bridge = await startBridge({
    server: { maxBufferedBytes: '1MiB' },
    clients: [
      { ...DEMO, buckets: ['*'] },
      { ...T1, buckets: ['t1-*'] },
    ],
    backends: [
      remoteBackend('rec', { endpoint: rec.endpoint, ...KEYS }),
      // The same store, declared to keep "." and ".." key segments literally (security.md §3.2).
      remoteBackend('lit', { endpoint: rec.endpoint, ...KEYS }, { capabilities: { literalKeys: true } }),
    ],
    routes: [
      { bucket: 'k-*', backend: 'lit' },
      { bucket: '*', backend: 'rec' },
    ],
  });
});

afterAll(async () => {
  await bridge?.close(1000);
  await rec?.stop();
});

const send = (req: RawS3Request, creds = DEMO) => sendS3(bridge.s3Url, creds, req);
/** The requests the backend received while `fn` ran. */
async function received(fn: () => Promise<unknown>) {
  const before = rec.requests.length;
  await fn();
  return rec.requests.slice(before);
}
const headerNames = (raw: string[]) =>
  raw
    .filter((_, i) => i % 2 === 0)
    .map((n) => n.toLowerCase())
    .sort();

// security.md §4: never forwarded, even when signed.
const MEANING_CHANGING = {
  'x-http-method-override': 'DELETE',
  'x-http-method': 'DELETE',
  'x-method-override': 'PUT',
  'x-original-method': 'DELETE',
  'x-original-url': '/zz-r/secret.txt',
  'x-rewrite-url': '/zz-r/secret.txt',
  forwarded: 'for=10.0.0.1;host=admin.internal',
  'x-forwarded-for': '10.0.0.1',
  'x-forwarded-host': 'admin.internal',
  'x-forwarded-proto': 'https',
  'x-forwarded-port': '443',
  'x-forwarded-prefix': '/admin',
  'x-real-ip': '10.0.0.1',
  via: '1.1 trusted-proxy',
  cookie: 'session=admin',
};

describe('headers', () => {
  // What a backend receives of a plain GET: our signature, our framing, nothing of the client's.
  const BASE = ['authorization', 'connection', 'host', 'x-amz-content-sha256', 'x-amz-date'];

  it.each([
    ['signed', { headers: MEANING_CHANGING }],
    ['unsigned', { unsigned: MEANING_CHANGING }],
  ])('headers that would change what a backend does are not forwarded (%s)', async (_how, extra) => {
    rec.objects.set('t1-r/obj.txt', Buffer.from('object'));
    const got = await received(async () => {
      const res = await send({ method: 'GET', path: '/t1-r/obj.txt', ...extra });
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: 'object' });
    });
    expect(got.map((r) => ({ method: r.method, url: r.url, ok: r.auth.ok }))).toEqual([{ method: 'GET', url: '/t1-r/obj.txt', ok: true }]);
    expect(headerNames(got[0]!.rawHeaders)).toEqual(BASE);
  });

  it("other unsigned headers are not forwarded; signed ones and S3's unsigned list are", async () => {
    const got = await received(() =>
      send({
        method: 'GET',
        path: '/t1-r/obj.txt',
        headers: { 'x-custom-signed': 'yes', range: 'bytes=0-1' },
        unsigned: { 'x-custom': 'no', referer: 'https://evil.example', 'if-none-match': '"x"', 'user-agent': 'attack/1.0' },
      }),
    );
    expect(headerNames(got[0]!.rawHeaders)).toEqual([...BASE, 'if-none-match', 'range', 'x-custom-signed'].sort());
  });

  it('TRACE is refused and never reaches a backend, so nothing can echo our Authorization', async () => {
    const got = await received(async () => {
      const res = await send({ method: 'TRACE', path: '/t1-r/obj.txt' });
      expectS3Error(res, 405, 'MethodNotAllowed');
      expect(res.body).not.toMatch(/AWS4-HMAC-SHA256|Credential=/);
    });
    expect(got).toEqual([]);
  });

  it("only the operation's own parameters reach the backend; hoisted x-amz-* are headers, not query parameters", async () => {
    const got = await received(() =>
      send({
        method: 'GET',
        path: '/t1-r/obj.txt',
        query: 'events&lambdaArn=x&uploadid=..%2Fx&response-content-type=text%2Fplain&x-id=GetObject&x-amz-meta-a=b',
        presign: true,
      }),
    );
    expect(got.map((r) => r.url)).toEqual(['/t1-r/obj.txt?response-content-type=text%2Fplain']);
    expect(got[0]!.headers['x-amz-meta-a']).toBe('b');
  });
});

describe('dot segments on a backend that keeps keys literally', () => {
  it('are sent percent-encoded, so that nothing on the way can resolve them', async () => {
    const got = await received(async () => {
      const res = await send({ method: 'PUT', path: '/k-lit/a/../b/./c/..', body: 'literal' });
      expect(res.status).toBe(200);
    });
    expect(got.map((r) => r.url)).toEqual(['/k-lit/a/%2E%2E/b/%2E/c/%2E%2E']);
    expect(rec.objects.get('k-lit/a/../b/./c/..')?.toString()).toBe('literal');
  });

  it('in a copy source too', async () => {
    const got = await received(() => send({ method: 'PUT', path: '/k-lit/copy', headers: { 'x-amz-copy-source': 'k-lit/a/../b/./c/..' } }));
    expect(got.map((r) => [r.url, r.headers['x-amz-copy-source']])).toEqual([['/k-lit/copy', 'k-lit/a/%2E%2E/b/%2E/c/%2E%2E']]);
  });
});

describe('pipelined requests', () => {
  it("the second request on a connection reaches the backend only after the first one's response finished", async () => {
    let held: { finished: () => boolean; release: () => void } | undefined;
    let firstDoneWhenSecondArrived: boolean | undefined;
    rec.faults.onRequest = (r, _req, res) => {
      if (r.url === '/t1-r/first') {
        held = { finished: () => res.writableFinished, release: () => res.writeHead(200, { etag: '"1"', 'content-length': 0 }).end() };
        return true;
      }
      if (r.url === '/t1-r/second') firstDoneWhenSecondArrived = held?.finished();
      return false;
    };
    try {
      const first = await signRaw(bridge.s3Url, DEMO, { method: 'PUT', path: '/t1-r/first' });
      const second = await signRaw(bridge.s3Url, DEMO, { method: 'GET', path: '/t1-r/second' });
      const head = (method: string, target: string, headers: Record<string, string>, length?: number) =>
        `${method} ${target} HTTP/1.1\r\n${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}${length === undefined ? '' : `content-length: ${length}\r\n`}\r\n`;
      const socket = connect(Number(new URL(bridge.s3Url).port), '127.0.0.1');
      let answers = '';
      socket.on('data', (d: Buffer) => (answers += d.toString('latin1')));
      socket.write(head('PUT', first.target, first.headers, 5) + 'first' + head('GET', second.target, second.headers));
      await waitFor(() => held !== undefined, 10_000, 'the first request at the backend');
      await waitFor(() => bridge.inflight === 2, 10_000, 's3bridge to have read the second request');
      // Another connection's request passes through meanwhile: the pipelined one is waiting, not slow.
      const probe = await send({ method: 'GET', path: '/t1-r/probe' });
      expect({ status: probe.status, code: xmlField(probe.body, 'Code') }).toEqual({ status: 404, code: 'NoSuchKey' });
      expect(rec.requests.map((r) => r.url).filter((u) => u.startsWith('/t1-r/'))).toEqual(expect.not.arrayContaining(['/t1-r/second']));
      held!.release();
      await waitFor(() => rec.requests.some((r) => r.url === '/t1-r/second'), 10_000, 'the second request at the backend');
      expect(firstDoneWhenSecondArrived).toBe(true);
      await waitFor(() => (answers.match(/HTTP\/1\.1 \d+/g) ?? []).length === 2, 10_000, 'both answers');
      expect(answers.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 404']);
      socket.destroy();
    } finally {
      rec.faults.clear();
    }
  });
});

describe('the unverified-bytes budget (server.maxBufferedBytes: 1 MiB)', () => {
  const MiB = 1024 * 1024;
  const chunkedPut = (key: string, size: number) =>
    signChunked(bridge.s3Url, T1, {
      method: 'PUT',
      path: `/t1-r/${key}`,
      data: Buffer.alloc(size, 7),
      mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      chunkSizes: size,
    });
  const upload = async (key: string, size: number) => {
    const r = await chunkedPut(key, size);
    return sendTarget(bridge.s3Url, 'PUT', r.target, { ...r.headers, 'content-length': String(r.body.length) }, r.body);
  };

  it('a signed chunk larger than the budget gets 503 SlowDown, reaches no store, and gives its bytes back', async () => {
    const res = await upload('too-big', 2 * MiB);
    expectS3Error(res, 503, 'SlowDown');
    expect(rec.objects.has('t1-r/too-big')).toBe(false);
    expect(rec.requests.filter((r) => r.url === '/t1-r/too-big' && r.completed)).toEqual([]);
    await waitFor(() => bridge.app.budget.used === 0, 10_000, 'the budget to return to zero');
    // Nearly the whole budget is free again.
    expect((await upload('fits', MiB - 64 * 1024)).status).toBe(200);
    expect(rec.objects.get('t1-r/fits')?.length).toBe(MiB - 64 * 1024);
  });

  it('stalled uploads hold their unverified bytes against every connection, and give them back when they go', async () => {
    const stalled = await chunkedPut('stalled', 700 * 1024);
    const url = new URL(bridge.s3Url);
    const req: ClientRequest = httpRequest({
      host: url.hostname,
      port: url.port,
      method: 'PUT',
      path: stalled.target,
      agent: false,
      headers: { ...stalled.headers, 'content-length': String(stalled.body.length) },
    });
    req.on('error', () => undefined); // destroyed by the test below
    req.write(stalled.body.subarray(0, 600 * 1024)); // most of the chunk, then nothing more
    await waitFor(() => bridge.app.budget.used >= 500 * 1024, 10_000, 'the stalled chunk to be held');
    expectS3Error(await upload('second', 600 * 1024), 503, 'SlowDown');
    req.destroy();
    await waitFor(() => bridge.app.budget.used === 0, 10_000, 'the stalled bytes to be given back');
    expect((await upload('after', 900 * 1024)).status).toBe(200);
    expect([...rec.objects.keys()].filter((k) => /^t1-r\/(stalled|second|after)$/.test(k))).toEqual(['t1-r/after']);
  });
});
