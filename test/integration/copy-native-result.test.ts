// Native copies whose backend answers as the seed reference does (Yandex: <CopyObjectResult> for copyPart, zone-less LastModified) or fails inside a 200: what the client gets (copy-semantics.md §1, §10, §11.6).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { CopyObjectCommand, UploadPartCopyCommand, type S3Client } from '@aws-sdk/client-s3';
import { DEMO, remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';
import { startRecordingBackend, type RecordedRequest, type RecordingBackend } from '../helpers/recording-backend.js';

const MD5 = '0cc175b9c0f1b6a831c399e269772661';
let rec: RecordingBackend;
let bridge: TestBridge;
let s3: S3Client;
/** What the backend answers a copy with, per test. */
let answer: { status: number; headers?: Record<string, string>; body: string };

beforeAll(async () => {
  rec = await startRecordingBackend({ accessKeyId: 'yc', secretAccessKey: 'yc-secret' });
  bridge = await startBridge({
    backends: [remoteBackend('yandex', { endpoint: rec.endpoint, accessKeyId: 'yc', secretAccessKey: 'yc-secret' })],
    routes: [{ bucket: 'y-*', backend: 'yandex' }],
  });
  s3 = bridge.client();
});

afterAll(async () => {
  await bridge?.close(1000);
  await rec?.stop();
});

beforeEach(() => {
  rec.faults.onRequest = (r, _req, res) => {
    if (r.method !== 'PUT' || r.headers['x-amz-copy-source'] === undefined) return false;
    r.status = answer.status;
    res.writeHead(answer.status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(answer.body)), ...answer.headers });
    res.end(answer.body);
    return true;
  };
});

const yandex = (extra = '') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult><LastModified>2019-02-15T14:32:00</LastModified><ETag>"${MD5}"</ETag>${extra}</CopyObjectResult>`;
const lastCopy = (): RecordedRequest => rec.requests.findLast((r) => r.headers['x-amz-copy-source'] !== undefined)!;

/** A raw signed request through s3bridge: the exact document a client receives. */
async function raw(
  path: string,
  query: Record<string, string>,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const url = new URL(bridge.s3Url);
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: DEMO, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const signed = await signer.sign({
    method: 'PUT',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query,
    headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...headers },
  });
  const qs = new URLSearchParams(query).toString();
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: 'PUT', path: qs ? `${path}?${qs}` : path, headers: signed.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('UploadPartCopy answered with a Yandex-shaped document', () => {
  it('reaches the JS SDK as a CopyPartResult with a real date', async () => {
    answer = { status: 200, body: yandex() };
    const r = await s3.send(new UploadPartCopyCommand({ Bucket: 'y-dst', Key: 'k', UploadId: 'u1', PartNumber: 1, CopySource: 'y-src/obj' }));
    expect([r.CopyPartResult?.ETag, r.CopyPartResult?.LastModified?.toISOString(), r.CopyPartResult?.ChecksumCRC32]).toEqual([
      `"${MD5}"`,
      '2019-02-15T14:32:00.000Z',
      undefined,
    ]);
    // Forwarded natively: the copy source in backend names, Content-Length 0 as the Yandex reference lists it (§10).
    expect([lastCopy().url, lastCopy().headers['x-amz-copy-source'], lastCopy().headers['content-length']]).toEqual([
      '/y-dst/k?partNumber=1&uploadId=u1',
      'y-src/obj',
      '0',
    ]);
  });

  it("is rewritten into AWS's document on the wire", async () => {
    answer = { status: 200, body: yandex() };
    const r = await raw('/y-dst/k', { partNumber: '2', uploadId: 'u1' }, { 'x-amz-copy-source': '/y-src/obj' });
    expect([r.status, r.body]).toEqual([
      200,
      `<?xml version="1.0" encoding="UTF-8"?>\n<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2019-02-15T14:32:00.000Z</LastModified><ETag>&quot;${MD5}&quot;</ETag></CopyPartResult>`,
    ]);
  });

  it('passes the checksum the backend computed for a checksum-typed upload', async () => {
    answer = { status: 200, body: yandex('<ChecksumCRC32>yZRlqg==</ChecksumCRC32>'), headers: { 'x-amz-server-side-encryption': 'AES256' } };
    const r = await s3.send(new UploadPartCopyCommand({ Bucket: 'y-dst', Key: 'k', UploadId: 'u1', PartNumber: 3, CopySource: 'y-src/obj' }));
    expect([r.CopyPartResult?.ChecksumCRC32, r.CopyPartResult?.ETag, r.ServerSideEncryption]).toEqual(['yZRlqg==', `"${MD5}"`, 'AES256']);
  });

  it('AWS-shaped answers with every checksum element reach the client unchanged', async () => {
    const sums = '<ChecksumCRC32C>AAAAAA==</ChecksumCRC32C><ChecksumSHA1>2jmj7l5rSw0yVb/vlWAYkK/YBwk=</ChecksumSHA1>';
    answer = {
      status: 200,
      body: `<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2009-10-28T22:32:00.000Z</LastModified><ETag>"${MD5}"</ETag>${sums}</CopyPartResult>`,
    };
    const r = await raw('/y-dst/k', { partNumber: '4', uploadId: 'u1' }, { 'x-amz-copy-source': '/y-src/obj' });
    expect(r.body).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<CopyPartResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2009-10-28T22:32:00.000Z</LastModified><ETag>&quot;${MD5}&quot;</ETag>${sums}</CopyPartResult>`,
    );
  });
});

