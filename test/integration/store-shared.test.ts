// The shared S3 behaviour tables the test backends pass (test/helpers/behaviour-tables.ts, run on moto and the recording backend in backends.test.ts), run against the embedded store.
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTH_FAILURES, AWKWARD_KEYS, INTEGRITY_FAILURES, RANGES, multipartOf2k } from '../helpers/behaviour-tables.js';
import { raw } from '../helpers/store-raw.js';
import { failure, startTestStore, storeClient, type TestStore } from '../helpers/store.js';

let store: TestStore;
let client: S3Client;

const exists = async (key: string) => (await raw(store.endpoint, store, { method: 'HEAD', path: `/bkt/${encodeURIComponent(key)}` })).status === 200;

beforeAll(async () => {
  // S3's own part minimum (5 MiB), as moto keeps it by default.
  store = await startTestStore({ minPartSize: 5 * 1024 * 1024 });
  client = store.client(); // SDK defaults, as most users run it
  await client.send(new CreateBucketCommand({ Bucket: 'bkt' }));
});
afterAll(() => store?.stop());

describe('the shared tables, against the embedded store', () => {
  it.each(AWKWARD_KEYS)('verifies the SDK signature of key %j and stores it under that exact key', async (key) => {
    await client.send(new PutObjectCommand({ Bucket: 'bkt', Key: key, Body: 'x' }));
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: key }));
    expect(listed.Contents?.map((o) => o.Key)).toContain(key);
    expect(await (await client.send(new GetObjectCommand({ Bucket: 'bkt', Key: key }))).Body!.transformToString()).toBe('x');
  });

  it.each(AUTH_FAILURES)('answers %s with %s', async (_what, code, status, extra, creds) => {
    const e = await failure(storeClient(store.endpoint, creds(store), extra).send(new PutObjectCommand({ Bucket: 'bkt', Key: 'denied', Body: 'x' })));
    expect(e).toEqual({ name: code, status });
    expect(await exists('denied')).toBe(false);
  });

  it('verifies presigned URLs and rejects a tampered one', async () => {
    await client.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'pre.txt', Body: 'presigned' }));
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'bkt', Key: 'pre.txt' }), { expiresIn: 60 });
    const ok = await fetch(url);
    expect([ok.status, await ok.text()]).toEqual([200, 'presigned']);
    const bad = await fetch(url.replace('pre.txt', 'pre2.txt'));
    expect(bad.status).toBe(403);
    expect(await bad.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('agrees with aws4 on an encoded path, and reads a raw "+" in the path as a plus, as S3 does', async () => {
    expect((await raw(store.endpoint, store, { method: 'PUT', path: '/bkt/a%2Bb%20c', body: 'x' })).status).toBe(200);
    expect(await exists('a+b c')).toBe(true);
    // aws4 decodes "+" in a path as a space before signing: a re-signer must send %2B, or S3 rejects it.
    const plus = await raw(store.endpoint, store, { method: 'PUT', path: '/bkt/a+b', body: 'x' });
    expect(plus.status).toBe(403);
    expect(plus.text).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it.each(INTEGRITY_FAILURES)('rejects a body with %s', async (_what, headers, code) => {
    const reply = await raw(store.endpoint, store, { method: 'PUT', path: '/bkt/integrity', headers, body: 'not empty' });
    expect(reply.status).toBe(400);
    expect(reply.text).toContain(`<Code>${code}</Code>`);
    expect(await exists('integrity')).toBe(false);
  });

  it.each(RANGES)('GET with Range %s answers %i', async (range, status, text) => {
    await client.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'digits', Body: '0123456789' }));
    const reply = await raw(store.endpoint, store, { method: 'GET', path: '/bkt/digits', headers: { range } });
    expect(reply.status).toBe(status);
    if (status !== 416) expect(reply.text).toBe(text);
    else expect(reply.text).toContain('<Code>InvalidRange</Code>');
  });

  it("keeps S3's 5 MiB part minimum by default, and a lowered one is honoured", async () => {
    expect((await failure(multipartOf2k(client, 'bkt'))).name).toBe('EntityTooSmall');
    const small = await startTestStore({ minPartSize: 1024 });
    try {
      const c = small.client();
      await c.send(new CreateBucketCommand({ Bucket: 'bkt' }));
      await multipartOf2k(c, 'bkt');
    } finally {
      await small.stop();
    }
  });
});
