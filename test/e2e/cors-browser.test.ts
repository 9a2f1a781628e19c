// End to end: CORS in a real browser (Debian's chromium, driven by playwright-core) — pages on other origins GET and PUT through SigV4 presigned URLs and upload with presigned POST forms through s3bridge to moto, on a route with `cors` rules, on a route without (moto answers from the bucket's own CORS configuration), and from an origin the rules refuse.
//
// Results are read in the page (page.evaluate) and on moto directly. Each test gets a fresh browser context, so no
// preflight answer is cached from one test to the next.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateBucketCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { Browser, Page } from 'playwright-core';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';
import { launchChromium, startPageServer, type PageServer } from './helpers/browser.js';
import { captureRequests, objectDigest, sha256, type SeenRequest } from './helpers/stack.js';
import { refusal, send } from './helpers/http.js';

const RULED = 'web-ruled';
const PLAIN = 'plain-site';
let moto: MotoServer;
let bridge: TestBridge;
let direct: S3Client;
/** Presigns for the browser; WHEN_REQUIRED: a default PUT URL would carry the CRC32 of an empty body (as S3 would, s3bridge refuses any other body). */
let presigner: S3Client;
let app: PageServer;
let evil: PageServer;
let browser: Browser;
let seen: SeenRequest[];

beforeAll(async () => {
  [moto, app, evil, browser] = await Promise.all([startMoto(), startPageServer('app'), startPageServer('evil'), launchChromium()]);
  bridge = await startBridge({
    backends: [remoteBackend('moto', moto)],
    routes: [
      {
        bucket: 'web-*',
        backend: 'moto',
        cors: [
          {
            allowedOrigins: [app.origin],
            allowedMethods: ['GET', 'PUT', 'POST', 'HEAD'],
            allowedHeaders: ['*'],
            exposeHeaders: ['ETag', 'x-amz-request-id'],
            maxAgeSeconds: 600,
          },
        ],
      },
      { bucket: '*', backend: 'moto' },
    ],
  });
  seen = captureRequests(bridge);
  direct = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: moto, maxAttempts: 1 });
  presigner = bridge.client(undefined, undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  for (const Bucket of [RULED, PLAIN]) await direct.send(new CreateBucketCommand({ Bucket }));
  await direct.send(new PutObjectCommand({ Bucket: RULED, Key: 'hello.txt', Body: 'hello from moto', ContentType: 'text/plain' }));
  await direct.send(new PutObjectCommand({ Bucket: PLAIN, Key: 'hello.txt', Body: 'plain hello', ContentType: 'text/plain' }));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await bridge?.close(1000);
  await Promise.all([moto?.stop(), app?.close(), evil?.close()]);
});

