// The whole proxy in front of two moto_server providers and the embedded store, driven by @aws-sdk/client-s3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { request } from 'undici';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { DEMO, remoteBackend, startBridge, tempDir, type TestBridge } from '../helpers/bridge.js';
import { signedHeaders as sign } from '../helpers/sign.js';
import { waitFor } from '../helpers/wait.js';

let motoA: MotoServer;
let motoB: MotoServer;
let bridge: TestBridge;
let s3: S3Client;
let directA: S3Client;
let directB: S3Client;

const direct = (m: MotoServer) =>
  new S3Client({
    endpoint: m.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: m.accessKeyId, secretAccessKey: m.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  [motoA, motoB] = await Promise.all([startMoto({ env: { S3_UPLOAD_PART_MIN_SIZE: '1024' } }), startMoto()]);
  bridge = await startBridge({
    clients: [
      { ...DEMO, buckets: ['*'] },
      { accessKeyId: 'limited', secretAccessKey: 'limited-secret', buckets: ['a-*'] },
      { accessKeyId: 'reader', secretAccessKey: 'reader-secret', readOnly: true },
    ],
    backends: [
      remoteBackend('moto-a', motoA),
      remoteBackend('moto-b', motoB),
      // The same store, declared to keep "." and ".." key segments literal (as AWS S3 does).
      remoteBackend('moto-b-literal', motoB, { capabilities: { literalKeys: true } }),
      { name: 'local', embedded: { dir: tempDir() } },
    ],
    routes: [
      { bucket: 'photos', backend: 'moto-a', backendBucket: 'prod-photos' },
      { bucket: 'a-*', backend: 'moto-a' },
      { bucket: 'b-*', backend: 'moto-b' },
      { bucket: 'k-*', backend: 'moto-b-literal' },
      { bucket: 'l-*', backend: 'local' },
    ],
  });
  s3 = bridge.client(undefined, undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  directA = direct(motoA);
  directB = direct(motoB);
  await directA.send(new CreateBucketCommand({ Bucket: 'prod-photos' }));
  for (const Bucket of ['a-one', 'a-two', 'b-one', 'l-one', 'k-one']) await s3.send(new CreateBucketCommand({ Bucket }));
}, 60_000);

afterAll(async () => {
  await bridge?.close(1000);
  await Promise.all([motoA?.stop(), motoB?.stop()]);
});

describe('object round trips on every backend', () => {
  it.each(['a-one', 'b-one', 'l-one', 'photos'])('put/get/head/range/list/delete on %s', async (Bucket) => {
    const body = randomBytes(100_000);
    const Key = 'dir/sub dir/ünïcode+plus.bin';
    const put = await s3.send(new PutObjectCommand({ Bucket, Key, Body: body, ContentType: 'application/x-test', Metadata: { note: 'hello' } }));
    expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);

    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(sha(await got.Body!.transformToByteArray())).toBe(sha(body));
    expect(got.ContentType).toBe('application/x-test');
    expect(got.Metadata?.note).toBe('hello');

    const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
    expect(head.ContentLength).toBe(body.length);

    const range = await s3.send(new GetObjectCommand({ Bucket, Key, Range: 'bytes=10-19' }));
    expect(Buffer.from(await range.Body!.transformToByteArray())).toEqual(body.subarray(10, 20));

    const list = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'dir/' }));
    expect(list.Name).toBe(Bucket);
    expect(list.Contents?.map((o) => o.Key)).toContain(Key);

    await s3.send(new DeleteObjectCommand({ Bucket, Key }));
    await expect(s3.send(new HeadObjectCommand({ Bucket, Key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('keeps dot segments and double slashes in keys on a backend that takes them literally', async () => {
    const Key = 'a//b/./c/../d';
    await s3.send(new PutObjectCommand({ Bucket: 'k-one', Key, Body: 'dots' }));
    const listed = await directB.send(new ListObjectsV2Command({ Bucket: 'k-one' }));
    expect(listed.Contents?.map((o) => o.Key)).toContain(Key);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'k-one', Key }));
    expect(await got.Body!.transformToString()).toBe('dots');
  });

  it('refuses keys with dot segments elsewhere, and stores nothing', async () => {
    for (const Key of ['a/./b', 'a/../b', '..', 'x/..\\y']) {
      await expect(s3.send(new PutObjectCommand({ Bucket: 'a-one', Key, Body: 'dots' }))).rejects.toMatchObject({
        name: 'InvalidArgument',
        $metadata: { httpStatusCode: 400 },
      });
    }
    const listed = await directA.send(new ListObjectsV2Command({ Bucket: 'a-one' }));
    expect(listed.Contents?.map((o) => o.Key) ?? []).not.toContain('b');
    expect((listed.Contents ?? []).filter((o) => o.Key?.includes('..') || o.Key?.includes('/./'))).toEqual([]);
  });

  it('stores an aliased bucket under its backend name', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'cat.jpg', Body: 'meow' }));
    const got = await directA.send(new GetObjectCommand({ Bucket: 'prod-photos', Key: 'cat.jpg' }));
    expect(await got.Body!.transformToString()).toBe('meow');
  });

  it('maps the backend bucket name back in error documents of an aliased bucket', async () => {
    const res = await request(`${bridge.s3Url}/photos/missing-key`, { method: 'GET', headers: await signedHeaders('GET', '/photos/missing-key') });
    const text = await res.body.text();
    expect(res.statusCode).toBe(404);
    expect(text).toContain('<Code>NoSuchKey</Code>');
    expect(text).not.toContain('prod-photos');
  });
});

