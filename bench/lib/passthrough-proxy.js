// Benchmark baseline: the minimal undici pass-through proxy (no SigV4, no routing, no metrics) that s3bridge is compared
// with, and the stand-in the harness runs when dist/main.js is not there. Same CLI and config file as s3bridge:
//   node bench/lib/passthrough-proxy.js --config FILE   (forwards everything to backends[0].endpoint)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';
import { parse } from 'yaml';

const i = process.argv.indexOf('--config');
if (i < 0 || !process.argv[i + 1]) {
  process.stderr.write('usage: passthrough-proxy.js --config FILE\n');
  process.exit(2);
}
const config = parse(readFileSync(process.argv[i + 1], 'utf8'));
const backend = config.backends[0];
const pool = new Pool(backend.endpoint, {
  connections: backend.maxConnections ?? 64, keepAliveTimeout: 60_000, headersTimeout: 0, bodyTimeout: 0,
});

// RFC 9110 §7.6.1: connection-specific fields are not forwarded; host is the upstream's own.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'expect']);

function forwardable(headers) {
  const out = {};
  for (const k in headers) if (!HOP_BY_HOP.has(k)) out[k] = headers[k];
  return out;
}

const server = createServer((req, res) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  pool.request({ path: req.url, method: req.method, headers: forwardable(req.headers), body: hasBody ? req : null }, (err, up) => {
    if (err) {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/xml' });
        res.end('<Error><Code>InternalError</Code></Error>');
      } else res.destroy();
      return;
    }
    res.writeHead(up.statusCode, forwardable(up.headers));
    pipeline(up.body, res, () => undefined);
  });
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
  pool.close().finally(() => process.exit(0));
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