/** A page on `server`'s origin in a fresh context. */
async function pageOn(server: PageServer): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.origin}/`);
  return page;
}

type FetchResult = { status: number; text: string; etag: string | null; requestId: string | null } | { error: string; message: string };

/** fetch() in the page; a CORS refusal surfaces as the TypeError the page would see. */
function pageFetch(page: Page, url: string, init: { method?: string; body?: string } = {}): Promise<FetchResult> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const res = await fetch(url, init);
        return { status: res.status, text: await res.text(), etag: res.headers.get('etag'), requestId: res.headers.get('x-amz-request-id') };
      } catch (e) {
        return { error: (e as Error).name, message: (e as Error).message };
      }
    },
    { url, init },
  );
}

const presignGet = (Bucket: string, Key: string) => getSignedUrl(presigner, new GetObjectCommand({ Bucket, Key }), { expiresIn: 300 });
const presignPut = (Bucket: string, Key: string) => getSignedUrl(presigner, new PutObjectCommand({ Bucket, Key }), { expiresIn: 300 });
const etagOf = async (Bucket: string, Key: string) => (await direct.send(new HeadObjectCommand({ Bucket, Key }))).ETag ?? '';
const preflights = (origin: string, path: string) => seen.filter((r) => r.method === 'OPTIONS' && r.headers.origin === origin && r.url.startsWith(path));

describe('a route with cors rules, from an allowed origin', () => {
  it('GETs and PUTs through presigned URLs; the preflight is answered by s3bridge; exposed headers are readable', async () => {
    const page = await pageOn(app);
    const got = await pageFetch(page, await presignGet(RULED, 'hello.txt'));
    expect(got).toEqual({ status: 200, text: 'hello from moto', etag: await etagOf(RULED, 'hello.txt'), requestId: expect.stringMatching(/^[0-9A-F]{16}$/) });
    const put = await pageFetch(page, await presignPut(RULED, 'browser/put.txt'), { method: 'PUT', body: 'written by the browser' });
    expect(put).toMatchObject({ status: 200, text: '', etag: await etagOf(RULED, 'browser/put.txt') });
    expect(await objectDigest(direct, RULED, 'browser/put.txt')).toEqual({ sha256: sha256('written by the browser'), length: 22 });
    const [preflight] = preflights(app.origin, `/${RULED}/browser/put.txt`);
    expect(preflight?.headers['access-control-request-method']).toBe('PUT');
    await page.context().close();
  });

  it("error answers carry the CORS headers too, so the page can read them (a backend 404, s3bridge's own 403)", async () => {
    const page = await pageOn(app);
    const missing = await pageFetch(page, await presignGet(RULED, 'no/such/key'));
    expect(missing).toMatchObject({ status: 404, text: expect.stringContaining('<Code>NoSuchKey</Code>') });
    const tampered = (await presignGet(RULED, 'hello.txt')).replace(/X-Amz-Signature=./, (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`);
    const refused = await pageFetch(page, tampered);
    expect(refused).toMatchObject({ status: 403, text: expect.stringContaining('<Code>SignatureDoesNotMatch</Code>') });
    await page.context().close();
  });

  it('uploads a file with a presigned POST form through fetch and FormData', async () => {
    const page = await pageOn(app);
    const { url, fields } = await createPresignedPost(presigner, { Bucket: RULED, Key: 'browser/${filename}', Fields: { success_action_status: '201' } });
    const result = await page.evaluate(
      async ({ url, fields }) => {
        const form = new FormData();
        for (const [k, v] of Object.entries(fields)) form.append(k, v);
        form.append('file', new Blob(['posted from FormData'], { type: 'text/plain' }), 'posted.txt');
        const res = await fetch(url, { method: 'POST', body: form });
        return { status: res.status, text: await res.text(), etag: res.headers.get('etag') };
      },
      { url, fields },
    );
    const etag = await etagOf(RULED, 'browser/posted.txt');
    expect(result.status).toBe(201);
    expect(result.etag).toBe(etag);
    expect(result.text).toContain(`<Key>browser/posted.txt</Key><ETag>${etag.replaceAll('"', '&quot;')}</ETag>`);
    expect(await objectDigest(direct, RULED, 'browser/posted.txt')).toEqual({ sha256: sha256('posted from FormData'), length: 20 });
    await page.context().close();
  });

  it("uploads with a real <form> submit that is redirected back to the page's origin", async () => {
    const page = await pageOn(app);
    const { url, fields } = await createPresignedPost(presigner, {
      Bucket: RULED,
      Key: 'form/${filename}',
      Fields: { success_action_redirect: `${app.origin}/done` },
    });
    await page.evaluate(
      ({ url, fields }) => {
        const form = Object.assign(document.createElement('form'), { method: 'POST', action: url, enctype: 'multipart/form-data' });
        for (const [name, value] of Object.entries(fields)) form.append(Object.assign(document.createElement('input'), { type: 'hidden', name, value }));
        form.append(Object.assign(document.createElement('input'), { type: 'file', name: 'file', id: 'file' }));
        form.append(Object.assign(document.createElement('button'), { type: 'submit', id: 'go', textContent: 'Upload' }));
        document.body.append(form);
      },
      { url, fields },
    );
    // A non-ASCII name: Chromium sends it as raw UTF-8 in Content-Disposition.
    await page.setInputFiles('#file', { name: 'chosen naïve €.txt', mimeType: 'text/plain', buffer: Buffer.from('picked in a file dialog') });
    await Promise.all([page.waitForURL(`${app.origin}/done?**`), page.click('#go')]);
    const landed = new URL(page.url());
    const etag = await etagOf(RULED, 'form/chosen naïve €.txt');
    expect(Object.fromEntries(landed.searchParams)).toEqual({ bucket: RULED, key: 'form/chosen naïve €.txt', etag });
    expect(await page.textContent('#where')).toBe(`app ${landed.pathname}${landed.search}`);
    expect(await objectDigest(direct, RULED, 'form/chosen naïve €.txt')).toEqual({ sha256: sha256('picked in a file dialog'), length: 23 });
    await page.context().close();
  });
});

