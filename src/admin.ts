// Admin listener, separate from the S3 port so no bucket name can collide: /metrics, /healthz, /readyz.
import { createServer, type Server } from 'node:http';
import type { Services } from './context.js';
import { drain, sendUpstream } from './upstream/client.js';
import { EMPTY_SHA256 } from './s3/hash.js';
import type { Backend } from './upstream/backends.js';
import type { Metrics } from './metrics.js';

/** What the admin listener needs from the App: its backends to probe and its metrics to serve. */
export type AdminApp = Pick<Services, 'backends'> & {
  readonly metrics?: Pick<Metrics, 'metricsText' | 'contentType'>;
  /** Cluster primary only: workers serving now and configured; /readyz is 503 while none serves. */
  readonly workers?: () => { ready: number; configured: number };
};

export type BackendState = { state: 'up'; latencyMs: number } | { state: 'down'; error: string };

const PROBE_TIMEOUT_MS = 2_000;
// Probes are cached briefly so a flood of /readyz calls never becomes a flood of backend calls.
const PROBE_CACHE_MS = 2_000;

/** A cheap signed ListBuckets; any S3 answer (even 403) proves the backend is there and speaking S3. */
export async function probeBackend(backend: Backend): Promise<BackendState> {
  const started = performance.now();
  try {
    const up = await sendUpstream(backend, {
      operation: 'ListBuckets',
      method: 'GET',
      headers: {},
      payloadHash: EMPTY_SHA256,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    await drain(up.body);
    if (up.status >= 500) return { state: 'down', error: `HTTP ${up.status}` };
    return { state: 'up', latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    return { state: 'down', error: (err as Error).message };
  }
}

export function createReadiness(app: AdminApp): () => Promise<Record<string, BackendState>> {
  let cached: { at: number; value: Promise<Record<string, BackendState>> } | undefined;
  return () => {
    if (cached && Date.now() - cached.at < PROBE_CACHE_MS) return cached.value;
    const value = (async () => {
      const entries = await Promise.all([...app.backends.values()].map(async (b) => [b.name, await probeBackend(b)] as const));
      return Object.fromEntries(entries);
    })();
    cached = { at: Date.now(), value };
    return value;
  };
}

export function createAdminServer(app: AdminApp): Server {
  const readiness = createReadiness(app);
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'method not allowed' });
    if (path === '/healthz') return json(200, { status: 'ok' });
    if (path === '/metrics') {
      const metrics = app.metrics;
      if (!metrics) return json(404, { error: 'metrics are not enabled' });
      metrics.metricsText().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
          res.end(text);
        },
        (err) => json(500, { error: String(err) }),
      );
      return;
    }
    if (path === '/readyz') {
      readiness().then(
        (backends) => {
          const workers = app.workers?.();
          const ready = Object.values(backends).every((b) => b.state === 'up') && (workers === undefined || workers.ready > 0);
          json(ready ? 200 : 503, workers ? { backends, workers } : { backends });
        },
        (err) => json(503, { error: String(err) }),
      );
      return;
    }
    json(404, { error: 'not found', endpoints: ['/healthz', '/readyz', '/metrics'] });
  });
}
