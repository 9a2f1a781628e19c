// The embedded store's server-side encryption (src/store/sse.ts) driven by @aws-sdk/client-s3 and raw requests: SSE-S3, SSE-KMS, bucket defaults, SSE-C on reads, multipart uploads and copies; SSE-C keys never reach the disk.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBridge, tempDir, type TestBridge } from '../helpers/bridge.js';
import { raw, tag, type RawOptions } from '../helpers/store-raw.js';
import { failure, startTestStore, type TestStore } from '../helpers/store.js';

let store: TestStore;
let s3: S3Client;
const send = (opts: RawOptions) => raw(store.endpoint, store, opts);

// SSE-C keys as the SDK takes them (base64 of 32 bytes) and the MD5 it sends with them.
const K1 = randomBytes(32);
const K2 = randomBytes(32);
const b64 = (b: Buffer) => b.toString('base64');
const keyMd5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const withKey = (k: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: b64(k) });
const sourceKey = (k: Buffer) => ({ CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: b64(k) });
const rawKey = (k: Buffer, prefix = 'x-amz-server-side-encryption-customer-') => ({
  [`${prefix}algorithm`]: 'AES256',
  [`${prefix}key`]: b64(k),
  [`${prefix}key-md5`]: keyMd5(k),
});

const KMS_KEY = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const CONTEXT = Buffer.from('{"team":"store"}').toString('base64');

beforeAll(async () => {
  store = await startTestStore({ minPartSize: 1024 });
  s3 = store.client();
  await s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
});
afterAll(() => store?.stop());

/** The error an SDK call failed with: AWS code and HTTP status (HEAD errors have no body: only the status says something). */
async function body(p: Promise<{ Body?: { transformToByteArray(): Promise<Uint8Array> } }>): Promise<Buffer> {
  return Buffer.from(await (await p).Body!.transformToByteArray());
}

const sse = (o: {
  ServerSideEncryption?: string;
  SSEKMSKeyId?: string;
  BucketKeyEnabled?: boolean;
  SSECustomerAlgorithm?: string;
  SSECustomerKeyMD5?: string;
}) => [o.ServerSideEncryption, o.SSEKMSKeyId, o.BucketKeyEnabled, o.SSECustomerAlgorithm, o.SSECustomerKeyMD5];

