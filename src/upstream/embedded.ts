// Upstream, embedded backends: starts the embedded store (src/store) inside this process, on its own listener on 127.0.0.1.
//
// In-process rather than in a child process: measured on the 2-core bench machine the child bought no throughput
// beyond noise and cost ~90 MB more memory (docs/design.md, "The embedded store"). The store's key pair is made at
// start and stays in this process: s3bridge signs with it in memory; it is never written, passed on or logged.
import { resolve } from 'node:path';
import type { Logger } from '../log.js';
import { startStore, type StoreServer } from '../store/server.js';

export interface EmbeddedEvent {
  /** ready: the store listens (emitted once per store started, not for a backend that shares one). */
  event: 'ready';
  name: string;
  port: number;
}

export interface EmbeddedOptions {
  name: string;
  dir: string;
  /** Given keys (tests); by default a fresh random pair per start. */
  accessKeyId?: string;
  secretAccessKey?: string;
  onEvent?: (e: EmbeddedEvent) => void;
  /** CompleteMultipartUpload's minimum part size; S3's 5 MiB unless a test lowers it. */
  minPartSize?: number;
  log?: Logger;
}

export interface EmbeddedServer {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Stops this backend's use of the store; the store closes when no backend uses it any more. Idempotent. */
  stop(): Promise<void>;
}

/**
 * One store per data folder in this process. A config reload that changes an embedded backend's other settings
 * builds a new backend on the same folder while the old one still drains: both use the one store.
 */
const stores = new Map<string, { started: Promise<StoreServer>; users: number }>();

export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const dir = resolve(opts.dir);
  let entry = stores.get(dir);
  if (!entry) {
    const started = startStore({ dir, accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, minPartSize: opts.minPartSize, log: opts.log });
    entry = { started, users: 0 };
    stores.set(dir, entry);
    started.then(
      (s) => opts.onEvent?.({ event: 'ready', name: opts.name, port: Number(new URL(s.endpoint).port) }),
      () => stores.delete(dir),
    );
  }
  const shared = entry;
  shared.users++;
  let store: StoreServer;
  try {
    store = await shared.started;
  } catch (err) {
    shared.users--;
    throw new Error(`embedded backend "${opts.name}": ${(err as Error).message}`, { cause: err });
  }
  let stopped: Promise<void> | undefined;
  return {
    endpoint: store.endpoint,
    accessKeyId: store.accessKeyId,
    secretAccessKey: store.secretAccessKey,
    stop() {
      stopped ??= (async () => {
        if (--shared.users > 0) return;
        if (stores.get(dir) === shared) stores.delete(dir);
        await store.stop();
      })();
      return stopped;
    },
  };
}
