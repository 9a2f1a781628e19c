// Benchmark yardstick: a minimal pass-through proxy on the `http-proxy` package (no SigV4, no routing, no metrics),
// measured beside the node:http pipe proxy (pipe-proxy.js); it once decided that s3bridge forwards on node:http
// rather than undici (docs/design.md, "http-proxy vs undici"). Same CLI and config file as s3bridge:
//   node bench/lib/http-proxy-proxy.js --config FILE   (forwards everything to backends[0].endpoint)
import { readFileSync } from 'node:fs';
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';
import { parse } from 'yaml';

const i = process.argv.indexOf('--config');
if (i < 0 || !process.argv[i + 1]) {
  process.stderr.write('usage: http-proxy-proxy.js --config FILE\n');
  process.exit(2);
}
const config = parse(readFileSync(process.argv[i + 1], 'utf8'));
const backend = config.backends[0];
// Keep-alive towards the origin, as the pipe proxy does; without an agent http-proxy opens a connection per request.
const agent = new Agent({ keepAlive: true, maxSockets: backend.maxConnections ?? 64, keepAliveMsecs: 60_000 });
// changeOrigin: Host becomes the upstream's own (the origin checks no signature).
const proxy = httpProxy.createProxyServer({ target: backend.endpoint, agent, changeOrigin: true, xfwd: false, proxyTimeout: 0 });
proxy.on('error', (_err, _req, res) => {
  if (res.headersSent || typeof res.writeHead !== 'function') {
    res.destroy?.();
    return;
  }
  res.writeHead(502, { 'content-type': 'application/xml' });
  res.end('<Error><Code>InternalError</Code></Error>');
});

const server = createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 65_000;
server.requestTimeout = 0;
server.listen(config.server?.port ?? 8080, config.server?.host ?? '127.0.0.1');

const admin = createServer((req, res) => {
  res.writeHead(req.url === '/healthz' || req.url === '/readyz' ? 200 : 404, { 'content-type': 'text/plain' });
  res.end('ok\n');
});
admin.listen(config.admin?.port ?? 9090, config.admin?.host ?? '127.0.0.1');

const shutdown = () => {
  server.close();
  admin.close();
  server.closeAllConnections();
  agent.destroy();
  proxy.close();
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