describe('SSE-S3 and SSE-KMS', () => {
  it('SSE-S3: PutObject, HeadObject and GetObject answer AES256', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 's3', Body: 'plain', ServerSideEncryption: 'AES256' }));
    expect(sse(put)).toEqual(['AES256', undefined, undefined, undefined, undefined]);
    expect(sse(await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 's3' })))).toEqual(['AES256', undefined, undefined, undefined, undefined]);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 's3' }));
    expect([got.ServerSideEncryption, await got.Body!.transformToString()]).toEqual(['AES256', 'plain']);
  });

  it('SSE-KMS with a key id, a context and a bucket key: kept and echoed (the context by PutObject only, as S3)', async () => {
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'bkt',
        Key: 'kms',
        Body: 'secret',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KMS_KEY,
        SSEKMSEncryptionContext: CONTEXT,
        BucketKeyEnabled: true,
      }),
    );
    expect([...sse(put), put.SSEKMSEncryptionContext]).toEqual(['aws:kms', KMS_KEY, true, undefined, undefined, CONTEXT]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'kms' }));
    expect(sse(head)).toEqual(['aws:kms', KMS_KEY, true, undefined, undefined]);
    const r = await send({ method: 'GET', path: '/bkt/kms' });
    expect([r.status, r.text, r.headers['x-amz-server-side-encryption-context']]).toEqual([200, 'secret', undefined]);
    expect([r.headers['x-amz-server-side-encryption'], r.headers['x-amz-server-side-encryption-aws-kms-key-id']]).toEqual(['aws:kms', KMS_KEY]);
  });

  it('SSE-KMS without a key id, and DSSE-KMS', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'kms-default', Body: 'x', ServerSideEncryption: 'aws:kms' }));
    expect(sse(put)).toEqual(['aws:kms', undefined, undefined, undefined, undefined]);
    expect(sse(await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'kms-default' })))).toEqual(['aws:kms', undefined, undefined, undefined, undefined]);
    const dsse = await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'dsse', Body: 'x', ServerSideEncryption: 'aws:kms:dsse', SSEKMSKeyId: 'k-2' }));
    expect(sse(dsse)).toEqual(['aws:kms:dsse', 'k-2', undefined, undefined, undefined]);
  });

  it.each<[string, Record<string, string>]>([
    ['a KMS key id with AES256', { 'x-amz-server-side-encryption': 'AES256', 'x-amz-server-side-encryption-aws-kms-key-id': 'k' }],
    ['a KMS key id alone', { 'x-amz-server-side-encryption-aws-kms-key-id': 'k' }],
    ['a context alone', { 'x-amz-server-side-encryption-context': CONTEXT }],
    ['a bucket key flag alone', { 'x-amz-server-side-encryption-bucket-key-enabled': 'true' }],
    ['an unknown algorithm', { 'x-amz-server-side-encryption': 'aws:xyz' }],
    ['SSE-C together with SSE-S3', { ...rawKey(K1), 'x-amz-server-side-encryption': 'AES256' }],
  ])('%s is 400 InvalidArgument, and nothing is written', async (_what, headers) => {
    const r = await send({ method: 'PUT', path: '/bkt/refused', headers, body: 'x' });
    expect([r.status, tag(r.text, 'Code')]).toEqual([400, 'InvalidArgument']);
    expect((await send({ method: 'HEAD', path: '/bkt/refused' })).status).toBe(404);
  });

  it('multipart: CreateMultipartUpload, UploadPart, UploadPartCopy and Complete echo the upload encryption', async () => {
    const create = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: 'bkt',
        Key: 'kms-mp',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: KMS_KEY,
        SSEKMSEncryptionContext: CONTEXT,
      }),
    );
    expect([...sse(create), create.SSEKMSEncryptionContext]).toEqual(['aws:kms', KMS_KEY, undefined, undefined, undefined, CONTEXT]);
    const UploadId = create.UploadId!;
    const one = randomBytes(2000);
    const p1 = await s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'kms-mp', UploadId, PartNumber: 1, Body: one }));
    expect(sse(p1)).toEqual(['aws:kms', KMS_KEY, undefined, undefined, undefined]);
    const p2 = await s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'kms-mp', UploadId, PartNumber: 2, CopySource: 'bkt/s3' }));
    expect(sse(p2)).toEqual(['aws:kms', KMS_KEY, undefined, undefined, undefined]);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'bkt',
        Key: 'kms-mp',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.CopyPartResult!.ETag },
          ],
        },
      }),
    );
    expect(sse(done)).toEqual(['aws:kms', KMS_KEY, undefined, undefined, undefined]);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'kms-mp' }));
    expect(sse(got)).toEqual(['aws:kms', KMS_KEY, undefined, undefined, undefined]);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([one, Buffer.from('plain')]))).toBe(true);
  });

  it('CopyObject: the destination has the encryption the request names, never the source one (COPY or REPLACE)', async () => {
    const plain = await s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'kms-copy-plain', CopySource: 'bkt/kms' }));
    expect(sse(plain)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(sse(await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'kms-copy-plain' })))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    const kms = await s3.send(
      new CopyObjectCommand({
        Bucket: 'bkt',
        Key: 'kms-copy',
        CopySource: 'bkt/s3',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'k-3',
        SSEKMSEncryptionContext: CONTEXT,
      }),
    );
    expect([...sse(kms), kms.SSEKMSEncryptionContext]).toEqual(['aws:kms', 'k-3', undefined, undefined, undefined, CONTEXT]);
    const replaced = await s3.send(
      new CopyObjectCommand({ Bucket: 'bkt', Key: 'kms-copy-2', CopySource: 'bkt/kms', MetadataDirective: 'REPLACE', ServerSideEncryption: 'AES256' }),
    );
    expect(sse(replaced)).toEqual(['AES256', undefined, undefined, undefined, undefined]);
    expect(sse(await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'kms-copy-2' })))).toEqual(['AES256', undefined, undefined, undefined, undefined]);
  });

  it('a copy onto itself that changes only the encryption is allowed; one that changes nothing is not', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'self', Body: 'me' }));
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'self', CopySource: 'bkt/self' })))).toEqual({
      name: 'InvalidRequest',
      status: 400,
    });
    const kms = await s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'self', CopySource: 'bkt/self', ServerSideEncryption: 'aws:kms' }));
    expect(kms.ServerSideEncryption).toBe('aws:kms');
    const ssec = await s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'self', CopySource: 'bkt/self', ...withKey(K1) }));
    expect(sse(ssec)).toEqual([undefined, undefined, undefined, 'AES256', keyMd5(K1)]);
    // Rotating the key in place: the source is read with the old key, written with the new one.
    await s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'self', CopySource: 'bkt/self', ...sourceKey(K1), ...withKey(K2) }));
    expect((await body(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'self', ...withKey(K2) })))).toString()).toBe('me');
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'self', ...withKey(K1) })))).toEqual({ name: 'AccessDenied', status: 403 });
  });
});

