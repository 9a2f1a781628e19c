// postinstall: fixes undici 7's HTTP/1 parser crash when a backend closes the connection while a
// response body is paused by backpressure (nodejs/undici#5360, fixed upstream only in undici 8,
// which needs Node 22). Without it, `assert(!this.paused)` in Parser.finish() throws from the
// socket 'end' handler and takes the whole process down. Regression test:
// test/integration/undici-paused-parser-end.test.ts.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// The undici s3bridge itself resolves, wherever npm placed it.
let file;
try {
  file = join(dirname(createRequire(import.meta.url).resolve('undici/package.json')), 'lib/dispatcher/client-h1.js');
} catch {
  process.exit(0); // not installed yet (e.g. a partial install); nothing to patch
}
const MARKER = '[s3bridge patch: paused parser on socket end]';
const ORIGINAL = `    assert(this.ptr != null)
    assert(!this.paused)

    const { llhttp } = this
`;
const PATCHED = `    assert(this.ptr != null)

    // ${MARKER}
    // Backpressure paused the parser and the peer then closed the socket: run the rest of the
    // response through it (the body stream buffers it; backpressure here is advisory) so a
    // complete response completes and a truncated one fails, instead of asserting.
    for (let guard = 0; this.paused && this.statusCode && this.ptr && guard < 1e6; guard++) {
      this.llhttp.llhttp_resume(this.ptr)
      this.paused = false
      this.execute(this.socket.read() || EMPTY_BUF)
    }
    if (!this.ptr || !this.statusCode) {
      return null
    }
    assert(!this.paused)

    const { llhttp } = this
`;

if (!existsSync(file)) process.exit(0);
const source = readFileSync(file, 'utf8');
if (source.includes(MARKER)) process.exit(0);
const at = source.indexOf('  finish () {');
const idx = at < 0 ? -1 : source.indexOf(ORIGINAL, at);
if (idx < 0 || idx - at > 200) {
  process.stderr.write('s3bridge: undici Parser.finish() has changed; the paused-parser patch was not applied (check nodejs/undici#5360)\n');
  process.exit(0);
}
writeFileSync(file, source.slice(0, idx) + PATCHED + source.slice(idx + ORIGINAL.length));
