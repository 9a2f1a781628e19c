// Re-signing proven against a real server that checks signatures: moto in auth mode.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';

let moto: MotoServer;
let bridge: TestBridge;
let s3: S3Client;

beforeAll(async () => {
  moto = await startMoto({ auth: true, env: { S3_UPLOAD_PART_MIN_SIZE: '1' } });
  bridge = await startBridge({
    backends: [remoteBackend('checked', moto), remoteBackend('wrong-secret', { ...moto, secretAccessKey: 'not-the-secret' })],
    routes: [
      { bucket: 'bad-*', backend: 'wrong-secret' },
      { bucket: 'alias', backend: 'checked', backendBucket: 'real-bucket' },
      { bucket: '*', backend: 'checked' },
    ],
  });
  s3 = bridge.client(undefined, undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' });
}, 60_000);

afterAll(async () => {
  await bridge?.close(1000);
  await moto?.stop();
});

describe('moto with signature checking on', () => {
  it('accepts every re-signed request: bucket, put, get, list, multipart', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'signed' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'alias' }));
    await s3.send(new PutObjectCommand({ Bucket: 'signed', Key: 'plain-key.txt', Body: 'hello', Metadata: { a: 'b' } }));
    await s3.send(new PutObjectCommand({ Bucket: 'alias', Key: 'k', Body: 'aliased' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'signed', Key: 'plain-key.txt', Range: 'bytes=1-3' }));
    expect(await got.Body!.transformToString()).toBe('ell');
    const list = await s3.send(new ListObjectsV2Command({ Bucket: 'alias', MaxKeys: 10 }));
    expect(list.Name).toBe('alias');
    expect(list.Contents?.map((o) => o.Key)).toEqual(['k']);
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'signed', Key: 'mp' }));
    const part = await s3.send(new UploadPartCommand({ Bucket: 'signed', Key: 'mp', UploadId: up.UploadId, PartNumber: 1, Body: 'part-one' }));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'signed',
        Key: 'mp',
        UploadId: up.UploadId,
        MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
      }),
    );
  });

  it("passes the backend's own refusal through when s3bridge holds the wrong backend secret", async () => {
    const err = await s3.send(new PutObjectCommand({ Bucket: 'bad-bucket', Key: 'k', Body: 'x' })).catch((e) => e);
    expect(err.name).toBe('SignatureDoesNotMatch');
    expect(err.$metadata.httpStatusCode).toBe(403);
  });
});
