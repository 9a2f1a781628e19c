// Cluster primary (server.workers > 1): starts the embedded stores once, forks the workers that share the S3
// listener (pool.ts), serves the admin listener with every worker's metrics summed, and turns signals into orders.
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import { createAdminServer } from '../admin.js';
import { loadConfig } from '../config/load.js';
import { ConfigError, type Config } from '../config/schema.js';
import { batchedStdout, createLogger, type Logger } from '../log.js';
import { AGGREGATE_CONTENT_TYPE, aggregateMetrics } from '../metrics.js';
import { closeBackends, createBackend, type Backend } from '../upstream/backends.js';
import type { EmbeddedServer } from '../upstream/embedded.js';
import type { StoreTable } from './messages.js';
import { WorkerPool } from './pool.js';
import { PrimaryStores } from './stores.js';

/** A scrape waits this long for every worker's numbers; a worker that does not answer fails the scrape. */
const METRICS_TIMEOUT_MS = 5_000;
/** A reload that a worker has not applied after this long is reported as failed on that worker. */
const RELOAD_TIMEOUT_MS = 30_000;

/** server.workers resolved: auto = the CPUs this process may run on. */
export function workerCount(setting: Config['server']['workers']): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

/**
 * The backends as the primary sees them, for /readyz probes only (requests are served by the workers): remote
 * ones as configured, embedded ones attached to the stores this process runs.
 */
async function probeBackends(config: Config, stores: StoreTable): Promise<Map<string, Backend>> {
  const embeddedStores = new Map(Object.entries(stores));
  const entries = await Promise.all(config.backends.map(async (b) => [b.name, await createBackend(b, { embeddedStores })] as const));
  return new Map(entries);
}

function listen(server: ReturnType<typeof createAdminServer>, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Runs until a signal stops it; rejects if startup fails, after stopping whatever had started. */
export async function runPrimary(file: string, config: Config, count: number): Promise<void> {
  const log: Logger = createLogger(batchedStdout({ shared: true }), { access: false, pretty: process.stdout.isTTY === true, pid: process.pid });
  const stores = new PrimaryStores(log);
  await stores.update(config);
  let current = { config, backends: await probeBackends(config, stores.table()) };
  const pool = new WorkerPool({ count, log, startMessage: () => ({ type: 's3bridge:start', config: current.config, stores: stores.table() }) });

  const metricsText = async () => {
    const { replies, missing } = await pool.ask((seq) => ({ type: 's3bridge:metrics', seq }), METRICS_TIMEOUT_MS, true);
    // A partial sum would look like a counter reset to Prometheus: fail the scrape instead.
    if (missing > 0) throw new Error(`${missing} worker(s) did not report their metrics within ${METRICS_TIMEOUT_MS} ms`);
    return aggregateMetrics(replies.flatMap(({ reply }) => (reply.type === 's3bridge:metrics' ? [reply.snapshot] : [])));
  };
  const adminServer = createAdminServer({
    get backends() {
      return current.backends;
    },
    metrics: config.admin.metrics ? { contentType: AGGREGATE_CONTENT_TYPE, metricsText } : undefined,
    workers: () => ({ ready: pool.readyCount, configured: pool.size }),
  });

  let adminAddr: AddressInfo;
  try {
    await pool.start();
    adminAddr = await listen(adminServer, config.admin.host, config.admin.port);
  } catch (err) {
    await pool.shutdown(0);
    adminServer.close();
    await closeBackends(current.backends);
    await stores.stopAll();
    throw err;
  }
  const adminHost = adminAddr.family === 'IPv6' ? `[${adminAddr.address}]` : adminAddr.address;
  log.info('s3bridge listening', {
    s3: pool.s3Url,
    admin: `http://${adminHost}:${adminAddr.port}`,
    backends: config.backends.map((b) => b.name),
    workers: count,
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const graceSeconds = current.config.server.shutdownGraceSeconds;
    log.info('shutting down', { signal, graceSeconds, workers: pool.readyCount });
    (async () => {
      await pool.shutdown(graceSeconds * 1000);
      await new Promise<void>((resolve) => adminServer.close(() => resolve()));
      adminServer.closeAllConnections();
      await closeBackends(current.backends);
      // Last: every worker that could still be writing to the stores has exited.
      await stores.stopAll();
    })().then(
      () => {
        log.info('stopped', {});
        process.exit(0);
      },
      (err) => {
        log.error('shutdown failed', { error: String(err) });
        process.exit(1);
      },
    );
  };

  // SIGHUP: the file is read and validated here, once; only a valid config (and its stores) goes to the workers.
  const reload = async () => {
    let next: Config;
    try {
      next = loadConfig(file);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      log.error('config reload refused; keeping the running config', { file, problems });
      return;
    }
    let retired: EmbeddedServer[];
    try {
      retired = await stores.update(next);
    } catch (err) {
      log.error('config reload refused; keeping the running config', { file, problems: [(err as Error).message] });
      return;
    }
    const previous = current;
    current = { config: next, backends: await probeBackends(next, stores.table()) };
    void closeBackends(previous.backends);
    const { replies, missing } = await pool.ask((seq) => ({ type: 's3bridge:reload', seq, config: next, stores: stores.table() }), RELOAD_TIMEOUT_MS);
    stores.retire(retired, next.server.shutdownGraceSeconds * 1000);
    const failed = replies.flatMap(({ slot, reply }) =>
      reply.type === 's3bridge:reloaded' && reply.error ? [{ worker: slot.index, error: reply.error }] : [],
    );
    if (failed.length > 0 || missing > 0) {
      log.error('config reload failed on some workers', { failed, unanswered: missing, applied: replies.length - failed.length });
      return;
    }
    const summary = replies.find(({ reply }) => reply.type === 's3bridge:reloaded')?.reply;
    const needsRestart = summary?.type === 's3bridge:reloaded' ? [...(summary.summary?.needsRestart ?? [])] : [];
    if (JSON.stringify(previous.config.server.workers) !== JSON.stringify(next.server.workers)) needsRestart.push('server.workers');
    log.info('config reloaded', {
      backends: next.backends.map((b) => b.name),
      closing: previous.config.backends.map((b) => b.name).filter((n) => !next.backends.some((b) => b.name === n)),
      needsRestart,
      workers: replies.length,
    });
  };
  let reloads = Promise.resolve();
  process.on('SIGHUP', () => {
    if (!stopping) reloads = reloads.then(reload).catch((err) => log.error('config reload failed', { error: (err as Error)?.message ?? String(err) }));
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
