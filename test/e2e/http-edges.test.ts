// End to end: HTTP edges real clients hit — unknown Expect values, a plain Transfer-Encoding: chunked PutObject, SigV4 dated by a Date header in each HTTP-date form (boto3), backend error documents' RequestId, service-level writes, and the access log's errorCode — through s3bridge to moto.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { DEMO, remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';
import { signedHeaders } from '../helpers/sign.js';
import { waitFor } from '../helpers/wait.js';
import { requirePython, runPython } from './helpers/python.js';
import { refusal, s3Error, send } from './helpers/http.js';
import { captureRequests, objectDigest, sha256, type SeenRequest } from './helpers/stack.js';

const BUCKET = 'edges';
let moto: MotoServer;
let bridge: TestBridge;
let direct: S3Client;
/** Request heads as s3bridge received them: proof of what the raw client really sent. */
let seen: SeenRequest[];

beforeAll(async () => {
  requirePython();
  moto = await startMoto();
  bridge = await startBridge({ backends: [remoteBackend('moto', moto)], routes: [{ bucket: '*', backend: 'moto' }] });
  seen = captureRequests(bridge);
  direct = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: moto, maxAttempts: 1 });
  await direct.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 60_000);

afterAll(async () => {
  await bridge?.close(1000);
  await moto?.stop();
});

/** Headers for `method path` signed by @smithy/signature-v4 (x-amz-content-sha256 as given, default UNSIGNED-PAYLOAD). */
const signed = (method: string, path: string, headers: Record<string, string> = {}) => signedHeaders(bridge.s3Url, { method, path, headers });

/** The access-log line of the request s3bridge answered with this x-amz-request-id. */
async function accessLine(requestId: string | string[] | undefined): Promise<Record<string, unknown>> {
  const find = () => bridge.lines.find((l) => l.requestId === requestId && 'status' in l);
  await waitFor(() => find() !== undefined, 5000, `the access-log line of ${String(requestId)}`);
  return find()!;
}

describe('Expect headers S3 ignores', () => {
  it.each([
    ['Expect: 200', '200'],
    ['an empty Expect', ''],
  ])('%s on a signed PUT and GET is ignored, not 417', async (_what, expectValue) => {
    const key = `expect/${expectValue || 'empty'}.txt`;
    const body = Buffer.from(`sent with Expect "${expectValue}"`);
    // Added after signing, as s3-tests does (botocore would rewrite a signed Expect into 100-continue).
    const put = await send(`${bridge.s3Url}/${BUCKET}/${key}`, {
      method: 'PUT',
      headers: { ...(await signed('PUT', `/${BUCKET}/${key}`)), expect: expectValue },
      body,
    });
    expect([put.status, put.text]).toEqual([200, '']);
    const get = await send(`${bridge.s3Url}/${BUCKET}/${key}`, { headers: { ...(await signed('GET', `/${BUCKET}/${key}`)), expect: expectValue } });
    expect([get.status, get.text]).toEqual([200, body.toString()]);
    expect(seen.filter((r) => r.url === `/${BUCKET}/${key}`).map((r) => [r.method, r.headers.expect])).toEqual([
      ['PUT', expectValue],
      ['GET', expectValue],
    ]);
    expect(await objectDigest(direct, BUCKET, key)).toEqual({ sha256: sha256(body), length: body.length });
  });
});

