// admin.ts GET /metrics: the registry's text on the admin listener, with Prometheus's content type.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createAdminServer, type AdminApp } from '../../../src/admin.js';
import { createMetrics } from '../../../src/metrics.js';
import { parseExposition, sampleValue } from './exposition.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function start(app: AdminApp): Promise<string> {
  const server = createAdminServer(app);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('GET /metrics', () => {
  it('serves what was recorded, in Prometheus text format, with the default process metrics', async () => {
    const metrics = createMetrics();
    metrics.recordRequest({ operation: 'GetObject', backend: 'aws', status: 200, durationSeconds: 0.004, bytesIn: 0, bytesOut: 1024 });
    metrics.recordAuthFailure('SignatureDoesNotMatch');
    const url = await start({ backends: new Map(), metrics });
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const exp = parseExposition(await res.text());
    expect(sampleValue(exp, 's3bridge_requests_total', { operation: 'GetObject', backend: 'aws', status: '200' })).toBe(1);
    expect(sampleValue(exp, 's3bridge_sent_bytes_total', { backend: 'aws' })).toBe(1024);
    expect(sampleValue(exp, 's3bridge_auth_failures_total', { code: 'SignatureDoesNotMatch' })).toBe(1);
    expect(exp.types.get('s3bridge_request_duration_seconds')).toBe('histogram');
    expect(exp.types.get('process_cpu_user_seconds_total')).toBe('counter');
  });

  it('shows new samples on the next scrape, and ignores a query string', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const url = await start({ backends: new Map(), metrics });
    const scrape = async () =>
      sampleValue(parseExposition(await (await fetch(`${url}/metrics?x=1`)).text()), 's3bridge_upstream_errors_total', { backend: 'aws', kind: 'timeout' });
    expect(await scrape()).toBeUndefined();
    metrics.recordUpstream({ backend: 'aws', operation: 'GetObject', durationSeconds: 1, errorKind: 'timeout' });
    expect(await scrape()).toBe(1);
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const url = await start({ backends: new Map(), metrics: createMetrics({ defaultMetrics: false }) });
    const head = await fetch(`${url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('is 404 when the app has no metrics, and 500 when collecting fails', async () => {
    const none = await start({ backends: new Map() });
    expect((await fetch(`${none}/metrics`)).status).toBe(404);
    const broken = await start({
      backends: new Map(),
      metrics: { contentType: 'text/plain', metricsText: () => Promise.reject(new Error('collector failed')) },
    });
    const res = await fetch(`${broken}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'Error: collector failed' });
  });

  it('leaves /healthz and /readyz as they were', async () => {
    const url = await start({ backends: new Map(), metrics: createMetrics({ defaultMetrics: false }) });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ backends: {} });
  });
});
