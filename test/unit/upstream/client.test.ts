// upstream/client.ts, the one call to a backend, against a real node:http origin on port 0: response shape, error kinds, metrics.
import { Agent, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../../src/metrics.js';
import { S3Error } from '../../../src/s3/errors.js';
import { EMPTY_SHA256, UNSIGNED_PAYLOAD } from '../../../src/s3/hash.js';
import type { Backend } from '../../../src/upstream/backends.js';
import { classifyUpstreamError, drain, readText, sendUpstream, UpstreamError } from '../../../src/upstream/client.js';
import { family, parseExposition, sampleValue } from '../metrics/exposition.js';
import { waitFor } from '../../helpers/wait.js';

let server: Server;
let port: number;
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
/** Requests as they arrive, with the body bytes received so far: in flight before `seen` has them. */
const arrived: Array<{ method: string; url: string; bytes: number; cutShort?: boolean }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const arrival: (typeof arrived)[number] = { method: req.method!, url: req.url!, bytes: 0 };
    arrived.push(arrival);
    req.on('close', () => {
      if (!req.complete) arrival.cutShort = true;
    });
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      arrival.bytes += c.length;
    });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const path = req.url!.split('?')[0]!;
      if (path.startsWith('/b/ok')) {
        res.writeHead(200, { 'content-type': 'text/plain', etag: '"abc"' });
        res.end('hello world');
      } else if (path.startsWith('/b/unavailable')) {
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end('<Error><Code>SlowDown</Code></Error>');
      } else if (path.startsWith('/b/missing')) {
        res.writeHead(404);
        res.end();
      } else if (path.startsWith('/b/reset')) {
        req.socket.destroy();
      } else if (path.startsWith('/b/cut')) {
        // Headers and part of the body, then the connection drops.
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial', () => req.socket.destroy());
      }
      // /b/hang: never answers.
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const agents: Agent[] = [];
afterEach(() => {
  for (const a of agents.splice(0)) a.destroy();
  seen.length = 0;
  arrived.length = 0;
});

function backend(opts: { port?: number; timeoutMs?: number; name?: string } = {}): { metrics: Metrics; backend: Backend } {
  const metrics = createMetrics({ defaultMetrics: false });
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  agents.push(agent);
  const p = opts.port ?? port;
  return {
    metrics,
    backend: {
      name: opts.name ?? 'aws',
      origin: `http://127.0.0.1:${p}`,
      host: `127.0.0.1:${p}`,
      hostname: '127.0.0.1',
      port: p,
      tls: false,
      region: 'us-east-1',
      addressing: 'path',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
      capabilities: { uploadPartCopy: true, awsChunked: false, literalKeys: false },
      agent,
      timeoutMs: opts.timeoutMs ?? 5_000,
      metrics,
    },
  };
}

const get = (key: string, extra: Record<string, unknown> = {}) => ({
  operation: 'GetObject',
  method: 'GET',
  bucket: 'b',
  key,
  headers: {},
  payloadHash: EMPTY_SHA256,
  ...extra,
});

async function upstreamSeries(metrics: Metrics) {
  await new Promise((r) => setImmediate(r));
  const exp = parseExposition(await metrics.metricsText());
  return {
    errors: Object.fromEntries(family(exp, 's3bridge_upstream_errors_total').map((s) => [`${s.labels.backend}/${s.labels.kind}`, s.value])),
    count: (operation: string) => sampleValue(exp, 's3bridge_upstream_request_duration_seconds_count', { backend: 'aws', operation }),
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port: p } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return p;
}

