// Benchmark yardstick: a bare node:http pipe proxy (no SigV4, no routing, no metrics, no log): what forwarding alone
// costs in Node, the floor under s3bridge's per-request and per-byte cost. Also the stand-in the harness runs when
// dist/main.js is not there (--proxy pipe|auto). Same CLI and config file as s3bridge:
//   node bench/lib/pipe-proxy.js --config FILE   (forwards everything to backends[0].endpoint)
import { readFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { parse } from 'yaml';

const i = process.argv.indexOf('--config');
if (i < 0 || !process.argv[i + 1]) {
  process.stderr.write('usage: pipe-proxy.js --config FILE\n');
  process.exit(2);
}
const config = parse(readFileSync(process.argv[i + 1], 'utf8'));
const origin = new URL(config.backends[0].endpoint);
// Keep-alive towards the origin, LIFO like s3bridge's backend agents.
const maxSockets = config.backends[0].maxConnections ?? 64;
const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });

// RFC 9110 §7.6.1: connection-specific fields are not forwarded; host is left to the client's (the origin checks nothing).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect']);

function forwardable(headers) {
  const out = {};
  for (const k in headers) if (!HOP_BY_HOP.has(k)) out[k] = headers[k];
  return out;
}

const server = createServer((req, res) => {
  const up = request({ host: origin.hostname, port: origin.port, method: req.method, path: req.url, headers: forwardable(req.headers), agent }, (ur) => {
    res.writeHead(ur.statusCode, forwardable(ur.headers));
    ur.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/xml' }).end('<Error><Code>InternalError</Code></Error>');
    else res.destroy();
  });
  // A client that goes away takes the upstream request with it.
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
});
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
  process.exit(0);
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
