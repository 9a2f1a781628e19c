// Emulated copies of versioned sources (moto A → moto B) and of encrypted ones (SSE-C, SSE-KMS) between recording backends that check the exact headers (copy-semantics.md §12, §13).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { startRulesBackend, type RulesBackend } from '../helpers/s3-rules-backend.js';

let motoA: MotoServer;
let motoB: MotoServer;
let src: RulesBackend;
let dst: RulesBackend;
let bridge: TestBridge;
let s3: S3Client;

const MiB = 1024 * 1024;
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const v1Bytes = randomBytes(70_000);
const v2Bytes = randomBytes(50_000);
let v1: string;
let v2: string;
let marker: string;
const KEYS = { accessKeyId: 'rules', secretAccessKey: 'rules-secret' };

// SSE-C keys as the SDK takes them (32 bytes), and as they travel (base64, MD5 base64).
const K1 = 'source-key-0123456789abcdef01234';
const K2 = 'target-key-0123456789abcdef01234';
const b64 = (k: string) => Buffer.from(k).toString('base64');
const keyMd5 = (k: string) => createHash('md5').update(k).digest('base64');
const secret = randomBytes(40_000);
const bigSecret = randomBytes(7 * MiB + 3);

beforeAll(async () => {
  [motoA, motoB] = await Promise.all([startMoto({ env: { S3_UPLOAD_PART_MIN_SIZE: '1' } }), startMoto({ env: { S3_UPLOAD_PART_MIN_SIZE: '1' } })]);
  [src, dst] = await Promise.all([startRulesBackend(KEYS), startRulesBackend(KEYS)]);
  const rules = (name: string, r: RulesBackend, extra = {}) => remoteBackend(name, { endpoint: r.endpoint, ...KEYS }, extra);
  bridge = await startBridge({
    backends: [
      remoteBackend('moto-a', motoA),
      remoteBackend('moto-b', motoB),
      rules('rules-src', src),
      rules('rules-dst', dst, { capabilities: { awsChunked: true } }),
      rules('rules-dst-plain', dst),
    ],
    routes: [
      { bucket: 'a-*', backend: 'moto-a' },
      { bucket: 'b-*', backend: 'moto-b' },
      { bucket: 'e-*', backend: 'rules-src' },
      { bucket: 'f-*', backend: 'rules-dst' },
      { bucket: 'g-*', backend: 'rules-dst-plain' },
    ],
    copy: { multipartThreshold: '6MiB', partSize: '5MiB', maxConcurrentParts: 2 },
  });
  s3 = bridge.client();
  for (const Bucket of ['a-ver', 'a-plain', 'b-dst', 'b-ver']) await s3.send(new CreateBucketCommand({ Bucket }));
  for (const Bucket of ['a-ver', 'b-ver']) await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  v1 = (await s3.send(new PutObjectCommand({ Bucket: 'a-ver', Key: 'obj', Body: v1Bytes }))).VersionId!;
  v2 = (await s3.send(new PutObjectCommand({ Bucket: 'a-ver', Key: 'obj', Body: v2Bytes }))).VersionId!;
  await s3.send(new PutObjectCommand({ Bucket: 'a-ver', Key: 'gone', Body: 'x' }));
  marker = (await s3.send(new DeleteObjectCommand({ Bucket: 'a-ver', Key: 'gone' }))).VersionId!;
  await s3.send(new PutObjectCommand({ Bucket: 'a-plain', Key: 'obj', Body: 'plain' }));
  src.seed('e-src', 'secret.bin', secret, { sseCKey: b64(K1) });
  src.seed('e-src', 'big-secret.bin', bigSecret, { sseCKey: b64(K1) });
  src.seed('e-src', 'kms.bin', secret, { kms: true });
}, 90_000);

afterAll(async () => {
  await bridge?.close(1000);
  await Promise.all([motoA?.stop(), motoB?.stop(), src?.stop(), dst?.stop()]);
});

const body = async (Bucket: string, Key: string, extra = {}) =>
  Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket, Key, ...extra }))).Body!.transformToByteArray());

