// createApp builds the singletons once (keys, router, backends); startS3Bridge adds the S3 and admin listeners.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { KeyStore } from './auth/keys.js';
import type { ClientConfig, Config } from './config/schema.js';
import { createLogger, type Logger } from './log.js';
import { handleRequest } from './proxy.js';
import { globToRegExp, Router } from './routing/router.js';
import type { ParseOptions } from './s3/request.js';
import { closeBackends, createBackends, type Backend } from './upstream/backends.js';
import { createAdminServer } from './admin.js';

export interface App {
  readonly config: Config;
  readonly log: Logger;
  readonly keys: KeyStore;
  readonly router: Router;
  readonly backends: Map<string, Backend>;
  /** Regions a client may sign for: the configured one, plus us-east-1 and auto that SDKs default to. */
  readonly regions: string[];
  readonly parseOptions: ParseOptions;
  readonly tls: boolean;
  /** The client's bucket allow-list, compiled once. */
  clientBuckets(client: ClientConfig): RegExp[];
  inflight: number;
}

export async function createApp(config: Config, opts: { log?: Logger } = {}): Promise<App> {
  const log = opts.log ?? createLogger();
  const backends = await createBackends(config, {
    onEmbeddedEvent: (e) => (e.event === 'ready' ? log.info('embedded backend ready', e) : log.warn(`embedded backend ${e.event}`, e)),
  });
  const allowLists = new Map<ClientConfig, RegExp[]>(config.clients.map((c) => [c, c.buckets.map(globToRegExp)]));
  return {
    config,
    log,
    keys: new KeyStore([...config.clients]),
    router: new Router(config.routes),
    backends,
    regions: [...new Set([config.server.region, 'us-east-1', 'auto'])],
    parseOptions: { virtualHostSuffixes: config.server.virtualHostSuffixes },
    tls: config.server.tls !== undefined,
    clientBuckets: (client) => allowLists.get(client) ?? [],
    inflight: 0,
  };
}

export function createS3Server(app: App): Server {
  const onRequest = (expectContinue: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    app.inflight++;
    res.once('close', () => app.inflight--);
    void handleRequest(app, req, res, expectContinue);
  };
  const tls = app.config.server.tls;
  const server = tls
    ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) })
    : createHttpServer();
  server.on('request', onRequest(false));
  server.on('checkContinue', onRequest(true));
  // Uploads can be slow; Node's default 5-minute request timeout would cut them off.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server as Server;
}

export interface RunningBridge {
  app: App;
  s3Server: Server;
  adminServer: Server;
  s3Url: string;
  adminUrl: string;
  close(graceMs?: number): Promise<void>;
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

export async function startS3Bridge(config: Config, opts: { log?: Logger } = {}): Promise<RunningBridge> {
  const app = await createApp(config, opts);
  const s3Server = createS3Server(app);
  const adminServer = createAdminServer(app);
  try {
    const s3Addr = await listen(s3Server, config.server.host, config.server.port);
    const adminAddr = await listen(adminServer, config.admin.host, config.admin.port);
    const bridge: RunningBridge = {
      app,
      s3Server,
      adminServer,
      s3Url: urlOf(app.tls ? 'https' : 'http', s3Addr),
      adminUrl: urlOf('http', adminAddr),
      async close(graceMs = config.server.shutdownGraceSeconds * 1000) {
        const closed = new Promise<void>((resolve) => s3Server.close(() => resolve()));
        s3Server.closeIdleConnections();
        const deadline = Date.now() + graceMs;
        while (app.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        s3Server.closeAllConnections();
        await closed;
        await new Promise<void>((resolve) => adminServer.close(() => resolve()));
        adminServer.closeAllConnections();
        await closeBackends(app.backends);
      },
    };
    return bridge;
  } catch (err) {
    s3Server.close();
    adminServer.close();
    await closeBackends(app.backends);
    throw err;
  }
}
