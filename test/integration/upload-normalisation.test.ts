// What each backend receives for an SDK-default upload: plain bytes by default, re-framed aws-chunked where capabilities.awsChunked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createAwsChunkedDecoder } from '../../src/body/chunked.js';
import { createChecksum } from '../../src/s3/checksums.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { startRecordingBackend, type RecordingBackend, type RecordedRequest } from '../helpers/recording-backend.js';
import { runStage } from '../helpers/aws-chunked-encode.js';
import { remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';

let rec: RecordingBackend;
let moto: MotoServer;
let bridge: TestBridge;
let sdk: S3Client; // SDK defaults: streams go aws-chunked with a CRC32 trailer

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const crc32 = (b: Buffer) => {
  const c = createChecksum('CRC32');
  c.update(b);
  return c.digestBase64();
};

beforeAll(async () => {
  rec = await startRecordingBackend({ accessKeyId: 'rec', secretAccessKey: 'rec-secret', keepBodies: true });
  moto = await startMoto();
  const recCreds = { endpoint: rec.endpoint, accessKeyId: 'rec', secretAccessKey: 'rec-secret' };
  bridge = await startBridge({
    backends: [
      remoteBackend('plain', recCreds),
      remoteBackend('chunked', recCreds, { capabilities: { awsChunked: true } }),
      remoteBackend('moto-chunked', moto, { capabilities: { awsChunked: true } }),
    ],
    routes: [
      { bucket: 'p-*', backend: 'plain' },
      { bucket: 'c-*', backend: 'chunked' },
      { bucket: 'm-*', backend: 'moto-chunked' },
    ],
  });
  sdk = bridge.client();
  await bridge.client(undefined, undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' }).send(new CreateBucketCommand({ Bucket: 'm-data' }));
}, 60_000);

afterAll(async () => {
  await bridge?.close(1000);
  await rec?.stop();
  await moto?.stop();
});

function lastPut(prefix: string): RecordedRequest {
  const r = rec.requests.filter((q) => q.method === 'PUT' && q.url.startsWith(prefix)).at(-1);
  expect(r).toBeDefined();
  return r!;
}

const streamOf = (data: Buffer) => Readable.from([data.subarray(0, 1000), data.subarray(1000)]);

describe('upload normalisation per backend', () => {
  it('default: the backend gets plain bytes, Content-Length = decoded length, UNSIGNED-PAYLOAD, no framing headers', async () => {
    const data = randomBytes(70_000);
    await sdk.send(new PutObjectCommand({ Bucket: 'p-data', Key: 'stream', Body: streamOf(data), ContentLength: data.length }));
    const r = lastPut('/p-data/stream');
    await r.done;
    expect(r.auth.ok).toBe(true);
    expect(r.bodySha256).toBe(sha(data));
    expect(r.headers['content-length']).toBe(String(data.length));
    expect(r.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
    for (const h of ['content-encoding', 'x-amz-trailer', 'x-amz-decoded-content-length', 'x-amz-sdk-checksum-algorithm', 'x-amz-checksum-crc32']) {
      expect(r.headers[h]).toBeUndefined();
    }
  });

  it('a checksum the client sent as a header goes to the backend as that header; none is added', async () => {
    const data = Buffer.from('a buffer body');
    await sdk.send(new PutObjectCommand({ Bucket: 'p-data', Key: 'buffer', Body: data }));
    const r = lastPut('/p-data/buffer');
    expect(r.headers['x-amz-checksum-crc32']).toBe(crc32(data));
    const noChecksum = bridge.client(undefined, undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    await noChecksum.send(new PutObjectCommand({ Bucket: 'p-data', Key: 'plain', Body: data }));
    expect(Object.keys(lastPut('/p-data/plain').headers).filter((h) => h.startsWith('x-amz-checksum'))).toEqual([]);
  });

  it('capabilities.awsChunked: the backend gets unsigned-trailer framing with the verified checksum re-attached', async () => {
    const data = randomBytes(50_000);
    await sdk.send(new PutObjectCommand({ Bucket: 'c-data', Key: 'framed', Body: streamOf(data), ContentLength: data.length }));
    const r = lastPut('/c-data/framed');
    await r.done;
    expect(r.auth.ok).toBe(true);
    expect(r.headers).toMatchObject({
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'x-amz-decoded-content-length': String(data.length),
      'x-amz-trailer': 'x-amz-checksum-crc32',
    });
    const decoder = createAwsChunkedDecoder({ mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', decodedLength: data.length, trailer: 'x-amz-checksum-crc32' });
    const out = await runStage(decoder, [r.body!]);
    expect(out.error).toBeUndefined();
    expect(sha(out.output)).toBe(sha(data));
    expect(decoder.trailers['x-amz-checksum-crc32']).toBe(crc32(data));
  });

  it('capabilities.awsChunked against moto: the object reads back byte-exact', async () => {
    const data = randomBytes(300_000);
    await sdk.send(new PutObjectCommand({ Bucket: 'm-data', Key: 'framed', Body: streamOf(data), ContentLength: data.length }));
    const got = await sdk.send(new GetObjectCommand({ Bucket: 'm-data', Key: 'framed' }));
    expect(sha(await got.Body!.transformToByteArray())).toBe(sha(data));
  });

  it('a wrong header checksum is BadDigest and the backend never completes the upload', async () => {
    const data = randomBytes(10_000);
    const err = await sdk
      .send(new PutObjectCommand({ Bucket: 'p-data', Key: 'bad-crc', Body: data, ChecksumCRC32: crc32(Buffer.from('other')) }))
      .catch((e) => e);
    expect(err.name).toBe('BadDigest');
    expect(err.$metadata.httpStatusCode).toBe(400);
    const r = rec.requests.filter((q) => q.url.startsWith('/p-data/bad-crc')).at(-1);
    if (r) {
      await r.done;
      expect(r.completed).toBe(false);
    }
    expect(rec.objects.has('p-data/bad-crc')).toBe(false);
  });
});
