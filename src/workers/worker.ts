// Cluster worker: one S3 listener on the port all workers share; its config, the embedded stores' endpoints and its
// orders (reload, metrics, drain) come from the primary over IPC (messages.ts), never from its own signals or files.
import { startS3Listener, type S3Listener } from '../app.js';
import { reviveConfig } from '../config/load.js';
import { batchedStdout, createLogger, type Logger } from '../log.js';
import { metricsSnapshot } from '../metrics.js';
import type { EmbeddedEndpoint } from '../upstream/backends.js';
import { isOurs, type FromWorker, type StoreTable, type ToWorker } from './messages.js';

const send = (msg: FromWorker, then?: () => void) => process.send?.(msg, undefined, undefined, then);
const storeMap = (stores: StoreTable): ReadonlyMap<string, EmbeddedEndpoint> => new Map(Object.entries(stores));

export function runWorker(): void {
  let listener: S3Listener | undefined;
  let log: Logger | undefined;
  let stopping = false;
  // start and reload run one after the other, in the order sent: a reload sent while this worker was starting
  // applies after its start, so no worker keeps an older config than the primary's.
  let queue: Promise<void> = Promise.resolve();

  const stop = (graceMs?: number) => {
    if (stopping) return;
    stopping = true;
    const closing = listener ? listener.close(graceMs) : Promise.resolve();
    closing.then(
      () => process.exit(0),
      (err: unknown) => {
        log?.error('shutdown failed', { error: String(err) });
        process.exit(1);
      },
    );
  };

  const start = async (msg: Extract<ToWorker, { type: 's3bridge:start' }>) => {
    try {
      const config = reviveConfig(msg.config);
      log = createLogger(batchedStdout({ shared: true }), { access: config.server.accessLog, pretty: process.stdout.isTTY === true, pid: process.pid });
      listener = await startS3Listener(config, { log, embeddedStores: storeMap(msg.stores) });
      send({ type: 's3bridge:ready', s3Url: listener.s3Url });
    } catch (err) {
      // Startup errors name what failed (a port in use, a missing certificate), never a config value.
      send({ type: 's3bridge:failed', error: (err as Error)?.message ?? String(err) }, () => process.exit(1));
    }
  };

  const reload = async (msg: Extract<ToWorker, { type: 's3bridge:reload' }>) => {
    if (!listener) {
      send({ type: 's3bridge:reloaded', seq: msg.seq, error: 'not started' });
      return;
    }
    try {
      const summary = await listener.reload(reviveConfig(msg.config), { embeddedStores: storeMap(msg.stores) });
      send({ type: 's3bridge:reloaded', seq: msg.seq, summary });
    } catch (err) {
      send({ type: 's3bridge:reloaded', seq: msg.seq, error: (err as Error)?.message ?? String(err) });
    }
  };

  process.on('message', (raw: unknown) => {
    if (!isOurs<ToWorker>(raw)) return;
    switch (raw.type) {
      case 's3bridge:start':
        queue = queue.then(() => start(raw));
        break;
      case 's3bridge:reload':
        queue = queue.then(() => reload(raw));
        break;
      case 's3bridge:metrics':
        // Not queued: a scrape must not wait for a reload. Before the start there is nothing to count yet.
        (listener ? metricsSnapshot(listener.app.metrics) : Promise.resolve([])).then(
          (snapshot) => send({ type: 's3bridge:metrics', seq: raw.seq, snapshot }),
          () => send({ type: 's3bridge:metrics', seq: raw.seq, snapshot: [] }),
        );
        break;
      case 's3bridge:shutdown':
        stop(raw.graceMs);
        break;
    }
  });
  // A terminal's Ctrl-C (and SIGHUP on hang-up) reach the whole process group: the primary got them too and orders
  // the drain or the reload, once, for every worker. SIGTERM sent to this worker alone drains it and it exits; the
  // primary then starts a new one. (If the primary dies, node:cluster ends the workers at once.)
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);
  process.on('SIGTERM', () => stop());
  send({ type: 's3bridge:hello' });
}