describe('multipart upload', () => {
  it('uploads, completes and reads back parts; Location and Bucket name the client-visible bucket', async () => {
    const Bucket = 'photos';
    const Key = 'multi/part.bin';
    const parts = [randomBytes(5 * 1024 * 1024), randomBytes(1234)];
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    expect(created.Bucket).toBe('photos');
    const etags: string[] = [];
    for (const [i, Body] of parts.entries()) {
      const r = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId: created.UploadId, PartNumber: i + 1, Body }));
      etags.push(r.ETag!);
    }
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId: created.UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    expect(done.Bucket).toBe('photos');
    expect(done.Location).toContain(`${bridge.s3Url}/photos/multi/part.bin`);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(sha(await got.Body!.transformToByteArray())).toBe(sha(Buffer.concat(parts)));
  });

  it('aborts an upload', async () => {
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'b-one', Key: 'aborted' }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'b-one', Key: 'aborted', UploadId: created.UploadId }));
  });
});

describe('presigned URLs', () => {
  it('GET and PUT through presigned URLs', async () => {
    const presigner = bridge.client(undefined, undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' });
    const putUrl = await getSignedUrl(presigner, new PutObjectCommand({ Bucket: 'b-one', Key: 'presigned.txt' }), { expiresIn: 300 });
    const put = await request(putUrl, { method: 'PUT', body: 'via presigned put' });
    expect(put.statusCode).toBe(200);
    await put.body.dump();
    const getUrl = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: 'b-one', Key: 'presigned.txt' }), { expiresIn: 300 });
    const get = await request(getUrl);
    expect(get.statusCode).toBe(200);
    expect(await get.body.text()).toBe('via presigned put');
  });

  it('rejects an expired presigned URL with AccessDenied', async () => {
    const presigner = bridge.client();
    const url = await getSignedUrl(presigner, new GetObjectCommand({ Bucket: 'b-one', Key: 'presigned.txt' }), {
      expiresIn: 1,
      signingDate: new Date(Date.now() - 60_000),
    });
    const res = await request(url);
    expect(res.statusCode).toBe(403);
    const text = await res.body.text();
    expect(text).toContain('<Code>AccessDenied</Code>');
    expect(text).toContain('Request has expired');
  });
});