describe('bucket default encryption', () => {
  let supported = false;
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'dflt' }));
    const r = await s3
      .send(
        new PutBucketEncryptionCommand({
          Bucket: 'dflt',
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KMS_KEY }, BucketKeyEnabled: true }],
          },
        }),
      )
      .then(
        () => undefined,
        (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode,
      );
    supported = r === undefined;
    if (r !== undefined && r !== 501) throw new Error(`PutBucketEncryption answered ${r}`);
  });

  it('applies to writes that name no encryption: PutObject, multipart, CopyObject', async (ctx) => {
    if (!supported) ctx.skip();
    const expected = ['aws:kms', KMS_KEY, true, undefined, undefined];
    expect(sse(await s3.send(new PutObjectCommand({ Bucket: 'dflt', Key: 'a', Body: 'x' })))).toEqual(expected);
    expect(sse(await s3.send(new HeadObjectCommand({ Bucket: 'dflt', Key: 'a' })))).toEqual(expected);
    const { UploadId, ...create } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'dflt', Key: 'mp' }));
    expect(sse(create)).toEqual(expected);
    const p1 = await s3.send(new UploadPartCommand({ Bucket: 'dflt', Key: 'mp', UploadId, PartNumber: 1, Body: 'y' }));
    expect(sse(p1)).toEqual(expected);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: 'dflt', Key: 'mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }] } }),
    );
    expect(sse(done)).toEqual(expected);
    expect(sse(await s3.send(new CopyObjectCommand({ Bucket: 'dflt', Key: 'copied', CopySource: 'bkt/s3' })))).toEqual(expected);
    expect(sse(await s3.send(new HeadObjectCommand({ Bucket: 'dflt', Key: 'copied' })))).toEqual(expected);
  });

  it('gives way to the encryption a request names', async (ctx) => {
    if (!supported) ctx.skip();
    expect(sse(await s3.send(new PutObjectCommand({ Bucket: 'dflt', Key: 'b', Body: 'x', ServerSideEncryption: 'AES256' })))).toEqual([
      'AES256',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(sse(await s3.send(new PutObjectCommand({ Bucket: 'dflt', Key: 'c', Body: 'x', ...withKey(K1) })))).toEqual([
      undefined,
      undefined,
      undefined,
      'AES256',
      keyMd5(K1),
    ]);
    expect(sse(await s3.send(new HeadObjectCommand({ Bucket: 'dflt', Key: 'c', ...withKey(K1) })))).toEqual([
      undefined,
      undefined,
      undefined,
      'AES256',
      keyMd5(K1),
    ]);
  });
});

