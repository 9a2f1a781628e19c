// upstream/instrument.ts: the undici interceptor against a real node:http server on port 0.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { Pool, type Dispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../../src/metrics.js';
import { S3Error } from '../../../src/s3/errors.js';
import { classifyUpstreamError, inferOperation, instrumentPool, withOperation } from '../../../src/upstream/instrument.js';
import { parseExposition, valueOf, family } from './exposition.js';
import { waitFor } from '../../helpers/wait.js';

let server: Server;
let origin: string;
const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
/** Requests as they arrive, with the body bytes received so far: in flight before `seen` has them. */
const arrived: Array<{ method: string; url: string; bytes: number }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    const arrival = { method: req.method!, url: req.url!, bytes: 0 };
    arrived.push(arrival);
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
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 20); // the fault itself: the body stops after 7 of 100 bytes
      }
      // /b/hang: never answers.
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
  seen.length = 0;
  arrived.length = 0;
});

function setup(poolOpts: Pool.Options = {}, url = origin): { metrics: Metrics; upstream: Dispatcher } {
  const pool = new Pool(url, { connections: 4, ...poolOpts });
  pools.push(pool);
  const metrics = createMetrics({ defaultMetrics: false });
  return { metrics, upstream: instrumentPool(pool, 'aws', metrics) };
}

/** Lets the interceptor's deferred error classification run. */
const settle = () => new Promise((r) => setImmediate(r));