describe('ListBuckets', () => {
  it('merges every backend under client-visible names, filtered by the allow-list', async () => {
    const all = await s3.send(new ListBucketsCommand({}));
    const names = all.Buckets!.map((b) => b.Name);
    expect(names).toEqual(expect.arrayContaining(['a-one', 'a-two', 'b-one', 'l-one', 'photos']));
    expect(names).not.toContain('prod-photos');
    const limited = await bridge.client('limited', 'limited-secret').send(new ListBucketsCommand({}));
    expect(limited.Buckets!.map((b) => b.Name).sort()).toEqual(['a-one', 'a-two']);
  });
});

describe('native copy on one backend', () => {
  it('copies from an aliased bucket to another bucket on the same backend', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'src.txt', Body: 'copy me' }));
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'a-two', Key: 'dst.txt', CopySource: 'photos/src.txt' }));
    expect(r.CopyObjectResult?.ETag).toBe(`"${createHash('md5').update('copy me').digest('hex')}"`);
    const got = await directA.send(new GetObjectCommand({ Bucket: 'a-two', Key: 'dst.txt' }));
    expect(await got.Body!.transformToString()).toBe('copy me');
  });
});

describe('authorization', () => {
  it('refuses a bucket outside the client allow-list', async () => {
    const limited = bridge.client('limited', 'limited-secret', { requestChecksumCalculation: 'WHEN_REQUIRED' });
    await expect(limited.send(new PutObjectCommand({ Bucket: 'b-one', Key: 'x', Body: 'x' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await limited.send(new PutObjectCommand({ Bucket: 'a-one', Key: 'limited-ok', Body: 'x' }));
  });

  it('refuses a write with a read-only key but allows reads', async () => {
    const reader = bridge.client('reader', 'reader-secret', { requestChecksumCalculation: 'WHEN_REQUIRED' });
    await expect(reader.send(new PutObjectCommand({ Bucket: 'b-one', Key: 'ro', Body: 'x' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(reader.send(new DeleteObjectCommand({ Bucket: 'b-one', Key: 'presigned.txt' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    const got = await reader.send(new GetObjectCommand({ Bucket: 'b-one', Key: 'presigned.txt' }));
    expect(await got.Body!.transformToString()).toBe('via presigned put');
    const head = await directB.send(new HeadObjectCommand({ Bucket: 'b-one', Key: 'presigned.txt' }));
    expect(head.ContentLength).toBeGreaterThan(0);
  });

  it('answers NoSuchBucket for a bucket no route covers', async () => {
    await expect(s3.send(new GetObjectCommand({ Bucket: 'unrouted', Key: 'x' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('answers SignatureDoesNotMatch for a wrong secret and InvalidAccessKeyId for an unknown key', async () => {
    await expect(bridge.client('demo', 'wrong-secret').send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(bridge.client('nobody', 'x').send(new ListBucketsCommand({}))).rejects.toMatchObject({
      name: 'InvalidAccessKeyId',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it('answers RequestTimeTooSkewed for a clock 20 minutes off', async () => {
    const skewed = bridge.client(undefined, undefined, { systemClockOffset: -20 * 60_000 });
    await expect(skewed.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'RequestTimeTooSkewed', $metadata: { httpStatusCode: 403 } });
  });
});

/** Headers of a request signed by the SDK's own signer, for raw requests. */
async function signedHeaders(method: string, path: string, body?: string, hash?: string): Promise<Record<string, string>> {
  const payloadHash =
    hash ??
    createHash('sha256')
      .update(body ?? '')
      .digest('hex');
  return sign(bridge.s3Url, {
    method,
    path,
    headers: { 'x-amz-content-sha256': payloadHash, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
  });
}

describe('bad input', () => {
  it('a body that does not match x-amz-content-sha256 is refused and never stored', async () => {
    const headers = await signedHeaders('PUT', '/b-one/bad-hash', 'actual body', sha(Buffer.from('another body')));
    const res = await request(`${bridge.s3Url}/b-one/bad-hash`, { method: 'PUT', headers, body: 'actual body' });
    expect(res.statusCode).toBe(400);
    expect(await res.body.text()).toContain('<Code>XAmzContentSHA256Mismatch</Code>');
    await expect(directB.send(new HeadObjectCommand({ Bucket: 'b-one', Key: 'bad-hash' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it.each([
    ['AWS4-HMAC-SHA256 Credential=demo/2024', 'AuthorizationHeaderMalformed', 400],
    // SigV2 is accepted (server.signatureV2 defaults to true): this one is dated 2026-01-01.
    ['AWS demo:c2lnbmF0dXJl', 'RequestTimeTooSkewed', 403],
  ])('Authorization "%s" → %s', async (authorization, code, status) => {
    const res = await request(`${bridge.s3Url}/b-one/x`, {
      headers: { authorization, 'x-amz-date': '20260101T000000Z', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(res.statusCode).toBe(status);
    const text = await res.body.text();
    expect(text).toContain(`<Code>${code}</Code>`);
    expect(res.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    expect(text).toContain(`<RequestId>${res.headers['x-amz-request-id']}</RequestId>`);
  });

  it.each(['/b-one/%zz', '/b-one/%E2%82', '/Bad%20Bucket/x'])('malformed path %s gets a 400, not a 500', async (path) => {
    const res = await request(`${bridge.s3Url}${path}`);
    expect(res.statusCode).toBe(400);
    expect(await res.body.text()).toMatch(/<Code>(InvalidURI|InvalidBucketName)<\/Code>/);
  });

  it.each([1024, 1024 * 1024, 8 * 1024 * 1024])(
    "a backend's early answer to an upload of %i bytes reaches the client (the embedded store refuses an SSE-C algorithm other than AES256 before reading the body)",
    async (size) => {
      const key = randomBytes(32);
      const err = await s3
        .send(
          new PutObjectCommand({
            Bucket: 'l-one',
            Key: 'ssec',
            Body: Buffer.alloc(size, 1),
            SSECustomerAlgorithm: 'AES128',
            SSECustomerKey: key.toString('base64'),
            SSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
          }),
        )
        .then(
          () => undefined,
          (e: { name?: string; $metadata?: { httpStatusCode?: number } }) => e,
        );
      expect([err?.name, err?.$metadata?.httpStatusCode]).toEqual(['InvalidEncryptionAlgorithmError', 400]);
    },
  );

  it("a backend's early answer before the client's body arrived closes the connection, so a client that stops sending cannot have its next request read as body", async () => {
    const key = randomBytes(32);
    const headers = await sign(bridge.s3Url, {
      method: 'PUT',
      path: '/l-one/early',
      headers: {
        'content-length': String(1024 * 1024),
        'x-amz-server-side-encryption-customer-algorithm': 'AES128',
        'x-amz-server-side-encryption-customer-key': key.toString('base64'),
        'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(key).digest('base64'),
      },
    });
    const url = new URL(bridge.s3Url);
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    let closed = false;
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    // The headers and the first 64 KiB of a 1 MiB body, then nothing more: what botocore does once it has an answer.
    socket.write(`PUT /l-one/early HTTP/1.1\r\n${head}\r\n`);
    socket.write(Buffer.alloc(64 * 1024, 1));
    await waitFor(() => received.includes('</Error>'), 10_000, 'the early answer');
    expect(received).toMatch(/^HTTP\/1\.1 400 /);
    expect(received.toLowerCase()).toContain('connection: close');
    expect(received).toContain('<Code>InvalidEncryptionAlgorithmError</Code>');
    await waitFor(() => closed, 10_000, 's3bridge to close the connection');
  });

  it('an anonymous request is AccessDenied', async () => {
    const res = await request(`${bridge.s3Url}/b-one/x`);
    expect(res.statusCode).toBe(403);
    expect(await res.body.text()).toContain('<Code>AccessDenied</Code>');
  });
});
