// The embedded store on the wire, with raw aws4-signed requests: authentication, request bodies, ranges, conditions, errors (listings: store-listing.test.ts).
import { createHash } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeAwsChunked, deriveSigningKey } from '../helpers/aws-chunked-encode.js';
import { raw, tag, type RawOptions } from '../helpers/store-raw.js';
import { storeClient, startTestStore, type TestStore } from '../helpers/store.js';

let store: TestStore;
let s3: S3Client;
const send = (opts: RawOptions) => raw(store.endpoint, store, opts);

beforeAll(async () => {
  store = await startTestStore();
  s3 = store.client();
  await s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
  await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'digits', Body: '0123456789' }));
});
afterAll(() => store?.stop());

describe('authentication', () => {
  it.each([
    ['GET /', '/'],
    ['GET an object', '/bkt/digits'],
    ['PUT an object', '/bkt/anon'],
    ['a fake query signature name', '/bkt/digits?X-Amz-Algorithmx=1'],
  ])('an anonymous request (%s) is 403 AccessDenied', async (_what, path) => {
    const r = await send({ method: path.endsWith('anon') ? 'PUT' : 'GET', path, sign: false, body: path.endsWith('anon') ? 'x' : undefined });
    expect(r.status).toBe(403);
    expect(tag(r.text, 'Code')).toBe('AccessDenied');
  });

  it.each<[string, { accessKeyId: string; secretAccessKey: string }, string]>([
    ['a wrong secret', { accessKeyId: 'REPLACED', secretAccessKey: 'wrong' }, 'SignatureDoesNotMatch'],
    ['an unknown key', { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' }, 'InvalidAccessKeyId'],
  ])('%s is refused with 403 %s, and nothing is written', async (_what, creds, code) => {
    const credentials = creds.accessKeyId === 'REPLACED' ? { ...creds, accessKeyId: store.accessKeyId } : creds;
    const r = await send({ method: 'PUT', path: '/bkt/forged', body: 'x', credentials });
    expect([r.status, tag(r.text, 'Code')]).toEqual([403, code]);
    expect(r.text).not.toContain(store.secretAccessKey);
    expect((await send({ method: 'HEAD', path: '/bkt/forged' })).status).toBe(404);
  });

  it('a changed path after signing is SignatureDoesNotMatch (the signature covers the request)', async () => {
    const signedFor = await raw(store.endpoint, store, { method: 'GET', path: '/bkt/digits', presign: true });
    expect(signedFor.status).toBe(200);
    const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bkt', Key: 'digits' }), { expiresIn: 60 });
    expect(await (await fetch(url)).text()).toBe('0123456789');
    const tampered = await fetch(url.replace('/digits', '/digitz'));
    expect(tampered.status).toBe(403);
    expect(await tampered.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('a wrong region is AuthorizationHeaderMalformed', async () => {
    const other = storeClient(store.endpoint, store, { region: 'eu-west-1' });
    await expect(other.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'digits' }))).rejects.toMatchObject({ name: 'AuthorizationHeaderMalformed' });
  });
});

describe('request bodies', () => {
  it('a hex payload hash is checked: XAmzContentSHA256Mismatch, nothing stored', async () => {
    const r = await send({ method: 'PUT', path: '/bkt/hashed', headers: { 'x-amz-content-sha256': 'a'.repeat(64) }, body: 'not empty' });
    expect([r.status, tag(r.text, 'Code')]).toEqual([400, 'XAmzContentSHA256Mismatch']);
    expect((await send({ method: 'HEAD', path: '/bkt/hashed' })).status).toBe(404);
    const good = await send({
      method: 'PUT',
      path: '/bkt/hashed',
      headers: { 'x-amz-content-sha256': createHash('sha256').update('ok').digest('hex') },
      body: 'ok',
    });
    expect(good.status).toBe(200);
  });

  it('a wrong Content-MD5 is BadDigest; a malformed one InvalidDigest', async () => {
    const bad = await send({ method: 'PUT', path: '/bkt/md5', headers: { 'content-md5': createHash('md5').update('other').digest('base64') }, body: 'data' });
    expect([bad.status, tag(bad.text, 'Code')]).toEqual([400, 'BadDigest']);
    const malformed = await send({ method: 'PUT', path: '/bkt/md5', headers: { 'content-md5': 'nope' }, body: 'data' });
    expect([malformed.status, tag(malformed.text, 'Code')]).toEqual([400, 'InvalidDigest']);
  });

  it.each(['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'] as const)(
    'aws-chunked %s is decoded, never stored as framing',
    async (mode) => {
      const data = Buffer.from('aws-chunked body '.repeat(2000));
      const date = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
      // Sign the request first (aws4 computes the seed signature), then build the chunks on it.
      const headers: Record<string, string> = {
        'x-amz-content-sha256': mode,
        'x-amz-decoded-content-length': String(data.length),
        'content-encoding': 'aws-chunked',
        'x-amz-date': date,
      };
      if (mode === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') headers['x-amz-trailer'] = 'x-amz-checksum-crc32';
      const aws4 = (await import('aws4')).default;
      const url = new URL(store.endpoint);
      const signed = aws4.sign({ host: url.host, path: '/bkt/chunked', method: 'PUT', service: 's3', region: 'us-east-1', headers: { ...headers } }, store);
      const seed = /Signature=([0-9a-f]{64})/.exec(String(signed.headers!.Authorization))![1]!;
      const body = encodeAwsChunked(data, {
        chunkSizes: 8192,
        mode,
        signing: {
          signingKey: deriveSigningKey(store.secretAccessKey, date.slice(0, 8), 'us-east-1'),
          timestamp: date,
          scope: `${date.slice(0, 8)}/us-east-1/s3/aws4_request`,
          seedSignature: seed,
        },
        ...(mode === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' ? { trailer: { name: 'x-amz-checksum-crc32' } } : {}),
      });
      const r = await send({
        method: 'PUT',
        path: '/bkt/chunked',
        sign: false,
        headers: { ...(signed.headers as Record<string, string>), 'content-length': String(body.length) },
        body,
      });
      expect(r.status).toBe(200);
      expect(r.headers.etag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
      const got = await send({ method: 'GET', path: '/bkt/chunked' });
      expect(got.body.equals(data)).toBe(true);
    },
  );

  it('a PUT without Content-Length (chunked transfer) is 411 MissingContentLength', async () => {
    const { Readable } = await import('node:stream');
    const r = await send({ method: 'PUT', path: '/bkt/no-length', body: Readable.from([Buffer.from('abc')]) });
    expect([r.status, tag(r.text, 'Code')]).toEqual([411, 'MissingContentLength']);
  });
});

describe('ranges (10-byte object "0123456789")', () => {
  it.each<[string, number, string, string | undefined]>([
    ['bytes=0-4', 206, '01234', 'bytes 0-4/10'],
    ['bytes=7-', 206, '789', 'bytes 7-9/10'],
    ['bytes=-3', 206, '789', 'bytes 7-9/10'],
    ['bytes=-5', 206, '56789', 'bytes 5-9/10'],
    ['bytes=-20', 206, '0123456789', 'bytes 0-9/10'],
    ['bytes=8-1000', 206, '89', 'bytes 8-9/10'],
    ['bytes=5-2', 200, '0123456789', undefined],
    ['bytes=0-1,4-5', 200, '0123456789', undefined],
    ['bytes=10-', 416, '', 'bytes */10'],
    ['bytes=-0', 416, '', 'bytes */10'],
  ])('Range %s → %i', async (range, status, text, contentRange) => {
    const r = await send({ method: 'GET', path: '/bkt/digits', headers: { range } });
    expect(r.status).toBe(status);
    expect(r.headers['content-range']).toBe(contentRange);
    if (status === 416) {
      expect(tag(r.text, 'Code')).toBe('InvalidRange');
      expect(tag(r.text, 'ActualObjectSize')).toBe('10');
    } else {
      expect(r.text).toBe(text);
      expect(r.headers['content-length']).toBe(String(text.length));
    }
  });

  it('HEAD with a Range answers its length; partNumber with Range is refused', async () => {
    const head = await send({ method: 'HEAD', path: '/bkt/digits', headers: { range: 'bytes=2-4' } });
    expect([head.status, head.headers['content-length'], head.headers['content-range']]).toEqual([206, '3', 'bytes 2-4/10']);
    const both = await send({ method: 'GET', path: '/bkt/digits?partNumber=1', headers: { range: 'bytes=0-1' } });
    expect([both.status, tag(both.text, 'Code')]).toEqual([400, 'InvalidRequest']);
    const part1 = await send({ method: 'GET', path: '/bkt/digits?partNumber=1' });
    expect([part1.status, part1.text]).toEqual([206, '0123456789']);
    const part2 = await send({ method: 'GET', path: '/bkt/digits?partNumber=2' });
    expect([part2.status, tag(part2.text, 'Code')]).toEqual([416, 'InvalidPartNumber']);
  });
});

describe('conditional GET and HEAD', () => {
  let etag: string;
  let lastModified: string;
  beforeAll(async () => {
    const r = await send({ method: 'HEAD', path: '/bkt/digits' });
    etag = String(r.headers.etag);
    lastModified = String(r.headers['last-modified']);
  });
  const LONG_AGO = 'Sat, 01 Jan 2000 00:00:00 GMT';

  it.each<[string, () => Record<string, string>, number, string | undefined]>([
    ['If-Match equal', () => ({ 'if-match': etag }), 200, undefined],
    ['If-Match other', () => ({ 'if-match': '"other"' }), 412, 'If-Match'],
    ['If-None-Match equal', () => ({ 'if-none-match': etag }), 304, undefined],
    ['If-None-Match other', () => ({ 'if-none-match': '"other"' }), 200, undefined],
    ['If-Modified-Since = Last-Modified', () => ({ 'if-modified-since': lastModified }), 304, undefined],
    ['If-Modified-Since long ago', () => ({ 'if-modified-since': LONG_AGO }), 200, undefined],
    ['If-Unmodified-Since = Last-Modified', () => ({ 'if-unmodified-since': lastModified }), 200, undefined],
    ['If-Unmodified-Since long ago', () => ({ 'if-unmodified-since': LONG_AGO }), 412, 'If-Unmodified-Since'],
    ['If-Match true + If-Unmodified-Since false', () => ({ 'if-match': etag, 'if-unmodified-since': LONG_AGO }), 200, undefined],
    ['If-None-Match false + If-Modified-Since true', () => ({ 'if-none-match': etag, 'if-modified-since': LONG_AGO }), 304, undefined],
    ['If-Match false + If-None-Match false', () => ({ 'if-match': '"other"', 'if-none-match': etag }), 412, 'If-Match'],
  ])('%s → %i', async (_what, headers, status, condition) => {
    for (const method of ['GET', 'HEAD']) {
      const r = await send({ method, path: '/bkt/digits', headers: headers() });
      expect(r.status).toBe(status);
      if (status === 304) {
        expect(r.headers.etag).toBe(etag);
        expect(r.body.length).toBe(0);
      }
      if (status === 412 && method === 'GET') expect([tag(r.text, 'Code'), tag(r.text, 'Condition')]).toEqual(['PreconditionFailed', condition]);
    }
  });

  it('conditional writes: If-None-Match * does not overwrite, If-Match must name the current ETag', async () => {
    expect((await send({ method: 'PUT', path: '/bkt/cond-write', headers: { 'if-none-match': '*' }, body: 'first' })).status).toBe(200);
    const again = await send({ method: 'PUT', path: '/bkt/cond-write', headers: { 'if-none-match': '*' }, body: 'second' });
    expect([again.status, tag(again.text, 'Code')]).toEqual([412, 'PreconditionFailed']);
    expect((await send({ method: 'GET', path: '/bkt/cond-write' })).text).toBe('first');
    const stale = await send({ method: 'PUT', path: '/bkt/cond-write', headers: { 'if-match': '"0000"' }, body: 'third' });
    expect(stale.status).toBe(412);
    const current = (await send({ method: 'HEAD', path: '/bkt/cond-write' })).headers.etag!;
    expect((await send({ method: 'PUT', path: '/bkt/cond-write', headers: { 'if-match': String(current) }, body: 'fourth' })).status).toBe(200);
    expect((await send({ method: 'GET', path: '/bkt/cond-write' })).text).toBe('fourth');
  });
});

describe('anything else', () => {
  it.each([
    ['GET', '/bkt?replication'],
    ['PUT', '/bkt?replication'],
    ['GET', '/bkt?inventory'],
    ['POST', '/bkt/k?select&select-type=2'],
    ['GET', '/bkt?metrics'],
    ['PUT', '/bkt?notification'],
    ['POST', '/bkt'],
    ['PUT', '/bkt?logging'],
  ])('%s %s is 501 NotImplemented in S3 error XML', async (method, path) => {
    const r = await send({ method, path, body: method === 'GET' || method === 'DELETE' ? undefined : '<x/>' });
    expect(r.status).toBe(501);
    expect(tag(r.text, 'Code')).toBe('NotImplemented');
    expect(tag(r.text, 'RequestId')).toBe(r.headers['x-amz-request-id']);
  });

  it("a request no S3 operation has (s3bridge's strict parser) is refused before anything else", async () => {
    const r = await send({ method: 'DELETE', path: '/' });
    expect([r.status, tag(r.text, 'Code')]).toEqual([405, 'MethodNotAllowed']);
  });

  it('GetBucketVersioning says: never versioned', async () => {
    const r = await send({ method: 'GET', path: '/bkt?versioning' });
    expect(r.status).toBe(200);
    expect(r.text).toContain('<VersioningConfiguration');
    expect(r.text).not.toContain('<Status>');
  });

  it('a version id other than "null" is InvalidArgument; "null" names the object', async () => {
    expect((await send({ method: 'GET', path: '/bkt/digits?versionId=null' })).text).toBe('0123456789');
    expect(tag((await send({ method: 'GET', path: '/bkt/digits?versionId=3HL4kqtJlcpXroDTDmJ' })).text, 'Code')).toBe('InvalidArgument');
  });

  it('errors carry the resource and a request id', async () => {
    const r = await send({ method: 'GET', path: '/bkt/missing%20key' });
    expect([r.status, tag(r.text, 'Code'), tag(r.text, 'Key'), tag(r.text, 'Resource')]).toEqual([404, 'NoSuchKey', 'missing key', '/bkt/missing key']);
  });
});