async function upstreamSeries(metrics: Metrics) {
  await settle();
  const exp = parseExposition(await metrics.metricsText());
  return {
    exp,
    errors: Object.fromEntries(family(exp, 's3bridge_upstream_errors_total').map((s) => [`${s.labels.backend}/${s.labels.kind}`, s.value])),
    count: (operation: string) => valueOf(exp, 's3bridge_upstream_request_duration_seconds_count', { backend: 'aws', operation }),
    sum: (operation: string) => valueOf(exp, 's3bridge_upstream_request_duration_seconds_sum', { backend: 'aws', operation }),
  };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('instrumentPool', () => {
  it('passes a successful response through untouched and times it under the inferred operation', async () => {
    const { metrics, upstream } = setup();
    const res = await upstream.request({ method: 'GET', path: '/b/ok-object', headers: { host: 'example' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe('"abc"');
    expect(await res.body.text()).toBe('hello world');
    const s = await upstreamSeries(metrics);
    expect(s.count('GetObject')).toBe(1);
    expect(s.sum('GetObject')).toBeGreaterThan(0);
    expect(s.sum('GetObject')).toBeLessThan(5);
    expect(s.errors).toEqual({});
  });

  it('counts a 503 answer as status_5xx, a 404 as no error', async () => {
    const { metrics, upstream } = setup();
    const r1 = await upstream.request({ method: 'PUT', path: '/b/unavailable?partNumber=3&uploadId=u1', body: 'data' });
    expect(r1.statusCode).toBe(503);
    expect(await r1.body.text()).toContain('SlowDown');
    const r2 = await upstream.request({ method: 'HEAD', path: '/b/missing' });
    await r2.body.dump();
    expect(r2.statusCode).toBe(404);
    const s = await upstreamSeries(metrics);
    expect(s.errors).toEqual({ 'aws/status_5xx': 1 });
    expect(s.count('UploadPart')).toBe(1);
    expect(s.count('HeadObject')).toBe(1);
  });

  it('counts a refused connection as connect', async () => {
    const { metrics, upstream } = setup({}, `http://127.0.0.1:${await freePort()}`);
    await expect(upstream.request({ method: 'GET', path: '/b/k' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const s = await upstreamSeries(metrics);
    expect(s.errors).toEqual({ 'aws/connect': 1 });
    expect(s.count('GetObject')).toBe(1);
  });

  it('counts a headers timeout as timeout', async () => {
    const { metrics, upstream } = setup({ headersTimeout: 150 });
    await expect(upstream.request({ method: 'GET', path: '/b/hang' })).rejects.toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
    const s = await upstreamSeries(metrics);
    expect(s.errors).toEqual({ 'aws/timeout': 1 });
    expect(s.sum('GetObject')).toBeGreaterThanOrEqual(0.1);
  });

  it('counts a connection closed before the answer as reset', async () => {
    const { metrics, upstream } = setup();
    await expect(upstream.request({ method: 'DELETE', path: '/b/reset' })).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
    const s = await upstreamSeries(metrics);
    expect(s.errors).toEqual({ 'aws/reset': 1 });
    expect(s.count('DeleteObject')).toBe(1);
  });

  it('counts a body cut short as reset, measured to the moment it failed', async () => {
    const { metrics, upstream } = setup();
    const res = await upstream.request({ method: 'GET', path: '/b/cut' });
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toMatchObject({ code: 'UND_ERR_SOCKET', message: 'other side closed' });
    const s = await upstreamSeries(metrics);
    expect(s.errors).toEqual({ 'aws/reset': 1 });
    expect(s.count('GetObject')).toBe(1);
  });

  it('counts nothing when s3bridge itself aborts the call (the client went away)', async () => {
    const { metrics, upstream } = setup();
    const abort = new AbortController();
    const pending = upstream.request({ method: 'GET', path: '/b/hang', signal: abort.signal });
    await waitFor(() => arrived.some((r) => r.url === '/b/hang'), 5_000, 'the request to reach the origin');
    abort.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    const s = await upstreamSeries(metrics);
    expect(s.errors).toEqual({});
    expect(s.count('GetObject')).toBeUndefined();
  });

  it('counts nothing when the request body fails its own check', async () => {
    const { metrics, upstream } = setup();
    const body = new Readable({ read() {} });
    const pending = upstream.request({ method: 'PUT', path: '/b/ok', body, headers: { 'content-length': '10' } });
    body.push('abc');
    await waitFor(() => arrived.some((r) => r.method === 'PUT' && r.bytes === 3), 5_000, 'the first body bytes to reach the origin');
    body.destroy(new S3Error('SignatureDoesNotMatch'));
    // The body's own error comes back unchanged: the caller renders it, nothing is counted against the backend.
    await expect(pending).rejects.toBeInstanceOf(S3Error);
    await expect(pending).rejects.toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    const s = await upstreamSeries(metrics);
    expect(s.errors).toEqual({});
  });

  it('counts nothing when the client disconnects mid-upload (body error first, the abort signal just after)', async () => {
    const { metrics, upstream } = setup();
    const abort = new AbortController();
    const body = new Readable({ read() {} });
    const pending = upstream.request({ method: 'PUT', path: '/b/ok', body, headers: { 'content-length': '10' }, signal: abort.signal });
    // proxy.ts aborts once the client's response closed, which can come a moment after the body's error.
    const failed = pending.catch((err: unknown) => {
      abort.abort();
      return err;
    });
    body.push('abc');
    await waitFor(() => arrived.some((r) => r.method === 'PUT' && r.bytes === 3), 5_000, 'the first body bytes to reach the origin');
    // What node:http does to the IncomingMessage when the client's socket closes.
    body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    expect(await failed).toMatchObject({ code: 'ECONNRESET' });
    const s = await upstreamSeries(metrics);
    expect(s.errors).toEqual({});
  });

  it('uses the operation a caller tags, bounded to AWS names, and never sends the tag', async () => {
    const { metrics, upstream } = setup();
    await (await upstream.request(withOperation({ method: 'PUT', path: '/b/ok?partNumber=1&uploadId=u' }, 'UploadPartCopy'))).body.dump();
    await (await upstream.request(withOperation({ method: 'GET', path: '/b/ok' }, 'secret-bucket-name'))).body.dump();
    const s = await upstreamSeries(metrics);
    expect(s.count('UploadPartCopy')).toBe(1);
    expect(s.count('Unknown')).toBe(1);
    expect(s.count('UploadPart')).toBeUndefined();
    expect(JSON.stringify(seen.map((r) => r.headers))).not.toMatch(/s3bridge|UploadPartCopy/i);
  });

  it('works with dispatcher.stream and a streamed request body', async () => {
    const { metrics, upstream } = setup();
    const res = await upstream.request({ method: 'PUT', path: '/b/ok-upload', body: Readable.from([Buffer.from('abc'), Buffer.from('def')]) });
    await res.body.dump();
    expect(seen.at(-1)?.body).toBe('abcdef');
    const received: Buffer[] = [];
    await upstream.stream({ method: 'GET', path: '/b/ok-stream' }, () => new Writable({ write(chunk: Buffer, _e, cb) { received.push(chunk); cb(); } }));
    expect(Buffer.concat(received).toString()).toBe('hello world');
    const s = await upstreamSeries(metrics);
    expect(s.count('PutObject')).toBe(1);
    expect(s.count('GetObject')).toBe(1);
  });
});

describe('inferOperation', () => {
  const h = (headers: Record<string, string> = {}) => headers;
  it.each([
    ['GET', '/', h(), {}, 'ListBuckets'],
    ['GET', '/bucket', h(), {}, 'ListObjects'],
    ['GET', '/bucket/?list-type=2&prefix=a', h(), {}, 'ListObjectsV2'],
    ['GET', '/bucket/dir/key.txt', h(), {}, 'GetObject'],
    ['HEAD', '/bucket/key', h(), {}, 'HeadObject'],
    ['HEAD', '/bucket', h(), {}, 'HeadBucket'],
    ['PUT', '/bucket/key', h(), {}, 'PutObject'],
    ['PUT', '/bucket/key', h({ 'X-Amz-Copy-Source': '/src/k' }), {}, 'CopyObject'],
    ['PUT', '/bucket/key?partNumber=2&uploadId=x', h({ 'x-amz-copy-source': '/src/k' }), {}, 'UploadPartCopy'],
    ['PUT', '/bucket/key?partNumber=2&uploadId=x', h(), {}, 'UploadPart'],
    ['POST', '/bucket/key?uploads', h(), {}, 'CreateMultipartUpload'],
    ['POST', '/bucket/key?uploadId=x', h(), {}, 'CompleteMultipartUpload'],
    ['DELETE', '/bucket/key?uploadId=x', h(), {}, 'AbortMultipartUpload'],
    ['POST', '/bucket?delete', h(), {}, 'DeleteObjects'],
    ['GET', '/bucket/key?tagging', h(), {}, 'GetObjectTagging'],
    ['GET', '/', h({ host: 'photos.s3.example.com' }), { addressing: 'virtual', host: 's3.example.com' }, 'ListObjects'],
    ['GET', '/?list-type=2', h({ Host: 'photos.s3.example.com' }), { addressing: 'virtual', host: 's3.example.com' }, 'ListObjectsV2'],
    ['GET', '/', h({ host: 's3.example.com' }), { addressing: 'virtual', host: 's3.example.com' }, 'ListBuckets'],
    ['GET', '/a/b.txt', h({ host: 'photos.s3.example.com' }), { addressing: 'virtual', host: 's3.example.com' }, 'GetObject'],
    ['PATCH', '/bucket/key', h(), {}, 'Unknown'],
  ] as const)('%s %s %j %j → %s', (method, path, headers, opts, op) => {
    expect(inferOperation({ method, path, headers }, opts)).toBe(op);
  });

  it('reads headers given as a flat array', () => {
    expect(inferOperation({ method: 'PUT', path: '/b/k', headers: ['x-amz-copy-source', '/s/k'] })).toBe('CopyObject');
  });
});

describe('classifyUpstreamError', () => {
  const err = (code: string, name = 'Error') => Object.assign(new Error('x'), { code, name });
  it.each([
    ['ECONNREFUSED', 'connect'], ['UND_ERR_CONNECT_TIMEOUT', 'connect'], ['ENOTFOUND', 'connect'], ['EAI_AGAIN', 'connect'], ['EHOSTUNREACH', 'connect'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'], ['UND_ERR_BODY_TIMEOUT', 'timeout'], ['ETIMEDOUT', 'timeout'],
    ['UND_ERR_SOCKET', 'reset'], ['ECONNRESET', 'reset'], ['EPIPE', 'reset'], ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'reset'], ['', 'reset'],
    ['UND_ERR_ABORTED', undefined], ['UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', undefined], ['UND_ERR_DESTROYED', undefined], ['UND_ERR_CLOSED', undefined],
  ] as const)('%s → %s', (code, kind) => expect(classifyUpstreamError(err(code))).toBe(kind));

  it('blames neither an abort nor a failed request body on the backend', () => {
    expect(classifyUpstreamError(err('ABORT_ERR', 'AbortError'))).toBeUndefined();
    expect(classifyUpstreamError(new S3Error('BadDigest'))).toBeUndefined();
    expect(classifyUpstreamError(Object.assign(new Error('wrapped'), { cause: new S3Error('SignatureDoesNotMatch') }))).toBeUndefined();
  });
});
