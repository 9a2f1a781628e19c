// Benchmark yardstick: s3rver 3.7.1 (the embedded backend of s3bridge ≤ 0.1) in its own process on a temp folder,
// so the embedded store can be compared with what it replaced. Prints {"url"} on stdout once listening.
// Usage: node bench/lib/s3rver-server.js --dir DIR
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const { values } = parseArgs({ options: { dir: { type: 'string' } } });
if (!values.dir) {
  console.error('usage: s3rver-server.js --dir DIR');
  process.exit(2);
}
// Only the timed GET/PUT paths are used: no listings, so s3rver's failing truncated listings on Node ≥ 17 (it needs
// OpenSSL's legacy provider for them) do not matter here.
const server = new S3rver({ address: '127.0.0.1', port: 0, directory: values.dir, silent: true, vhostBuckets: false });
const { port } = await server.run();
console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