describe('the bucket CORS operations on a route with cors rules', () => {
  it('GetBucketCors answers the configured rules (as the JS SDK reads them); PutBucketCors is 405 MethodNotAllowed', async () => {
    const s3 = bridge.client();
    const got = await s3.send(new GetBucketCorsCommand({ Bucket: RULED }));
    expect(got.CORSRules).toEqual([
      {
        AllowedOrigins: [app.origin],
        AllowedMethods: ['GET', 'PUT', 'POST', 'HEAD'],
        AllowedHeaders: ['*'],
        ExposeHeaders: ['ETag', 'x-amz-request-id'],
        MaxAgeSeconds: 600,
      },
    ]);
    const put = await s3
      .send(new PutBucketCorsCommand({ Bucket: RULED, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET'] }] } }))
      .then(
        () => undefined,
        (e: { name: string; $metadata: { httpStatusCode: number } }) => [e.name, e.$metadata.httpStatusCode],
      );
    expect(put).toEqual(['MethodNotAllowed', 405]);
  });
});

describe('a route with cors rules, from an origin they refuse', () => {
  it('the browser blocks the fetch: the PUT preflight is answered 403 and the PUT never sent; the GET answer has no Access-Control-Allow-Origin', async () => {
    const page = await pageOn(evil);
    const put = await pageFetch(page, await presignPut(RULED, 'evil/put.txt'), { method: 'PUT', body: 'should never land' });
    expect(put).toEqual({ error: 'TypeError', message: 'Failed to fetch' });
    const got = await pageFetch(page, await presignGet(RULED, 'hello.txt'));
    expect(got).toEqual({ error: 'TypeError', message: 'Failed to fetch' });
    await page.context().close();

    expect(preflights(evil.origin, `/${RULED}/evil/put.txt`).length).toBe(1);
    expect(seen.filter((r) => r.method === 'PUT' && r.url.startsWith(`/${RULED}/evil/`))).toEqual([]);
    const refusedPreflight = bridge.lines.find((l) => l.operation === 'OptionsObject' && l.key === 'evil/put.txt');
    expect(refusedPreflight).toMatchObject({ status: 403, errorCode: 'AccessForbidden' });
    const head = await direct.send(new HeadObjectCommand({ Bucket: RULED, Key: 'evil/put.txt' })).then(
      () => 200,
      (e: { $metadata: { httpStatusCode: number } }) => e.$metadata.httpStatusCode,
    );
    expect(head).toBe(404);
    // What the browser got, seen from outside it.
    const preflight = await send(`${bridge.s3Url}/${RULED}/evil/put.txt`, {
      method: 'OPTIONS',
      headers: { origin: evil.origin, 'access-control-request-method': 'PUT' },
    });
    expect(refusal(preflight)).toMatchObject({ status: 403, code: 'AccessForbidden' });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe("a route without cors rules: the bucket's own CORS configuration on moto answers", () => {
  it('PutBucketCors through s3bridge, then the browser GETs and PUTs; the refused origin is blocked', async () => {
    await bridge.client().send(
      new PutBucketCorsCommand({
        Bucket: PLAIN,
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: [app.origin], AllowedMethods: ['GET', 'PUT'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'] }] },
      }),
    );
    const page = await pageOn(app);
    const got = await pageFetch(page, await presignGet(PLAIN, 'hello.txt'));
    expect(got).toMatchObject({ status: 200, text: 'plain hello', etag: await etagOf(PLAIN, 'hello.txt') });
    const put = await pageFetch(page, await presignPut(PLAIN, 'browser/put.txt'), { method: 'PUT', body: 'through moto rules' });
    expect(put).toMatchObject({ status: 200, etag: await etagOf(PLAIN, 'browser/put.txt') });
    expect(await objectDigest(direct, PLAIN, 'browser/put.txt')).toEqual({ sha256: sha256('through moto rules'), length: 18 });
    await page.context().close();
    const forwarded = bridge.lines.find((l) => l.operation === 'OptionsObject' && l.bucket === PLAIN && l.key === 'browser/put.txt');
    expect(forwarded).toMatchObject({ backend: 'moto', status: 200 });

    const evilPage = await pageOn(evil);
    expect(await pageFetch(evilPage, await presignPut(PLAIN, 'evil/put.txt'), { method: 'PUT', body: 'no' })).toEqual({
      error: 'TypeError',
      message: 'Failed to fetch',
    });
    await evilPage.context().close();
    expect(seen.filter((r) => r.method === 'PUT' && r.url.startsWith(`/${PLAIN}/evil/`))).toEqual([]);
  });
});