describe('versioned sources across backends', () => {
  it('CopyObject copies the version named and says which', async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'from-v1', CopySource: `a-ver/obj?versionId=${v1}` }));
    expect([r.CopySourceVersionId, r.CopyObjectResult?.ETag]).toEqual([v1, `"${md5(v1Bytes)}"`]);
    expect(md5(await body('b-dst', 'from-v1'))).toBe(md5(v1Bytes));
  });

  it('without a version id the current one is copied, and named', async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'current', CopySource: 'a-ver/obj' }));
    expect([r.CopySourceVersionId, r.CopyObjectResult?.ETag]).toEqual([v2, `"${md5(v2Bytes)}"`]);
  });

  it('UploadPartCopy reads the version named', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'b-dst', Key: 'parts-v1' }));
    const r = await s3.send(
      new UploadPartCopyCommand({
        Bucket: 'b-dst',
        Key: 'parts-v1',
        UploadId,
        PartNumber: 1,
        CopySource: `a-ver/obj?versionId=${v1}`,
        CopySourceRange: 'bytes=10-20009',
      }),
    );
    expect([r.CopySourceVersionId, r.CopyPartResult?.ETag]).toEqual([v1, `"${md5(v1Bytes.subarray(10, 20010))}"`]);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'b-dst',
        Key: 'parts-v1',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.CopyPartResult!.ETag }] },
      }),
    );
    expect(md5(await body('b-dst', 'parts-v1'))).toBe(md5(v1Bytes.subarray(10, 20010)));
  });

  it('a versioned destination reports the new version', async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'b-ver', Key: 'copy', CopySource: `a-ver/obj?versionId=${v1}` }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'b-ver', Key: 'copy' }));
    expect([r.VersionId, r.CopySourceVersionId]).toEqual([head.VersionId, v1]);
    expect(r.VersionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    [
      'CopyObject, versioned bucket',
      () => s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'x', CopySource: 'a-ver/obj?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY' })),
    ],
    [
      'CopyObject, unversioned bucket',
      () => s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'x', CopySource: 'a-plain/obj?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY' })),
    ],
    [
      'UploadPartCopy, versioned bucket',
      async () => {
        const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'b-dst', Key: 'x' }));
        return s3.send(
          new UploadPartCopyCommand({
            Bucket: 'b-dst',
            Key: 'x',
            UploadId,
            PartNumber: 1,
            CopySource: 'a-ver/obj?versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
          }),
        );
      },
    ],
  ])('an unknown version → 404 NoSuchVersion (%s)', async (_name, send) => {
    await expect(send()).rejects.toMatchObject({ name: 'NoSuchVersion', message: 'The specified version does not exist.', $metadata: { httpStatusCode: 404 } });
  });

  it('a version id naming a delete marker → 400 InvalidRequest', async () => {
    await expect(s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'x', CopySource: `a-ver/gone?versionId=${marker}` }))).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: 'The source of a copy request may not specifically refer to a delete marker by version id.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('the current version being a delete marker → 404 NoSuchKey', async () => {
    await expect(s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'x', CopySource: 'a-ver/gone' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
  });
});

const sseC = (k: string) => ({
  'x-amz-server-side-encryption-customer-algorithm': 'AES256',
  'x-amz-server-side-encryption-customer-key': b64(k),
  'x-amz-server-side-encryption-customer-key-md5': keyMd5(k),
});
const sseHeaders = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => k.includes('server-side-encryption')));
const sourceKey = { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: K1 };
const targetKey = { SSECustomerAlgorithm: 'AES256', SSECustomerKey: K2 };

