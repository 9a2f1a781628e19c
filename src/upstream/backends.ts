// Backend objects, built once at startup: endpoint, region, credentials, addressing style, one undici Pool each.
import { Pool, type Dispatcher } from 'undici';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { instrumentPool } from './instrument.js';
import { createForwardAgent } from './forward.js';
import type { Agent } from 'node:http';
import { isEmbedded, type BackendConfig } from '../config/schema.js';
import { startEmbedded, type EmbeddedServer } from './embedded.js';

export interface Credentials { accessKeyId: string; secretAccessKey: string; sessionToken?: string }

export interface Backend {
  readonly name: string;
  /** "http://127.0.0.1:9000": what the Pool connects to. */
  readonly origin: string;
  /** host[:port] of the endpoint, for the Host header and the signature. */
  readonly host: string;
  readonly region: string;
  readonly addressing: 'path' | 'virtual';
  readonly credentials: Credentials;
  readonly capabilities: { uploadPartCopy: boolean; awsChunked: boolean };
  readonly pool: Pool;
  /** The pool behind the metrics interceptor: s3bridge's own requests (copies, listings, probes) go through this. */
  readonly upstream: Dispatcher;
  /** Keep-alive agent for pass-through forwarding on node:http (upstream/forward.ts). */
  readonly agent: Agent;
  readonly timeoutMs: number;
  /** Where pass-through forwarding records its upstream metrics. */
  readonly metrics?: Metrics;
  readonly embedded?: EmbeddedServer;
}

export interface BackendEvents {
  metrics?: Metrics;
  /** Where the embedded store logs what goes wrong inside it (never a key or signature). */
  log?: Logger;
  onEmbeddedEvent?: (e: { event: string; name: string; port?: number }) => void;
}

function makePool(origin: string, cfg: BackendConfig): Pool {
  const timeout = cfg.timeoutSeconds * 1000;
  return new Pool(origin, {
    connections: cfg.maxConnections,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: { timeout: 10_000 },
    keepAliveTimeout: 4_000,
  });
}

function instrument(pool: Pool, name: string, addressing: 'path' | 'virtual', host: string, metrics?: Metrics): Dispatcher {
  return metrics && metrics.enabled !== false ? instrumentPool(pool, name, metrics, { addressing, host }) : pool;
}

export async function createBackend(cfg: BackendConfig, events: BackendEvents = {}): Promise<Backend> {
  let endpoint: string;
  let settings: Pick<Backend, 'region' | 'addressing' | 'credentials' | 'capabilities' | 'embedded'>;
  if (isEmbedded(cfg)) {
    const server = await startEmbedded({ name: cfg.name, dir: cfg.embedded.dir, minPartSize: cfg.embedded.minPartSize, log: events.log, onEvent: events.onEmbeddedEvent });
    endpoint = server.endpoint;
    settings = {
      region: 'us-east-1',
      addressing: 'path',
      credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
      // The embedded store copies natively (UploadPartCopy included) and decodes aws-chunked itself, so a trailer
      // checksum reaches it re-framed and is stored with the object, as S3 would (GetObject ChecksumMode).
      capabilities: { uploadPartCopy: cfg.capabilities.uploadPartCopy ?? true, awsChunked: cfg.capabilities.awsChunked ?? true },
      embedded: server,
    };
  } else {
    endpoint = cfg.endpoint;
    settings = {
      region: cfg.region,
      addressing: cfg.addressing,
      credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey, sessionToken: cfg.sessionToken },
      capabilities: { uploadPartCopy: cfg.capabilities.uploadPartCopy ?? true, awsChunked: cfg.capabilities.awsChunked ?? false },
    };
  }
  const url = new URL(endpoint);
  const pool = makePool(url.origin, cfg);
  return {
    name: cfg.name,
    origin: url.origin,
    host: url.host,
    ...settings,
    pool,
    upstream: instrument(pool, cfg.name, settings.addressing, url.host, events.metrics),
    agent: createForwardAgent(url.origin, cfg.maxConnections),
    timeoutMs: cfg.timeoutSeconds * 1000,
    metrics: events.metrics && events.metrics.enabled !== false ? events.metrics : undefined,
  };
}

export async function closeBackends(backends: Map<string, Backend>): Promise<void> {
  await Promise.allSettled([...backends.values()].map(async (b) => {
    b.agent.destroy();
    await b.pool.close().catch(() => b.pool.destroy());
    await b.embedded?.stop();
  }));
}
