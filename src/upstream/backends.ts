// Backend objects, built once at startup: endpoint, region, credentials, addressing style, capabilities, one keep-alive agent each.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { isEmbedded, type BackendConfig, type EmbeddedBackendConfig } from '../config/schema.js';
import { startEmbedded, type EmbeddedServer } from './embedded.js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface Backend {
  readonly name: string;
  /** "http://127.0.0.1:9000": where the backend is. */
  readonly origin: string;
  /** host[:port] of the endpoint, for the Host header and the signature. */
  readonly host: string;
  readonly hostname: string;
  readonly port: number | undefined;
  readonly tls: boolean;
  readonly region: string;
  readonly addressing: 'path' | 'virtual';
  readonly credentials: Credentials;
  readonly capabilities: { uploadPartCopy: boolean; awsChunked: boolean; literalKeys: boolean };
  /** Keep-alive connections to this backend (upstream/client.ts). */
  readonly agent: HttpAgent;
  /** Socket inactivity limit for a call (connect, headers, body). */
  readonly timeoutMs: number;
  /** Where upstream calls record their metrics; undefined when metrics are off. */
  readonly metrics?: Metrics;
  /** The embedded store this backend started and stops on close (absent when attached to one it does not own). */
  readonly embedded?: EmbeddedServer;
}

export interface BackendEvents {
  metrics?: Metrics;
  /** Where the embedded store logs what goes wrong inside it (never a key or signature). */
  log?: Logger;
  onEmbeddedEvent?: (e: { event: string; name: string; port?: number }) => void;
  /**
   * Embedded stores another process started and owns (the cluster primary, src/workers/), by backend name. When
   * given, an embedded backend attaches to its entry instead of starting a store, and closing it leaves the store
   * running; a backend missing from it is an error, never a second store on the same directory.
   */
  embeddedStores?: ReadonlyMap<string, EmbeddedEndpoint>;
}

/** Where a running embedded store listens and the key pair it accepts (generated per start, never logged). */
export type EmbeddedEndpoint = Pick<EmbeddedServer, 'endpoint' | 'accessKeyId' | 'secretAccessKey'>;

/** The one place an embedded backend's store is started: by createBackend, or by the cluster primary for its workers. */
export function startEmbeddedStore(cfg: EmbeddedBackendConfig, events: Pick<BackendEvents, 'onEmbeddedEvent' | 'log'> = {}): Promise<EmbeddedServer> {
  return startEmbedded({ name: cfg.name, dir: cfg.embedded.dir, minPartSize: cfg.embedded.minPartSize, log: events.log, onEvent: events.onEmbeddedEvent });
}

async function embeddedStoreFor(cfg: EmbeddedBackendConfig, events: BackendEvents): Promise<{ store: EmbeddedEndpoint; owned?: EmbeddedServer }> {
  if (!events.embeddedStores) {
    const owned = await startEmbeddedStore(cfg, events);
    return { store: owned, owned };
  }
  const store = events.embeddedStores.get(cfg.name);
  if (!store) throw new Error(`embedded backend "${cfg.name}": no store was started for it`);
  return { store };
}

/** One keep-alive agent per backend; LIFO so that idle connections beyond what the load needs time out. */
function createAgent(tls: boolean, maxConnections: number): HttpAgent {
  const opts = { keepAlive: true, maxSockets: maxConnections, maxFreeSockets: maxConnections, scheduling: 'lifo' as const };
  return tls ? new HttpsAgent(opts) : new HttpAgent(opts);
}

export async function createBackend(cfg: BackendConfig, events: BackendEvents = {}): Promise<Backend> {
  let endpoint: string;
  let settings: Pick<Backend, 'region' | 'addressing' | 'credentials' | 'capabilities' | 'embedded'>;
  if (isEmbedded(cfg)) {
    const { store, owned } = await embeddedStoreFor(cfg, events);
    endpoint = store.endpoint;
    settings = {
      region: 'us-east-1',
      addressing: 'path',
      credentials: { accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey },
      // The embedded store copies natively (UploadPartCopy included) and decodes aws-chunked itself (so a trailer
      // checksum reaches it re-framed and is kept with the object, as S3 would). It keeps "." and ".." key segments
      // literally too (keys are hashed into file names), but like every other backend it gets such keys only when
      // the config says capabilities.literalKeys: true (security.md §3.2).
      capabilities: {
        uploadPartCopy: cfg.capabilities.uploadPartCopy ?? true,
        awsChunked: cfg.capabilities.awsChunked ?? true,
        literalKeys: cfg.capabilities.literalKeys ?? false,
      },
      embedded: owned,
    };
  } else {
    endpoint = cfg.endpoint;
    settings = {
      region: cfg.region,
      addressing: cfg.addressing,
      credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey, sessionToken: cfg.sessionToken },
      capabilities: {
        uploadPartCopy: cfg.capabilities.uploadPartCopy ?? true,
        awsChunked: cfg.capabilities.awsChunked ?? false,
        literalKeys: cfg.capabilities.literalKeys ?? false,
      },
    };
  }
  const url = new URL(endpoint);
  const tls = url.protocol === 'https:';
  return {
    name: cfg.name,
    origin: url.origin,
    host: url.host,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : undefined,
    tls,
    ...settings,
    agent: createAgent(tls, cfg.maxConnections),
    timeoutMs: cfg.timeoutSeconds * 1000,
    metrics: events.metrics && events.metrics.enabled !== false ? events.metrics : undefined,
  };
}

export async function closeBackends(backends: Map<string, Backend>): Promise<void> {
  await Promise.allSettled(
    [...backends.values()].map(async (b) => {
      b.agent.destroy();
      await b.embedded?.stop();
    }),
  );
}
