// Regression: every passthrough response added an 11th 'close' listener, and Node wrote a MaxListenersExceededWarning
// with its stack trace to stderr for each response (a log flood, and measurable CPU on small requests).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';

let rec: RecordingBackend;
let bridge: TestBridge;
const warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);

beforeAll(async () => {
  rec = await startRecordingBackend({ accessKeyId: 'rec', secretAccessKey: 'rec-secret' });
  bridge = await startBridge({
    backends: [remoteBackend('rec', { endpoint: rec.endpoint, accessKeyId: 'rec', secretAccessKey: 'rec-secret' })],
    routes: [{ bucket: '*', backend: 'rec' }],
  });
  process.on('warning', onWarning);
});

afterAll(async () => {
  process.off('warning', onWarning);
  await bridge?.close(0);
  await rec?.stop();
});

describe('responses', () => {
  it('PUT and GET through the passthrough raise no MaxListenersExceededWarning', async () => {
    const s3 = bridge.client();
    const body = randomBytes(4096);
    await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: body }));
    for (let i = 0; i < 3; i++) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    }
    s3.destroy();
    // Warnings are emitted on the next tick after the listener was added: one more turn before looking.
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
  });
});