describe('SSE-C source and destination', () => {
  it.each([
    ['f-dst', 'aws-chunked'],
    ['g-dst', 'plain'],
  ])('CopyObject into %s (%s): each side gets its own key, the opaque ETag is no failure', async (Bucket, mode) => {
    const r = await s3.send(new CopyObjectCommand({ Bucket, Key: 'copy.bin', CopySource: 'e-src/secret.bin', ...sourceKey, ...targetKey }));
    expect([r.SSECustomerAlgorithm, r.SSECustomerKeyMD5, r.CopyObjectResult?.ETag]).toEqual(['AES256', keyMd5(K2), dst.stored.get(`${Bucket}/copy.bin`)?.etag]);
    expect(r.CopyObjectResult?.ETag).not.toBe(`"${md5(secret)}"`);
    for (const q of src.requests.filter((x) => x.url === '/e-src/secret.bin')) expect(sseHeaders(q.headers)).toEqual(sseC(K1));
    const put = dst.requests.findLast((x) => x.method === 'PUT' && x.url === `/${Bucket}/copy.bin`)!;
    expect(sseHeaders(put.headers)).toEqual(sseC(K2));
    // Where a checksum can travel, a CRC32 proves the encrypted write (§12).
    expect([put.headers['x-amz-trailer'], dst.stored.get(`${Bucket}/copy.bin`)?.checksum?.alg]).toEqual(
      mode === 'plain' ? [undefined, undefined] : ['x-amz-checksum-crc32', 'CRC32'],
    );
    expect(md5(await body(Bucket, 'copy.bin', targetKey))).toBe(md5(secret));
  });

  it('UploadPartCopy into an SSE-C upload', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'f-dst', Key: 'parts.bin', ...targetKey }));
    const r = await s3.send(
      new UploadPartCopyCommand({
        Bucket: 'f-dst',
        Key: 'parts.bin',
        UploadId,
        PartNumber: 1,
        CopySource: 'e-src/secret.bin',
        CopySourceRange: 'bytes=0-29999',
        ...sourceKey,
        ...targetKey,
      }),
    );
    expect([r.SSECustomerAlgorithm, r.SSECustomerKeyMD5]).toEqual(['AES256', keyMd5(K2)]);
    const part = dst.requests.findLast((x) => x.method === 'PUT' && x.url.startsWith('/f-dst/parts.bin?'))!;
    expect(sseHeaders(part.headers)).toEqual(sseC(K2));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'f-dst',
        Key: 'parts.bin',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.CopyPartResult!.ETag }] },
        ...targetKey,
      }),
    );
    expect(md5(await body('f-dst', 'parts.bin', targetKey))).toBe(md5(secret.subarray(0, 30_000)));
  });

  it('CopyObject above the multipart threshold: the key on Create, every part and Complete', async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'f-dst', Key: 'big.bin', CopySource: 'e-src/big-secret.bin', ...sourceKey, ...targetKey }));
    expect([r.SSECustomerKeyMD5, r.CopyObjectResult?.ChecksumType]).toEqual([keyMd5(K2), 'FULL_OBJECT']);
    const sent = dst.requests.filter((x) => x.url.startsWith('/f-dst/big.bin?'));
    expect(sent.map((x) => [x.method, x.status, sseHeaders(x.headers)])).toEqual([
      ['POST', 200, sseC(K2)],
      ['PUT', 200, sseC(K2)],
      ['PUT', 200, sseC(K2)],
      ['POST', 200, sseC(K2)],
    ]);
    expect(dst.stored.get('f-dst/big.bin')?.data.equals(bigSecret)).toBe(true);
  }, 30_000);

  it.each([
    [
      'no key for the source',
      'InvalidRequest',
      400,
      'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
      {},
    ],
    ['the wrong key', 'AccessDenied', 403, 'Access Denied to the copy source', { CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: K2 }],
  ])('%s → %s', async (_name, code, status, message, keys) => {
    await expect(s3.send(new CopyObjectCommand({ Bucket: 'f-dst', Key: 'nope', CopySource: 'e-src/secret.bin', ...keys }))).rejects.toMatchObject({
      name: code,
      message,
      $metadata: { httpStatusCode: status },
    });
  });
});

describe('SSE-KMS', () => {
  const kms = {
    ServerSideEncryption: 'aws:kms' as const,
    SSEKMSKeyId: 'arn:aws:kms:us-east-1:111122223333:key/k-1',
    SSEKMSEncryptionContext: b64('{"team":"copy"}'),
    BucketKeyEnabled: true,
  };
  const kmsHeaders = {
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-aws-kms-key-id': kms.SSEKMSKeyId,
    'x-amz-server-side-encryption-context': kms.SSEKMSEncryptionContext,
    'x-amz-server-side-encryption-bucket-key-enabled': 'true',
  };

  it('CopyObject: the KMS headers reach the destination PUT, the result says what it did', async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'f-dst', Key: 'kms.bin', CopySource: 'b-dst/current', ...kms }));
    expect([r.ServerSideEncryption, r.SSEKMSKeyId, r.BucketKeyEnabled, r.CopyObjectResult?.ETag]).toEqual([
      'aws:kms',
      kms.SSEKMSKeyId,
      true,
      dst.stored.get('f-dst/kms.bin')?.etag,
    ]);
    const put = dst.requests.findLast((x) => x.method === 'PUT' && x.url === '/f-dst/kms.bin')!;
    expect(sseHeaders(put.headers)).toEqual(kmsHeaders);
  });

  it('CopyObject above the threshold: KMS headers on CreateMultipartUpload only', async () => {
    await s3.send(new CopyObjectCommand({ Bucket: 'f-dst', Key: 'kms-big.bin', CopySource: 'e-src/big-secret.bin', ...sourceKey, ...kms }));
    const sent = dst.requests.filter((x) => x.url.startsWith('/f-dst/kms-big.bin?'));
    expect(sent.map((x) => [x.method, sseHeaders(x.headers)])).toEqual([
      ['POST', kmsHeaders],
      ['PUT', {}],
      ['PUT', {}],
      ['POST', {}],
    ]);
    expect(dst.stored.get('f-dst/kms-big.bin')?.data.equals(bigSecret)).toBe(true);
  }, 30_000);

  it('a KMS source (opaque ETag) copies to moto', async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'from-kms', CopySource: 'e-src/kms.bin' }));
    expect(r.CopyObjectResult?.ETag).toBe(`"${md5(secret)}"`);
  });
});
