// Regression (nodejs/undici#5360): a backend closing the connection while our response body is paused by
// backpressure crashed the process (assert(!this.paused)); scripts/patch-undici.mjs fixes undici 7.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:net';
import { Pool } from 'undici';

const BODY = Buffer.alloc(64 * 1024, 0x61); // one socket read, exactly the body stream's high-water mark: the parser pauses on the last byte
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((sock) => {
    sock.once('data', (req) => {
      const truncated = req.toString().startsWith('GET /truncated');
      sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\nConnection: close\r\n\r\n`);
      sock.end(truncated ? BODY.subarray(0, BODY.length / 2) : BODY); // then FIN
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function readLater(path: string): Promise<Buffer> {
  const pool = new Pool(url);
  try {
    const res = await pool.request({ method: 'GET', path });
    // Nobody reads for a while: the parser pauses under backpressure and the server's FIN arrives (the delay is the point).
    await new Promise((r) => setTimeout(r, 300));
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  } finally {
    await pool.destroy();
  }
}

describe('undici paused parser on socket end', () => {
  it('a complete response read late completes (no crash)', async () => {
    for (let i = 0; i < 5; i++) expect((await readLater('/complete')).equals(BODY)).toBe(true);
  });

  it('a truncated response read late fails, never a short success', async () => {
    await expect(readLater('/truncated')).rejects.toMatchObject({ code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' });
  });
});