describe('SSE-C', () => {
  const data = randomBytes(5000);
  beforeAll(async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'ssec', Body: data, ...withKey(K1) }));
    expect(sse(put)).toEqual([undefined, undefined, undefined, 'AES256', keyMd5(K1)]);
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'plain', Body: 'nothing to hide' }));
  });

  it('GetObject and HeadObject with the key: the bytes as written, the algorithm and key MD5 echoed', async () => {
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec', ...withKey(K1) }));
    expect(sse(got)).toEqual([undefined, undefined, undefined, 'AES256', keyMd5(K1)]);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(data)).toBe(true);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'ssec', ...withKey(K1) }));
    expect([...sse(head), head.ContentLength]).toEqual([undefined, undefined, undefined, 'AES256', keyMd5(K1), 5000]);
  });

  it('a ranged GET and GetObject?partNumber need the key too', async () => {
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec', Range: 'bytes=100-199', ...withKey(K1) }));
    expect([ranged.ContentRange, ranged.SSECustomerKeyMD5]).toEqual(['bytes 100-199/5000', keyMd5(K1)]);
    expect(Buffer.from(await ranged.Body!.transformToByteArray()).equals(data.subarray(100, 200))).toBe(true);
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec', Range: 'bytes=100-199' })))).toEqual({
      name: 'InvalidRequest',
      status: 400,
    });
    expect((await body(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec', PartNumber: 1, ...withKey(K1) })))).equals(data)).toBe(true);
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec', PartNumber: 1 })))).toEqual({ name: 'InvalidRequest', status: 400 });
  });

  it('without the key: 400 InvalidRequest; with another key: 403 AccessDenied; a key for a plain object: 400 InvalidRequest', async () => {
    const none = await send({ method: 'GET', path: '/bkt/ssec' });
    expect([none.status, tag(none.text, 'Code'), tag(none.text, 'Message')]).toEqual([
      400,
      'InvalidRequest',
      'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
    ]);
    expect((await send({ method: 'HEAD', path: '/bkt/ssec' })).status).toBe(400);
    const wrong = await send({ method: 'GET', path: '/bkt/ssec', headers: rawKey(K2) });
    expect([wrong.status, tag(wrong.text, 'Code')]).toEqual([403, 'AccessDenied']);
    expect((await failure(s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'ssec', ...withKey(K2) })))).status).toBe(403);
    const plain = await send({ method: 'GET', path: '/bkt/plain', headers: rawKey(K1) });
    expect([plain.status, tag(plain.text, 'Code'), tag(plain.text, 'Message')]).toEqual([
      400,
      'InvalidRequest',
      'The encryption parameters are not applicable to this object.',
    ]);
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 's3', ...withKey(K1) })))).toEqual({ name: 'InvalidRequest', status: 400 });
  });

  it.each<[string, string, string, Record<string, string>]>([
    [
      'a key MD5 that is not the key one',
      'InvalidArgument',
      'The calculated MD5 hash of the key did not match the hash that was provided.',
      { ...rawKey(K1), 'x-amz-server-side-encryption-customer-key-md5': keyMd5(K2) },
    ],
    [
      'a key of 16 bytes',
      'InvalidArgument',
      'The secret key was invalid for the specified algorithm.',
      {
        ...rawKey(K1),
        'x-amz-server-side-encryption-customer-key': b64(K1.subarray(0, 16)),
        'x-amz-server-side-encryption-customer-key-md5': keyMd5(K1.subarray(0, 16)),
      },
    ],
    [
      'AES128',
      'InvalidEncryptionAlgorithmError',
      'The Encryption request you specified is not valid. Supported value: AES256.',
      { ...rawKey(K1), 'x-amz-server-side-encryption-customer-algorithm': 'AES128' },
    ],
    [
      'no key MD5',
      'InvalidArgument',
      'Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.',
      { 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key': b64(K1) },
    ],
    [
      'no key',
      'InvalidArgument',
      'Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.',
      { 'x-amz-server-side-encryption-customer-algorithm': 'AES256' },
    ],
    [
      'no algorithm',
      'InvalidArgument',
      'Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.',
      { 'x-amz-server-side-encryption-customer-key': b64(K1), 'x-amz-server-side-encryption-customer-key-md5': keyMd5(K1) },
    ],
  ])('a PUT with %s is 400 %s, nothing is written and the answer does not name the key', async (_what, code, message, headers) => {
    const r = await send({ method: 'PUT', path: '/bkt/bad-key', headers, body: 'x' });
    expect([r.status, tag(r.text, 'Code'), tag(r.text, 'Message')]).toEqual([400, code, message]);
    expect(r.text).not.toContain(b64(K1));
    expect((await send({ method: 'HEAD', path: '/bkt/bad-key' })).status).toBe(404);
  });

  it('AES128 through the SDK is 400 InvalidEncryptionAlgorithmError', async () => {
    expect(
      await failure(s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'aes128', Body: 'x', SSECustomerAlgorithm: 'AES128', SSECustomerKey: b64(K1) }))),
    ).toEqual({ name: 'InvalidEncryptionAlgorithmError', status: 400 });
  });

  it('multipart: every part carries the upload key; Complete puts it on the object', async () => {
    const create = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'ssec-mp', ...withKey(K1) }));
    expect(sse(create)).toEqual([undefined, undefined, undefined, 'AES256', keyMd5(K1)]);
    const UploadId = create.UploadId!;
    const one = randomBytes(2000);
    const p1 = await s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'ssec-mp', UploadId, PartNumber: 1, Body: one, ...withKey(K1) }));
    expect(sse(p1)).toEqual([undefined, undefined, undefined, 'AES256', keyMd5(K1)]);
    const missing = await send({ method: 'PUT', path: `/bkt/ssec-mp?partNumber=2&uploadId=${UploadId}`, body: 'x' });
    expect([missing.status, tag(missing.text, 'Code'), tag(missing.text, 'Message')]).toEqual([
      400,
      'InvalidRequest',
      'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.',
    ]);
    const wrong = await send({ method: 'PUT', path: `/bkt/ssec-mp?partNumber=2&uploadId=${UploadId}`, headers: rawKey(K2), body: 'x' });
    expect([wrong.status, tag(wrong.text, 'Code'), tag(wrong.text, 'Message')]).toEqual([
      400,
      'InvalidRequest',
      'The provided encryption parameters did not match the ones used originally.',
    ]);
    // UploadPartCopy: the destination key is the upload's, the source key the source's.
    expect(
      await failure(s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'ssec-mp', UploadId, PartNumber: 2, CopySource: 'bkt/ssec', ...sourceKey(K1) }))),
    ).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(
      await failure(s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'ssec-mp', UploadId, PartNumber: 2, CopySource: 'bkt/ssec', ...withKey(K1) }))),
    ).toEqual({ name: 'InvalidRequest', status: 400 });
    const p2 = await s3.send(
      new UploadPartCopyCommand({
        Bucket: 'bkt',
        Key: 'ssec-mp',
        UploadId,
        PartNumber: 2,
        CopySource: 'bkt/ssec',
        CopySourceRange: 'bytes=0-1499',
        ...sourceKey(K1),
        ...withKey(K1),
      }),
    );
    expect(sse(p2)).toEqual([undefined, undefined, undefined, 'AES256', keyMd5(K1)]);
    const p3 = await s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'ssec-mp', UploadId, PartNumber: 3, CopySource: 'bkt/plain', ...withKey(K1) }));
    const parts = [
      { PartNumber: 1, ETag: p1.ETag },
      { PartNumber: 2, ETag: p2.CopyPartResult!.ETag },
      { PartNumber: 3, ETag: p3.CopyPartResult!.ETag },
    ];
    expect(
      await failure(
        s3.send(new CompleteMultipartUploadCommand({ Bucket: 'bkt', Key: 'ssec-mp', UploadId, MultipartUpload: { Parts: parts }, ...withKey(K2) })),
      ),
    ).toEqual({ name: 'InvalidRequest', status: 400 });
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'bkt', Key: 'ssec-mp', UploadId, MultipartUpload: { Parts: parts } }));
    expect(done.Key).toBe('ssec-mp');
    const expected = Buffer.concat([one, data.subarray(0, 1500), Buffer.from('nothing to hide')]);
    expect((await body(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec-mp', ...withKey(K1) })))).equals(expected)).toBe(true);
    expect((await body(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec-mp', PartNumber: 2, ...withKey(K1) })))).equals(data.subarray(0, 1500))).toBe(
      true,
    );
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec-mp' })))).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec-mp', ...withKey(K2) })))).toEqual({ name: 'AccessDenied', status: 403 });
  });

  it('CopyObject: the source is read with the copy-source key, the destination written with its own', async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'ssec-copy', CopySource: 'bkt/ssec', ...sourceKey(K1), ...withKey(K2) }));
    expect(sse(r)).toEqual([undefined, undefined, undefined, 'AES256', keyMd5(K2)]);
    expect((await body(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec-copy', ...withKey(K2) })))).equals(data)).toBe(true);
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec-copy', ...withKey(K1) })))).toEqual({ name: 'AccessDenied', status: 403 });
    // Decrypted into a plain copy (COPY directive: the metadata is copied, the encryption is not).
    const plain = await s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'ssec-plain', CopySource: 'bkt/ssec', ...sourceKey(K1) }));
    expect(sse(plain)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect((await body(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'ssec-plain' })))).equals(data)).toBe(true);
    // A plain source into an SSE-C destination.
    await s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'plain-ssec', CopySource: 'bkt/plain', MetadataDirective: 'REPLACE', ...withKey(K2) }));
    expect((await body(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'plain-ssec', ...withKey(K2) })))).toString()).toBe('nothing to hide');
  });

  it.each<[string, number, string, string, Record<string, string>]>([
    [
      'no source key',
      400,
      'InvalidRequest',
      'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
      {},
    ],
    ['the wrong source key', 403, 'AccessDenied', 'Access Denied', rawKey(K2, 'x-amz-copy-source-server-side-encryption-customer-')],
    [
      'a bad source key MD5',
      400,
      'InvalidArgument',
      'The calculated MD5 hash of the key did not match the hash that was provided.',
      { ...rawKey(K1, 'x-amz-copy-source-server-side-encryption-customer-'), 'x-amz-copy-source-server-side-encryption-customer-key-md5': keyMd5(K2) },
    ],
  ])('CopyObject from an SSE-C source with %s → %i %s', async (_what, status, code, message, headers) => {
    const r = await send({ method: 'PUT', path: '/bkt/copy-refused', headers: { 'x-amz-copy-source': '/bkt/ssec', ...headers } });
    expect([r.status, tag(r.text, 'Code'), tag(r.text, 'Message')]).toEqual([status, code, message]);
    expect((await send({ method: 'HEAD', path: '/bkt/copy-refused' })).status).toBe(404);
  });

  it('a copy-source key for a plain source is 400 InvalidRequest', async () => {
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'x', CopySource: 'bkt/plain', ...sourceKey(K1) })))).toEqual({
      name: 'InvalidRequest',
      status: 400,
    });
  });
});

