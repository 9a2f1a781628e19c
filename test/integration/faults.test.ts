// Faults a real server cannot produce on demand: backends down or resetting, clients aborting, slow copies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';
import { remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';
import { signedHeaders } from '../helpers/sign.js';
import { waitFor } from '../helpers/wait.js';

let rec: RecordingBackend;
let bridge: TestBridge;
let s3: S3Client;
let deadPort: number;

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

beforeAll(async () => {
  rec = await startRecordingBackend({ accessKeyId: 'rec', secretAccessKey: 'rec-secret', keepBodies: false });
  deadPort = await freePort();
  bridge = await startBridge({
    backends: [
      remoteBackend('rec', { endpoint: rec.endpoint, accessKeyId: 'rec', secretAccessKey: 'rec-secret' }),
      remoteBackend('rec2', { endpoint: rec.endpoint, accessKeyId: 'rec', secretAccessKey: 'rec-secret' }, { capabilities: { uploadPartCopy: false } }),
      remoteBackend('down', { endpoint: `http://127.0.0.1:${deadPort}`, accessKeyId: 'x', secretAccessKey: 'y' }),
      remoteBackend('vhost', { endpoint: rec.endpoint, accessKeyId: 'rec', secretAccessKey: 'rec-secret' }, { addressing: 'virtual' }),
    ],
    server: { virtualHostSuffixes: ['s3.test'] },
    routes: [
      { bucket: 'v-*', backend: 'vhost' },
      { bucket: 'r-*', backend: 'rec' },
      { bucket: 's-*', backend: 'rec2' },
      { bucket: 'd-*', backend: 'down' },
    ],
    copy: { keepAliveAfterSeconds: 0 },
  });
  s3 = bridge.client(undefined, undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' });
});

afterAll(async () => {
  await bridge?.close(1000);
  await rec?.stop();
});

const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

describe('backend faults', () => {
  it('a backend that is down gets a clear 503 with S3 XML', async () => {
    const err = await s3.send(new GetObjectCommand({ Bucket: 'd-x', Key: 'k' })).catch((e) => e);
    expect(err.name).toBe('ServiceUnavailable');
    expect(err.$metadata.httpStatusCode).toBe(503);
    expect(err.message).toContain('"down"');
  });

  it('every request the proxy sends carries a signature the SDK signer accepts', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'r-sig', Key: 'a b+c/ü?.txt', Body: 'signed' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'r-sig', Key: 'a b+c/ü?.txt' }));
    expect(await got.Body!.transformToString()).toBe('signed');
    const mine = rec.requests.filter((r) => r.url.startsWith('/r-sig/'));
    expect(mine.length).toBeGreaterThanOrEqual(2);
    for (const r of mine) expect(r.auth).toMatchObject({ ok: true });
    // The client's credentials never reach the backend.
    for (const r of mine) expect(JSON.stringify(r.rawHeaders)).not.toContain('demo/');
  });

  it('a backend that resets mid-download gives the client a broken response, not a short success', async () => {
    const body = randomBytes(256 * 1024);
    rec.objects.set('r-big/obj', body);
    rec.faults.resetAfterBytes(64 * 1024);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'r-big', Key: 'obj' }));
    // The proxy cuts the client's connection (its headers are out): a reset, never a short body that looks complete.
    await expect(got.Body!.transformToByteArray()).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});

describe('addressing styles', () => {
  it('virtual-hosted clients and virtual-hosted backends: Host carries the bucket both ways', async () => {
    const signed = {
      headers: await signedHeaders(bridge.s3Url, { method: 'PUT', path: '/dir/obj.txt', hostname: 'v-bucket.s3.test', headers: { 'content-length': '5' } }),
    };
    const res = await request(`${bridge.s3Url}/dir/obj.txt`, { method: 'PUT', headers: signed.headers, body: 'hello' });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const sent = rec.requests.filter((r) => r.method === 'PUT').at(-1)!;
    expect(sent.url).toBe('/dir/obj.txt');
    expect(sent.headers.host).toBe(`v-bucket.${new URL(rec.endpoint).host}`);
    expect(sent.auth.ok).toBe(true);
  });
});

describe('ListBuckets with a backend down', () => {
  it('answers with the others and names the missing backend', async () => {
    rec.faults.onRequest = (r, _req, res) => {
      if (r.method !== 'GET' || r.url !== '/') return false;
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        '<ListAllMyBucketsResult><Buckets><Bucket><Name>r-one</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket><Bucket><Name>zzz</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>',
      );
      return true;
    };
    const res = await rawGet('/');
    rec.faults.clear();
    expect(res.text).toContain('<Name>r-one</Name>');
    expect(res.text).not.toContain('zzz');
    expect(res.status).toBe(200);
    expect(res.headers['x-s3bridge-unavailable-backends']).toBe('down');
    expect(bridge.lines.some((l) => l.msg === 'ListBuckets: backend failed' && l.backend === 'down')).toBe(true);
  });
});