/** A 10-byte PUT whose first 3 bytes reached the origin: the body stays open for the test to end or break. */
async function uploadInFlight(b: Backend) {
  const body = new Readable({ read() {} });
  const pending = sendUpstream(b, {
    operation: 'PutObject',
    method: 'PUT',
    bucket: 'b',
    key: 'ok',
    headers: { 'content-length': '10' },
    body,
    payloadHash: UNSIGNED_PAYLOAD,
  });
  pending.catch(() => undefined); // awaited by the test; not an unhandled rejection meanwhile
  body.push('abc');
  await waitFor(() => arrived.some((r) => r.method === 'PUT' && r.bytes === 3), 5_000, 'the first body bytes to reach the origin');
  return { body, pending };
}

describe('sendUpstream', () => {
  it('answers one shape, signs the call, and times it under the operation the caller names', async () => {
    const { metrics, backend: b } = backend();
    const res = await sendUpstream(b, get('ok-object'));
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"abc"');
    expect(await readText(res.body)).toBe('hello world');
    expect(seen[0]!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AK\//);
    expect(seen[0]!.headers['x-amz-content-sha256']).toBe(EMPTY_SHA256);
    const s = await upstreamSeries(metrics);
    expect(s.count('GetObject')).toBe(1);
    expect(s.errors).toEqual({});
  });

  it('counts a 503 answer as status_5xx, a 404 as no error', async () => {
    const { metrics, backend: b } = backend();
    const r1 = await sendUpstream(b, {
      operation: 'UploadPart',
      method: 'PUT',
      bucket: 'b',
      key: 'unavailable',
      query: [
        ['partNumber', '3'],
        ['uploadId', 'u1'],
      ],
      headers: {},
      body: Buffer.from('data'),
      payloadHash: UNSIGNED_PAYLOAD,
    });
    expect(r1.status).toBe(503);
    expect(await readText(r1.body)).toContain('SlowDown');
    expect(seen[0]!.body).toBe('data');
    const r2 = await sendUpstream(b, get('missing', { operation: 'HeadObject', method: 'HEAD' }));
    await drain(r2.body);
    expect(r2.status).toBe(404);
    const s = await upstreamSeries(metrics);
    expect(s.errors).toEqual({ 'aws/status_5xx': 1 });
    expect(s.count('UploadPart')).toBe(1);
    expect(s.count('HeadObject')).toBe(1);
  });

  it('a refused connection is 503 ServiceUnavailable naming the backend, counted as connect', async () => {
    const { metrics, backend: b } = backend({ port: await freePort() });
    await expect(sendUpstream(b, get('k'))).rejects.toMatchObject({
      code: 'ServiceUnavailable',
      status: 503,
      kind: 'connect',
      message: 'The backend "aws" could not be reached.',
    });
    expect((await upstreamSeries(metrics)).errors).toEqual({ 'aws/connect': 1 });
  });

  it('no answer within the backend timeout is a timeout', async () => {
    const { metrics, backend: b } = backend({ timeoutMs: 150 });
    await expect(sendUpstream(b, get('hang'))).rejects.toMatchObject({ code: 'ServiceUnavailable', kind: 'timeout' });
    expect((await upstreamSeries(metrics)).errors).toEqual({ 'aws/timeout': 1 });
  });

  it('a connection closed before the answer is a reset', async () => {
    const { metrics, backend: b } = backend();
    await expect(sendUpstream(b, get('reset', { operation: 'DeleteObject', method: 'DELETE' }))).rejects.toMatchObject({
      code: 'ServiceUnavailable',
      kind: 'reset',
    });
    expect((await upstreamSeries(metrics)).errors).toEqual({ 'aws/reset': 1 });
  });

  it('a body cut short fails its reader and counts a reset', async () => {
    const { metrics, backend: b } = backend();
    const res = await sendUpstream(b, get('cut'));
    expect(res.status).toBe(200);
    await expect(readText(res.body)).rejects.toMatchObject({ code: 'ECONNRESET' });
    const s = await upstreamSeries(metrics);
    expect(s.errors).toEqual({ 'aws/reset': 1 });
    expect(s.count('GetObject')).toBe(1);
  });

  it("a response stream that breaks inside another backend's upload is blamed on the backend it came from", async () => {
    const { backend: source } = backend({ name: 'source' });
    const { backend: destination } = backend({ name: 'destination' });
    const res = await sendUpstream(source, get('cut'));
    await expect(
      sendUpstream(destination, {
        operation: 'PutObject',
        method: 'PUT',
        bucket: 'b',
        key: 'ok-dest',
        headers: { 'content-length': '100' },
        body: res.body,
        payloadHash: UNSIGNED_PAYLOAD,
      }),
    ).rejects.toMatchObject({ code: 'ServiceUnavailable', backend: 'source', kind: 'reset' });
  });

  it('counts nothing when s3bridge itself aborts the call (the client went away)', async () => {
    const { metrics, backend: b } = backend();
    const abort = new AbortController();
    const pending = sendUpstream(b, get('hang', { signal: abort.signal }));
    await waitFor(() => arrived.some((r) => r.url === '/b/hang'), 5_000, 'the request to reach the origin');
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    const s = await upstreamSeries(metrics);
    expect(s.errors).toEqual({});
    expect(s.count('GetObject')).toBeUndefined();
  });

  it('a request body that fails its own check comes back as its S3Error, counted against no backend', async () => {
    const { metrics, backend: b } = backend();
    const { body, pending } = await uploadInFlight(b);
    body.destroy(new S3Error('SignatureDoesNotMatch'));
    await expect(pending).rejects.toBeInstanceOf(S3Error);
    await expect(pending).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    expect((await upstreamSeries(metrics)).errors).toEqual({});
  });

  it("a client that leaves mid-upload is not the backend's failure", async () => {
    const { metrics, backend: b } = backend();
    const { body, pending } = await uploadInFlight(b);
    body.destroy(Object.assign(new Error('client aborted the upload'), { code: 'ERR_CLIENT_ABORTED' }));
    await expect(pending).rejects.toMatchObject({ code: 'ERR_CLIENT_ABORTED' });
    expect((await upstreamSeries(metrics)).errors).toEqual({});
  });

  it('a body that closes without an error before its end (a source destroyed quietly) aborts the upload: the origin is not left waiting', async () => {
    const { metrics, backend: b } = backend();
    const { body, pending } = await uploadInFlight(b);
    body.destroy();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    await waitFor(() => arrived.some((r) => r.method === 'PUT' && r.cutShort), 5_000, 'the origin to see the upload cut short');
    expect(seen.filter((r) => r.method === 'PUT')).toEqual([]);
    expect((await upstreamSeries(metrics)).errors).toEqual({});
  });

  it('streams a request body and leaves the connection reusable', async () => {
    const { metrics, backend: b } = backend();
    const res = await sendUpstream(b, {
      operation: 'PutObject',
      method: 'PUT',
      bucket: 'b',
      key: 'ok-upload',
      headers: { 'content-length': '6' },
      body: Readable.from([Buffer.from('abc'), Buffer.from('def')]),
      payloadHash: UNSIGNED_PAYLOAD,
    });
    await drain(res.body);
    expect(seen.at(-1)?.body).toBe('abcdef');
    await drain((await sendUpstream(b, get('ok-again'))).body);
    expect((await upstreamSeries(metrics)).count('PutObject')).toBe(1);
  });
});

describe('classifyUpstreamError', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, 'connect'],
    [{ code: 'ENOTFOUND' }, 'connect'],
    [{ code: 'ETIMEDOUT' }, 'timeout'],
    [{ code: 'ECONNRESET' }, 'reset'],
    [{ code: 'EPIPE' }, 'reset'],
    [{ name: 'AbortError' }, undefined],
    [{ code: 'ERR_CLIENT_ABORTED' }, undefined],
    [new S3Error('BadDigest'), undefined],
    [new UpstreamError('x', 'reset'), undefined],
  ])('%j → %s', (err, kind) => {
    expect(classifyUpstreamError(err)).toBe(kind);
  });
});
