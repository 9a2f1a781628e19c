// Cluster IPC: the messages between the primary (primary.ts, pool.ts) and its workers (worker.ts), one type each way.
//
// The channel is private to the two processes (a socketpair, JSON), which is why the config and the embedded
// stores' per-start keys may travel on it: never argv or the environment (`ps`, /proc/PID/environ), never a log.
import type { ReloadSummary } from '../app.js';
import type { MetricsSnapshot } from '../metrics.js';
import type { EmbeddedEndpoint } from '../upstream/backends.js';

/** The embedded stores the primary runs, by backend name. */
export type StoreTable = Record<string, EmbeddedEndpoint>;

export type ToWorker =
  /** The answer to `hello`: the validated config (plain data) and where the embedded stores are. */
  | { type: 's3bridge:start'; config: unknown; stores: StoreTable }
  | { type: 's3bridge:reload'; seq: number; config: unknown; stores: StoreTable }
  | { type: 's3bridge:metrics'; seq: number }
  /** Stop accepting, finish in-flight requests within graceMs, exit 0. */
  | { type: 's3bridge:shutdown'; graceMs: number };

export type FromWorker =
  /** The worker listens for messages now (earlier ones would be lost): send `start`. */
  | { type: 's3bridge:hello' }
  | { type: 's3bridge:ready'; s3Url: string }
  /** Startup failed; the message names what failed and holds no config values. The worker exits 1. */
  | { type: 's3bridge:failed'; error: string }
  | { type: 's3bridge:reloaded'; seq: number; summary?: ReloadSummary; error?: string }
  | { type: 's3bridge:metrics'; seq: number; snapshot: MetricsSnapshot };

/** Messages of ours (prom-client and node:cluster use other shapes on the same channel). */
export function isOurs<T extends { type: string }>(msg: unknown): msg is T {
  return (
    typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string' && (msg as { type: string }).type.startsWith('s3bridge:')
  );
}