describe('client faults', () => {
  it('a client that aborts mid-upload leaves no object on the backend', async () => {
    const url = new URL(bridge.s3Url);
    const total = 1024 * 1024;
    const signed = { headers: await signedHeaders(bridge.s3Url, { method: 'PUT', path: '/r-abort/obj', headers: { 'content-length': String(total) } }) };
    const { connect } = await import('node:net');
    const sock = connect(Number(url.port), url.hostname);
    await new Promise((r) => sock.once('connect', r));
    sock.write(
      `PUT /r-abort/obj HTTP/1.1\r\n${Object.entries(signed.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\r\n')}\r\n\r\n`,
    );
    sock.write(randomBytes(total / 2));
    const forwarded = () => rec.requests.find((r) => r.method === 'PUT' && r.url === '/r-abort/obj');
    await waitFor(() => (forwarded()?.bodyBytes ?? 0) > 0, 5_000, 'the upload to reach the backend');
    sock.destroy();
    const upload = forwarded()!;
    await waitFor(() => upload.completed || upload.aborted, 5_000, 'the backend upload to end');
    expect(upload.completed).toBe(false);
    expect(rec.objects.has('r-abort/obj')).toBe(false);
  });
});

describe('stalled clients', () => {
  it('an upload whose body stops arriving gets 400 RequestTimeout and the backend keeps nothing', async () => {
    const stalled = await startBridge({
      server: { idleTimeoutSeconds: 1 },
      backends: [remoteBackend('rec', { endpoint: rec.endpoint, accessKeyId: 'rec', secretAccessKey: 'rec-secret' })],
      routes: [{ bucket: '*', backend: 'rec' }],
    });
    try {
      const url = new URL(stalled.s3Url);
      const signed = { headers: await signedHeaders(stalled.s3Url, { method: 'PUT', path: '/r-stall/obj', headers: { 'content-length': '100000' } }) };
      const { connect } = await import('node:net');
      const sock = connect(Number(url.port), url.hostname);
      await new Promise((r) => sock.once('connect', r));
      let answer = '';
      sock.on('data', (d) => (answer += d.toString()));
      const closed = new Promise((r) => sock.once('close', r));
      sock.write(
        `PUT /r-stall/obj HTTP/1.1\r\n${Object.entries(signed.headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join('\r\n')}\r\n\r\n`,
      );
      sock.write(Buffer.alloc(1000, 1)); // then nothing more
      await closed;
      expect(answer).toMatch(/^HTTP\/1.1 400/);
      expect(answer).toContain('<Code>RequestTimeout</Code>');
      const upload = rec.requests.find((r) => r.method === 'PUT' && r.url === '/r-stall/obj');
      if (upload) {
        await upload.done;
        expect(upload.completed).toBe(false);
      }
      expect(rec.objects.has('r-stall/obj')).toBe(false);
    } finally {
      await stalled.close(100);
    }
  });

  it('a slow backend is not the client stalling: a GET waiting on it is not cut off', async () => {
    const patient = await startBridge({
      server: { idleTimeoutSeconds: 1 },
      backends: [remoteBackend('rec', { endpoint: rec.endpoint, accessKeyId: 'rec', secretAccessKey: 'rec-secret' })],
      routes: [{ bucket: '*', backend: 'rec' }],
    });
    try {
      rec.faults.onRequest = (r, _req, res) => {
        if (r.method !== 'GET' || !r.url.startsWith('/r-slow/')) return false;
        // The delay is the point: longer than the idle timeout, and it is the backend, not the client, that is slow.
        setTimeout(() => {
          res.writeHead(200, { 'content-length': '4' });
          res.end('late');
        }, 2500);
        return true;
      };
      const got = await patient
        .client(undefined, undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' })
        .send(new GetObjectCommand({ Bucket: 'r-slow', Key: 'x' }));
      expect(await got.Body!.transformToString()).toBe('late');
    } finally {
      rec.faults.clear();
      await patient.close(100);
    }
  });
});

describe('slow emulated copies', () => {
  it('answers 200 early, keeps the connection alive and ends with the result document', async () => {
    const body = randomBytes(200_000);
    rec.objects.set('r-src/slow', body);
    // The destination answers slowly: the early 200 and keep-alive whitespace go out first.
    rec.faults.onRequest = (r, req, res) => {
      if (r.method === 'PUT' && r.url.startsWith('/s-dst/')) {
        req.resume();
        req.on('end', () =>
          setTimeout(() => {
            res.writeHead(200, { etag: `"${md5(body)}"` });
            res.end();
          }, 1500),
        );
        return true;
      }
      return false;
    };
    const raw = await rawCopy('/s-dst/slow-copy', 'r-src/slow');
    rec.faults.clear();
    expect(raw.status).toBe(200);
    expect(raw.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n +<CopyObjectResult/);
    expect(raw.text).toContain(`<ETag>&quot;${md5(body)}&quot;</ETag>`);
  });

  it('a copy that fails after the early 200 ends with an <Error> document the SDK reports', async () => {
    rec.objects.set('r-src/fail', randomBytes(1000));
    rec.faults.onRequest = (r, req, res) => {
      if (r.method === 'PUT' && r.url.startsWith('/s-dst/')) {
        req.resume();
        setTimeout(() => {
          res.writeHead(500, { 'content-type': 'application/xml' });
          res.end('<Error><Code>InternalError</Code><Message>disk on fire</Message></Error>');
        }, 1200); // late on purpose: the copy has answered 200 by then
        return true;
      }
      return false;
    };
    const err = await s3.send(new CopyObjectCommand({ Bucket: 's-dst', Key: 'failed-copy', CopySource: 'r-src/fail' })).catch((e) => e);
    rec.faults.clear();
    expect(err.name).toBe('InternalError');
    expect(err.message).toContain('disk on fire');
  });
});

describe('copy faults on the destination side and from the client', () => {
  it('a destination that dies mid-stream: the client gets an error, nothing is stored, metrics and log say so', async () => {
    rec.objects.set('r-src/dest-dies', randomBytes(300_000));
    rec.faults.onRequest = (r, req) => {
      if (r.method === 'PUT' && r.url.startsWith('/s-dst/')) {
        let seen = 0;
        req.on('data', (c: Buffer) => {
          seen += c.length;
          if (seen > 50_000) req.socket.destroy();
        });
        return true;
      }
      return false;
    };
    const err = await s3.send(new CopyObjectCommand({ Bucket: 's-dst', Key: 'dest-dies', CopySource: 'r-src/dest-dies' })).catch((e) => e);
    rec.faults.clear();
    // The network failure towards the destination is a 503 naming the backend (in the body of the early 200).
    expect({ name: err.name, status: err.$metadata?.httpStatusCode }).toEqual({ name: 'ServiceUnavailable', status: 503 });
    expect(err.message).toBe('The backend "rec2" closed the connection.');
    expect(rec.objects.has('s-dst/dest-dies')).toBe(false);
    const logged = () => bridge.lines.filter((l) => l.operation === 'CopyObject' && l.key === 'dest-dies').at(-1);
    await waitFor(() => logged() !== undefined, 5_000, 'the access-log line of the copy');
    expect(logged()!.errorCode).toBe('ServiceUnavailable');
    const metrics = await (await request(`${bridge.adminUrl}/metrics`)).body.text();
    expect(metrics).toMatch(/s3bridge_copy_emulations_total\{operation="CopyObject",source_backend="rec",destination_backend="rec2",outcome="error"\} [1-9]/);
  });

  it('a client that disconnects cancels both the source read and the destination write', async () => {
    rec.objects.set('r-src/cancel', randomBytes(300_000));
    let destReq: import('node:http').IncomingMessage | undefined;
    rec.faults.onRequest = (r, req) => {
      if (r.method === 'PUT' && r.url.startsWith('/s-dst/')) {
        destReq = req; // never answers: the copy is in flight when the client leaves
        return true;
      }
      return false;
    };
    const ac = new AbortController();
    const send = s3.send(new CopyObjectCommand({ Bucket: 's-dst', Key: 'cancelled', CopySource: 'r-src/cancel' }), { abortSignal: ac.signal }).catch((e) => e);
    await waitFor(() => destReq !== undefined, 5_000, 'the copy to start writing the destination');
    ac.abort();
    await send;
    await waitFor(() => destReq!.destroyed || destReq!.socket.destroyed, 2_000, 'the destination write to be cancelled');
    rec.faults.clear();
    expect(rec.objects.has('s-dst/cancelled')).toBe(false);
  });
});

async function rawCopy(path: string, source: string): Promise<{ status: number; text: string }> {
  const signed = { headers: await signedHeaders(bridge.s3Url, { method: 'PUT', path, headers: { 'x-amz-copy-source': source } }) };
  const res = await request(`${bridge.s3Url}${path}`, { method: 'PUT', headers: signed.headers });
  return { status: res.statusCode, text: await res.body.text() };
}

async function rawGet(path: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  const signed = { headers: await signedHeaders(bridge.s3Url, { method: 'GET', path }) };
  const res = await request(`${bridge.s3Url}${path}`, { headers: signed.headers });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}