describe('SSE-C keys on disk', () => {
  function files(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
  }

  it('no file under the data folder holds a key (raw, base64 or hex), only key MD5s', () => {
    const all = files(store.dir);
    expect(all.length).toBeGreaterThan(10);
    const contents = all.map((f) => readFileSync(f));
    for (const key of [K1, K2]) {
      for (const needle of [key, Buffer.from(b64(key)), Buffer.from(key.toString('hex'))]) {
        expect(all.filter((_f, i) => contents[i]!.includes(needle))).toEqual([]);
      }
    }
    // The MD5 is what identifies the key (as S3 echoes it), so the records do hold it.
    expect(contents.some((c) => c.includes(Buffer.from(keyMd5(K1))))).toBe(true);
  });
});

describe('through s3bridge (embedded backend)', () => {
  let bridge: TestBridge;
  let client: S3Client;
  beforeAll(async () => {
    bridge = await startBridge({ backends: [{ name: 'local', embedded: { dir: tempDir() } }], routes: [{ bucket: '*', backend: 'local' }] });
    client = bridge.client();
    await client.send(new CreateBucketCommand({ Bucket: 'via' }));
  });
  afterAll(() => bridge?.close());

  it('SSE-C and SSE-KMS headers are forwarded both ways; s3bridge logs no key', async () => {
    expect(sse(await client.send(new PutObjectCommand({ Bucket: 'via', Key: 'c', Body: 'hidden', ...withKey(K1) })))).toEqual([
      undefined,
      undefined,
      undefined,
      'AES256',
      keyMd5(K1),
    ]);
    const got = await client.send(new GetObjectCommand({ Bucket: 'via', Key: 'c', ...withKey(K1) }));
    expect([...sse(got), await got.Body!.transformToString()]).toEqual([undefined, undefined, undefined, 'AES256', keyMd5(K1), 'hidden']);
    expect(await failure(client.send(new GetObjectCommand({ Bucket: 'via', Key: 'c', ...withKey(K2) })))).toEqual({ name: 'AccessDenied', status: 403 });
    const kms = await client.send(new PutObjectCommand({ Bucket: 'via', Key: 'k', Body: 'x', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KMS_KEY }));
    expect(sse(kms)).toEqual(['aws:kms', KMS_KEY, undefined, undefined, undefined]);
    const log = bridge.rawLog.join('\n');
    expect([log.includes(b64(K1)), log.includes(b64(K2)), bridge.rawLog.length > 0]).toEqual([false, false, true]);
  });
});
