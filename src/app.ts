// createApp builds the singletons once (keys, router, backends); startS3Listener adds the S3 listener and reloads, startS3Bridge the admin listener too.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { KeyStore } from './auth/keys.js';
import { ByteBudget } from './body/budget.js';
import type { ClientConfig, Config } from './config/schema.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics, disabledMetrics, type Metrics } from './metrics.js';
import { handleRequest, recordRequest } from './proxy.js';
import { createContext } from './context.js';
import { globToRegExp, Router } from './route/router.js';
import type { ParseOptions } from './parse/request.js';
import { closeBackends, createBackend, type Backend, type EmbeddedEndpoint } from './upstream/backends.js';
import { createAdminServer } from './admin.js';

export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly keys: KeyStore;
  readonly router: Router;
  readonly backends: Map<string, Backend>;
  /** Regions a client may sign for: the configured one, plus us-east-1 and auto that SDKs default to. */
  readonly regions: string[];
  readonly parseOptions: ParseOptions;
  readonly tls: boolean;
  /** Bytes held before verification, across every request (server.maxBufferedBytes). */
  readonly budget: ByteBudget;
  /** The client's bucket allow-list, compiled once. */
  clientBuckets(client: ClientConfig): RegExp[];
}

interface AppParts {
  log: Logger;
  metrics: Metrics;
  backends: Map<string, Backend>;
}

function assembleApp(config: Config, parts: AppParts): App {
  const allowLists = new Map<ClientConfig, RegExp[]>(config.clients.map((c) => [c, c.buckets.map(globToRegExp)]));
  return {
    config,
    ...parts,
    keys: new KeyStore([...config.clients]),
    router: new Router(config.routes),
    regions: [...new Set([config.server.region, 'us-east-1', 'auto'])],
    parseOptions: { virtualHostSuffixes: config.server.virtualHostSuffixes },
    tls: config.server.tls !== undefined,
    budget: new ByteBudget(config.server.maxBufferedBytes),
    clientBuckets: (client) => allowLists.get(client) ?? [],
  };
}

/**
 * Backends for a config; those whose settings did not change are taken over from `previous`
 * (a reload must not restart an embedded store or drop warm connections).
 */
async function buildBackends(
  config: Config,
  log: Logger,
  metrics: Metrics,
  embeddedStores?: ReadonlyMap<string, EmbeddedEndpoint>,
  previous?: App,
): Promise<Map<string, Backend>> {
  const backends = new Map<string, Backend>();
  try {
    for (const cfg of config.backends) {
      const old = previous?.config.backends.find((b) => b.name === cfg.name);
      const reusable = old && JSON.stringify(old) === JSON.stringify(cfg) ? previous!.backends.get(cfg.name) : undefined;
      // An attached embedded store may have been replaced by its owner (a new start, new port and keys).
      const attached = embeddedStores?.get(cfg.name);
      const reuse = attached && reusable && reusable.origin !== new URL(attached.endpoint).origin ? undefined : reusable;
      backends.set(
        cfg.name,
        reuse ??
          (await createBackend(cfg, {
            metrics,
            log,
            embeddedStores,
            onEmbeddedEvent: (e) => (e.event === 'ready' ? log.info('embedded backend ready', e) : log.warn(`embedded backend ${e.event}`, e)),
          })),
      );
    }
  } catch (err) {
    const reused = new Set(previous?.backends.values());
    await closeBackends(new Map([...backends].filter(([, b]) => !reused.has(b))));
    throw err;
  }
  return backends;
}

export interface AppOptions {
  log?: Logger;
  metrics?: Metrics;
  /** Embedded stores started by the cluster primary, to attach to instead of starting them (BackendEvents). */
  embeddedStores?: ReadonlyMap<string, EmbeddedEndpoint>;
}

export async function createApp(config: Config, opts: AppOptions = {}): Promise<App> {
  const log = opts.log ?? createLogger();
  const metrics = opts.metrics ?? (config.admin.metrics ? createMetrics() : disabledMetrics());
  return assembleApp(config, { log, metrics, backends: await buildBackends(config, log, metrics, opts.embeddedStores) });
}

/** What the listeners read on every request: the current App (swapped by reload) and the in-flight count. */
interface Current {
  app: App;
  inflight: number;
}

/**
 * The request in flight on each socket, and what waits behind it. Node hands over a pipelined request while the one
 * ahead of it is in flight; handling them one after another means a request never reaches a backend before the
 * (possibly unsafe) request ahead of it on the same connection has finished (security.md §7).
 */
interface InFlight {
  queued: Array<() => void>;
}
const inFlight = new WeakMap<object, InFlight>();