describe('a copy that fails inside a 200', () => {
  it.each([
    ['InternalError', 500, 'We encountered an internal error. Please try again.'],
    ['SlowDown', 503, 'Please reduce your request rate.'],
    ['NoSuchUpload', 404, 'The specified upload does not exist.'],
  ])('<Error><Code>%s</Code> reaches the SDK as that error', async (code, status, message) => {
    answer = {
      status: 200,
      body: `<?xml version="1.0" encoding="UTF-8"?>\n\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>YC1</RequestId></Error>`,
    };
    await expect(
      s3.send(new UploadPartCopyCommand({ Bucket: 'y-dst', Key: 'k', UploadId: 'u1', PartNumber: 5, CopySource: 'y-src/obj' })),
    ).rejects.toMatchObject({ name: code, message, $metadata: { httpStatusCode: status } });
  });

  it("on the wire it is an S3 error document with s3bridge's request id", async () => {
    answer = { status: 200, body: '<Error><Code>InternalError</Code><Message>copy failed late</Message></Error>' };
    const r = await raw('/y-dst/obj2', {}, { 'x-amz-copy-source': '/y-src/obj' });
    expect(r.status).toBe(500);
    expect(r.body).toMatch(
      /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>InternalError<\/Code><Message>copy failed late<\/Message>.*<RequestId>[0-9A-F]+<\/RequestId>.*<\/Error>$/s,
    );
    expect(r.headers['x-amz-request-id']).toBe(/<RequestId>([0-9A-F]+)<\/RequestId>/.exec(r.body)?.[1]);
  });
});

describe('CopyObject answered with a Yandex-shaped document', () => {
  it('reaches the client with the versions and encryption the backend reported', async () => {
    answer = {
      status: 200,
      body: yandex(),
      headers: {
        'x-amz-version-id': 'v-new',
        'x-amz-copy-source-version-id': 'v-src',
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'key-1',
      },
    };
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'y-dst', Key: 'obj', CopySource: 'y-src/obj?versionId=v-src' }));
    expect([
      r.CopyObjectResult?.ETag,
      r.CopyObjectResult?.LastModified?.toISOString(),
      r.VersionId,
      r.CopySourceVersionId,
      r.ServerSideEncryption,
      r.SSEKMSKeyId,
    ]).toEqual([`"${MD5}"`, '2019-02-15T14:32:00.000Z', 'v-new', 'v-src', 'aws:kms', 'key-1']);
    expect(lastCopy().headers['x-amz-copy-source']).toBe('y-src/obj?versionId=v-src');
  });
});