describe('Transfer-Encoding: chunked PutObject with a plain body and no Content-Length', () => {
  it.each([
    ['UNSIGNED-PAYLOAD', false],
    ['a signed payload hash', true],
  ])('is streamed through and reads back byte-exact (%s)', async (_what, hashed) => {
    const key = `chunked/${hashed ? 'hashed' : 'unsigned'}.bin`;
    const data = randomBytes(300_000 + 7);
    const hash = hashed ? createHash('sha256').update(data).digest('hex') : 'UNSIGNED-PAYLOAD';
    const headers = { ...(await signed('PUT', `/${BUCKET}/${key}`, { 'x-amz-content-sha256': hash })), 'transfer-encoding': 'chunked' };
    const pieces = (function* () {
      for (let off = 0; off < data.length; off += 50_000) yield data.subarray(off, off + 50_000);
    })();
    const put = await send(`${bridge.s3Url}/${BUCKET}/${key}`, { method: 'PUT', headers, body: pieces });
    expect([put.status, put.text]).toEqual([200, '']);
    expect(put.headers.etag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
    const sent = seen.find((r) => r.method === 'PUT' && r.url === `/${BUCKET}/${key}`)!;
    expect([sent.headers['transfer-encoding'], sent.headers['content-length']]).toEqual(['chunked', undefined]);
    expect(await objectDigest(direct, BUCKET, key)).toEqual({ sha256: sha256(data), length: data.length });
    const get = await send(`${bridge.s3Url}/${BUCKET}/${key}`, { headers: await signed('GET', `/${BUCKET}/${key}`) });
    expect([get.status, sha256(get.body)]).toEqual([200, sha256(data)]);
  });

  it('with a signed payload hash that the body does not match, is refused and nothing is stored', async () => {
    const key = 'chunked/mismatch.bin';
    const headers = { ...(await signed('PUT', `/${BUCKET}/${key}`, { 'x-amz-content-sha256': sha256('something else') })), 'transfer-encoding': 'chunked' };
    const put = await send(`${bridge.s3Url}/${BUCKET}/${key}`, { method: 'PUT', headers, body: [randomBytes(70_000), randomBytes(70_000)] });
    expect(refusal(put)).toEqual({
      status: 400,
      code: 'XAmzContentSHA256Mismatch',
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    });
    const head = await send(`${bridge.s3Url}/${BUCKET}/${key}`, { method: 'HEAD', headers: await signed('HEAD', `/${BUCKET}/${key}`) });
    expect(head.status).toBe(404);
  });
});

describe('SigV4 dated by a Date header instead of x-amz-date (boto3)', () => {
  interface Dated {
    sent: { date: string; 'x-amz-date': string | null };
    put: { status?: number; error?: unknown };
    get: { status?: number; sha256?: string; error?: unknown };
    sha256: string;
  }
  let results: Record<'botocore' | 'rfc850' | 'asctime', Dated>;
  beforeAll(async () => {
    results = await runPython('date_header.py', { endpoint: bridge.s3Url, ...DEMO, bucket: BUCKET });
  });

  it.each([
    ['botocore', /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d -0000$/],
    ['rfc850', /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d\d-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d\d \d\d:\d\d:\d\d GMT$/],
    ['asctime', /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \d{4}$/],
  ] as const)('in the %s form: PutObject and GetObject succeed', async (form, shape) => {
    const r = results[form];
    expect(r.sent['x-amz-date']).toBeNull();
    expect(r.sent.date).toMatch(shape);
    expect(r.put).toEqual({ status: 200 });
    expect(r.get).toEqual({ status: 200, sha256: r.sha256 });
  });
});

describe('S3 answers', () => {
  it('a backend error document carries the x-amz-request-id header as its RequestId (moto NoSuchKey)', async () => {
    const reply = await send(`${bridge.s3Url}/${BUCKET}/no/such/key`, { headers: await signed('GET', `/${BUCKET}/no/such/key`) });
    const err = s3Error(reply.text);
    expect([reply.status, err.code]).toEqual([404, 'NoSuchKey']);
    expect(reply.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
    expect(err.elements.RequestId).toBe(reply.headers['x-amz-request-id']);
    expect((await accessLine(reply.headers['x-amz-request-id'])).errorCode).toBe('NoSuchKey');
  });

  it.each(['DELETE', 'PUT'])('a signed %s / is 405 MethodNotAllowed in S3 XML', async (method) => {
    const reply = await send(`${bridge.s3Url}/`, { method, headers: await signed(method, '/') });
    expect(refusal(reply)).toEqual({ status: 405, code: 'MethodNotAllowed', message: 'The specified method is not allowed against this resource.' });
    expect(reply.headers['content-type']).toBe('application/xml');
    expect(s3Error(reply.text).elements.RequestId).toBe(reply.headers['x-amz-request-id']);
  });

  it('the access log names a moto NoSuchBucket as errorCode NoSuchBucket', async () => {
    const reply = await send(`${bridge.s3Url}/no-such-bucket/key`, { headers: await signed('GET', '/no-such-bucket/key') });
    expect(refusal(reply)).toMatchObject({ status: 404, code: 'NoSuchBucket' });
    expect(s3Error(reply.text).elements).toMatchObject({ BucketName: 'no-such-bucket', RequestId: reply.headers['x-amz-request-id'] });
    expect(await accessLine(reply.headers['x-amz-request-id'])).toMatchObject({
      operation: 'GetObject',
      backend: 'moto',
      status: 404,
      errorCode: 'NoSuchBucket',
    });
  });
});
