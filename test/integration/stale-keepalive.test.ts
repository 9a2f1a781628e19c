// Regression: a backend that closes a kept-alive connection just as s3bridge reuses it must not fail a
// bodiless request (node:http's reusedSocket race: retried once on a fresh connection).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';

let server: Server;
let bridge: TestBridge;
let connections = 0;

beforeAll(async () => {
  // Answers the first request of each connection (keep-alive, no timeout hint), then resets the
  // connection when a second request arrives on it.
  server = createServer((sock: Socket) => {
    connections++;
    let requests = 0;
    sock.on('data', () => {
      requests++;
      if (requests > 1) {
        sock.resetAndDestroy();
        return;
      }
      sock.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nETag: "x"\r\nConnection: keep-alive\r\n\r\nok');
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  bridge = await startBridge({
    backends: [remoteBackend('flaky', { endpoint, accessKeyId: 'a', secretAccessKey: 'b' })],
    routes: [{ bucket: '*', backend: 'flaky' }],
  });
});

afterAll(async () => {
  await bridge?.close(100);
  await new Promise((r) => server.close(r));
});

describe('stale kept-alive backend connections', () => {
  it('a GET that meets a connection the backend just closed is retried once on a fresh one', async () => {
    const s3 = bridge.client();
    for (let i = 0; i < 3; i++) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: `k${i}` }));
      expect(await got.Body!.transformToString()).toBe('ok');
    }
    expect(connections).toBeGreaterThanOrEqual(3);
  });
});
