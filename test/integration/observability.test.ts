// Metrics, access log and health as an operator sees them, after real traffic through s3bridge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { CopyObjectCommand, CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { DEMO, remoteBackend, startBridge, tempDir, type TestBridge } from '../helpers/bridge.js';
import { waitFor } from '../helpers/wait.js';
import { parseExposition, type Sample } from '../unit/metrics/exposition.js';

let moto: MotoServer;
let bridge: TestBridge;
let s3: S3Client;

beforeAll(async () => {
  moto = await startMoto();
  bridge = await startBridge({
    backends: [remoteBackend('moto', moto), { name: 'local', embedded: { dir: tempDir() } }],
    routes: [
      { bucket: 'l-*', backend: 'local' },
      { bucket: '*', backend: 'moto' },
    ],
  });
  s3 = bridge.client(undefined, undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  await s3.send(new CreateBucketCommand({ Bucket: 'obs' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'l-obs' }));
}, 60_000);

afterAll(async () => {
  await bridge?.close(1000);
  await moto?.stop();
});

async function scrape(): Promise<Sample[]> {
  const res = await request(`${bridge.adminUrl}/metrics`);
  expect(res.statusCode).toBe(200);
  return parseExposition(await res.body.text()).samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

describe('metrics after real traffic', () => {
  it('counts requests, object bytes, copy emulations and auth failures exactly', async () => {
    const before = await scrape();
    const mark = bridge.lines.length;
    const body = randomBytes(12_345);
    await s3.send(new PutObjectCommand({ Bucket: 'obs', Key: 'o', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'obs', Key: 'o' }));
    expect((await got.Body!.transformToByteArray()).length).toBe(body.length);
    await s3.send(new CopyObjectCommand({ Bucket: 'l-obs', Key: 'copied', CopySource: 'obs/o' }));
    await expect(bridge.client('demo', 'wrong').send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    // Metrics are recorded with the access-log line, once each response has gone out.
    const logged = () => new Set(bridge.lines.slice(mark).map((l) => l.operation));
    await waitFor(() => ['PutObject', 'GetObject', 'CopyObject', 'ListBuckets'].every((op) => logged().has(op)), 5_000, 'the four access-log lines');
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => value(after, name, labels) - value(before, name, labels);

    expect(delta('s3bridge_requests_total', { operation: 'PutObject', backend: 'moto', status: '200' })).toBe(1);
    expect(delta('s3bridge_requests_total', { operation: 'GetObject', backend: 'moto', status: '200' })).toBe(1);
    expect(delta('s3bridge_requests_total', { operation: 'CopyObject', backend: 'local', status: '200' })).toBe(1);
    expect(delta('s3bridge_requests_total', { operation: 'ListBuckets', status: '403' })).toBe(1);
    expect(delta('s3bridge_received_bytes_total', { backend: 'moto' })).toBe(body.length);
    expect(delta('s3bridge_sent_bytes_total', { backend: 'moto' })).toBe(body.length);
    expect(delta('s3bridge_copy_emulations_total', { operation: 'CopyObject', source_backend: 'moto', destination_backend: 'local', outcome: 'ok' })).toBe(1);
    expect(delta('s3bridge_copy_emulated_bytes_total', { source_backend: 'moto', destination_backend: 'local' })).toBe(body.length);
    expect(delta('s3bridge_auth_failures_total', { code: 'SignatureDoesNotMatch' })).toBe(1);
    expect(delta('s3bridge_upstream_request_duration_seconds_count', { backend: 'moto', operation: 'PutObject' })).toBe(1);
    expect(delta('s3bridge_request_duration_seconds_count', { operation: 'GetObject', backend: 'moto' })).toBe(1);
    expect(value(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts upstream errors of a backend that is down', async () => {
    const down = await startBridge({
      backends: [remoteBackend('gone', { endpoint: 'http://127.0.0.1:9', accessKeyId: 'a', secretAccessKey: 'b' })],
      routes: [{ bucket: '*', backend: 'gone' }],
    });
    try {
      await expect(down.client().send(new GetObjectCommand({ Bucket: 'x', Key: 'y' }))).rejects.toMatchObject({
        name: 'ServiceUnavailable',
        $metadata: { httpStatusCode: 503 },
      });
      await waitFor(() => down.lines.some((l) => l.operation === 'GetObject' && l.status === 503), 5_000, 'the access-log line of the failed GET');
      const res = await request(`${down.adminUrl}/metrics`);
      const samples = parseExposition(await res.body.text()).samples;
      expect(value(samples, 's3bridge_upstream_errors_total', { backend: 'gone', kind: 'connect' })).toBe(1);
      expect(value(samples, 's3bridge_requests_total', { backend: 'gone', status: '503' })).toBe(1);
    } finally {
      await down.close(100);
    }
  });
});

describe('access log', () => {
  it('has one JSON line per request with the contract fields, sharing the request id', async () => {
    const res = await s3.send(new PutObjectCommand({ Bucket: 'obs', Key: 'logged', Body: 'x' }));
    const id = res.$metadata.requestId;
    expect(id).toMatch(/^[0-9A-F]{16}$/);
    await waitFor(() => bridge.lines.some((l) => l.requestId === id), 5_000, 'the access-log line');
    const line = bridge.lines.find((l) => l.requestId === id);
    for (const field of [
      'time',
      'requestId',
      'remoteAddr',
      'accessKeyId',
      'operation',
      'bucket',
      'key',
      'backend',
      'status',
      'bytesIn',
      'bytesOut',
      'durationMs',
      'userAgent',
    ]) {
      expect(line).toHaveProperty(field);
    }
    expect(line).toMatchObject({ accessKeyId: 'demo', operation: 'PutObject', bucket: 'obs', key: 'logged', backend: 'moto', status: 200, bytesIn: 1 });
  });

  it('never contains a secret, a signature or a presigned signature', async () => {
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'obs', Key: 'logged' }), { expiresIn: 60 });
    await (await request(url)).body.dump();
    await (await request(url.replace(/X-Amz-Signature=[0-9a-f]+/, 'X-Amz-Signature=' + '0'.repeat(64)))).body.dump();
    const signature = /X-Amz-Signature=([0-9a-f]+)/.exec(url)![1]!;
    const all = bridge.rawLog.join('');
    expect(all.length).toBeGreaterThan(0);
    // The embedded store's key pair (made at start, held in memory) included: use it first, so it is in play.
    await s3.send(new CreateBucketCommand({ Bucket: 'l-logged' }));
    await s3.send(new PutObjectCommand({ Bucket: 'l-logged', Key: 'k', Body: 'x' }));
    const embedded = bridge.app.backends.get('local')!.credentials.secretAccessKey;
    for (const secret of [
      DEMO.secretAccessKey,
      embedded,
      moto.secretAccessKey === 'test' ? 'never-match' : moto.secretAccessKey,
      signature,
      'Signature=',
      'X-Amz-Signature',
      'X-Amz-Credential',
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});

describe('health', () => {
  it('/healthz is 200; /readyz names every backend', async () => {
    expect((await request(`${bridge.adminUrl}/healthz`)).statusCode).toBe(200);
    const ready = await request(`${bridge.adminUrl}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toMatchObject({ backends: { moto: { state: 'up' }, local: { state: 'up' } } });
  });

  it('/readyz goes 503 while a backend is stopped and 200 when it is back', async () => {
    const m = await startMoto();
    const b = await startBridge({ backends: [remoteBackend('m', m)], routes: [{ bucket: '*', backend: 'm' }] });
    try {
      expect((await request(`${b.adminUrl}/readyz`)).statusCode).toBe(200);
      const port = Number(new URL(m.endpoint).port);
      await m.stop();
      // Until the short probe cache (2 s) expires /readyz still says 200.
      let downBody: unknown;
      await waitFor(
        async () => {
          const res = await request(`${b.adminUrl}/readyz`);
          downBody = await res.body.json();
          return res.statusCode === 503;
        },
        5_000,
        '/readyz to report the stopped backend',
        100,
      );
      expect(downBody).toMatchObject({ backends: { m: { state: 'down' } } });
      // Bring a server back on the same port.
      const { createServer } = await import('node:http');
      const again = createServer((_q, r) => r.end('<ListAllMyBucketsResult/>')).listen(port, '127.0.0.1');
      await new Promise((r) => again.once('listening', r));
      await waitFor(
        async () => {
          const res = await request(`${b.adminUrl}/readyz`);
          await res.body.dump();
          return res.statusCode === 200;
        },
        5_000,
        '/readyz to report the backend back',
        100,
      );
      again.close();
    } finally {
      await b.close(100);
    }
  });
});