export function createS3Server(current: Current): Server {
  const onRequest = (expectContinue: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    const app = current.app;
    current.inflight++;
    app.metrics.inflight.inc();
    const ctx = createContext(app, req, res);
    const socket = req.socket;
    const ahead = inFlight.get(socket);
    const mine: InFlight = { queued: [] };
    inFlight.set(socket, mine);
    // One listener per response does all the bookkeeping: cheaper than one per concern on the hot path.
    res.once('close', () => {
      ctx.closed();
      current.inflight--;
      app.metrics.inflight.dec();
      recordRequest(ctx);
      if (inFlight.get(socket) === mine) inFlight.delete(socket);
      for (const next of mine.queued) next();
    });
    const run = () =>
      void handleRequest(ctx, expectContinue).catch((err: unknown) => {
        // handleRequest answers every error itself; reaching here is a bug, which must not take the process down.
        app.log.error('unexpected failure in request handling', { error: (err as Error)?.stack ?? String(err) });
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    if (ahead) ahead.queued.push(run);
    else run();
  };
  const tls = current.app.config.server.tls;
  const server = tls ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }) : createHttpServer();
  server.on('request', onRequest(false));
  server.on('checkContinue', onRequest(true));
  // S3 ignores an Expect it does not know (`Expect: 200`, an empty one); Node would answer 417 by itself.
  server.on('checkExpectation', onRequest(false));
  // Uploads can be slow; Node's default 5-minute request timeout would cut them off.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  // Longer than clients keep idle connections (SDKs, load balancers ~60 s): a client that reuses a
  // connection we had just closed gets "socket hang up" (seen with the aws CLI and the JS SDK at 5 s).
  server.keepAliveTimeout = 65_000;
  return server as Server;
}

/** What a reload changed, for the caller to log (one line per reload, also across cluster workers). */
export interface ReloadSummary {
  backends: string[];
  /** Backends that left the config; they close after shutdownGraceSeconds. */
  closing: string[];
  /** Changed settings that only a restart applies (listener addresses, TLS, the admin listener). */
  needsRestart: string[];
}

/** The S3 listener and the App behind it: all a cluster worker runs (its primary serves the admin listener). */
export interface S3Listener {
  readonly app: App;
  readonly inflight: number;
  s3Server: Server;
  s3Url: string;
  /** Applies a new config; listener addresses and TLS stay as they were (restart to change them). */
  reload(config: Config, opts?: Pick<AppOptions, 'embeddedStores'>): Promise<ReloadSummary>;
  /** Stops accepting, lets in-flight requests finish within graceMs, then closes the backends. */
  close(graceMs?: number): Promise<void>;
}

export interface RunningBridge extends S3Listener {
  adminServer: Server;
  adminUrl: string;
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function urlOf(proto: string, a: AddressInfo): string {
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `${proto}://${host}:${a.port}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startS3Listener(config: Config, opts: AppOptions = {}): Promise<S3Listener> {
  const current: Current = { app: await createApp(config, opts), inflight: 0 };
  const s3Server = createS3Server(current);
  const retired: Array<Map<string, Backend>> = [];
  let s3Addr: AddressInfo;
  try {
    s3Addr = await listen(s3Server, config.server.host, config.server.port);
  } catch (err) {
    await closeBackends(current.app.backends);
    throw err;
  }
  return {
    get app() {
      return current.app;
    },
    get inflight() {
      return current.inflight;
    },
    s3Server,
    s3Url: urlOf(current.app.tls ? 'https' : 'http', s3Addr),
    async reload(next, reloadOpts = {}) {
      const previous = current.app;
      const backends = await buildBackends(next, previous.log, previous.metrics, reloadOpts.embeddedStores, previous);
      current.app = assembleApp(next, { log: previous.log, metrics: previous.metrics, backends });
      // Backends that left the config close once the requests still using them had time to finish.
      const kept = new Set(backends.values());
      const gone = new Map([...previous.backends].filter(([, b]) => !kept.has(b)));
      if (gone.size) {
        retired.push(gone);
        const timer = setTimeout(() => void closeBackends(gone), next.server.shutdownGraceSeconds * 1000);
        timer.unref();
      }
      const ignored = ['host', 'port', 'tls'].filter(
        (k) => JSON.stringify((previous.config.server as Record<string, unknown>)[k]) !== JSON.stringify((next.server as Record<string, unknown>)[k]),
      );
      if (JSON.stringify(previous.config.admin) !== JSON.stringify(next.admin)) ignored.push('admin');
      return { backends: [...backends.keys()], closing: [...gone.keys()], needsRestart: ignored.map((k) => (k === 'admin' ? 'admin' : `server.${k}`)) };
    },
    async close(graceMs = current.app.config.server.shutdownGraceSeconds * 1000) {
      const closed = new Promise<void>((resolve) => s3Server.close(() => resolve()));
      s3Server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (current.inflight > 0 && Date.now() < deadline) await sleep(50);
      s3Server.closeAllConnections();
      await closed;
      await closeBackends(current.app.backends);
      await Promise.all(retired.map((gone) => closeBackends(gone)));
    },
  };
}

/** The whole proxy in one process: the S3 listener and the admin listener (workers: 1, and the test helper). */
export async function startS3Bridge(config: Config, opts: AppOptions = {}): Promise<RunningBridge> {
  const listener = await startS3Listener(config, opts);
  const adminServer = createAdminServer({
    get backends() {
      return listener.app.backends;
    },
    get metrics() {
      return listener.app.metrics;
    },
  });
  let adminAddr: AddressInfo;
  try {
    adminAddr = await listen(adminServer, config.admin.host, config.admin.port);
  } catch (err) {
    adminServer.close();
    await listener.close(0);
    throw err;
  }
  return {
    get app() {
      return listener.app;
    },
    get inflight() {
      return listener.inflight;
    },
    s3Server: listener.s3Server,
    s3Url: listener.s3Url,
    adminServer,
    adminUrl: urlOf('http', adminAddr),
    reload: (next, reloadOpts) => listener.reload(next, reloadOpts),
    async close(graceMs) {
      await listener.close(graceMs);
      await new Promise<void>((resolve) => adminServer.close(() => resolve()));
      adminServer.closeAllConnections();
    },
  };
}
