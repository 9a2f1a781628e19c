// End to end: unsigned requests per route — `anonymous: read` (served with the backend's keys from moto in auth mode), `anonymous: backend` (forwarded unsigned to a recording backend), `deny` (the default) — and how the access log and metrics show them.
//
// moto runs with signature checking on, so an unsigned request it answers must have been signed by s3bridge with
// moto's keys. Every refused write is checked on moto directly: nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { XMLParser } from 'fast-xml-parser';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { DEMO, remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';
import { waitFor } from '../helpers/wait.js';
import { refusal, send } from './helpers/http.js';
import { objectDigest, sha256 } from './helpers/stack.js';

const REC_CREDS = { accessKeyId: 'rec', secretAccessKey: 'rec-secret' };
const PUBLIC = 'pub-site';
const PRIVATE = 'priv-data';
const OPEN = 'open-site';
const page = Buffer.from('<html>a public page</html>\n');
let moto: MotoServer;
let rec: RecordingBackend;
let bridge: TestBridge;
let direct: S3Client;
const xml = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'Contents' });

beforeAll(async () => {
  [moto, rec] = await Promise.all([startMoto({ auth: true }), startRecordingBackend(REC_CREDS)]);
  bridge = await startBridge({
    backends: [remoteBackend('moto', moto), remoteBackend('rec', { endpoint: rec.endpoint, ...REC_CREDS })],
    routes: [
      { bucket: 'pub-*', backend: 'moto', anonymous: 'read' },
      { bucket: 'open-*', backend: 'rec', anonymous: 'backend' },
      { bucket: 'priv-*', backend: 'moto' },
    ],
  });
  direct = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: moto, maxAttempts: 1 });
  for (const Bucket of [PUBLIC, PRIVATE]) await direct.send(new CreateBucketCommand({ Bucket }));
  await direct.send(new PutObjectCommand({ Bucket: PUBLIC, Key: 'index.html', Body: page, ContentType: 'text/html' }));
  await direct.send(new PutObjectCommand({ Bucket: PUBLIC, Key: 'docs/a.txt', Body: 'a' }));
  await direct.send(new PutObjectCommand({ Bucket: PRIVATE, Key: 'secret.txt', Body: 'secret' }));
  // The recording backend plays a store with its own public-read policy: unsigned reads of open-site pass, writes don't.
  rec.faults.onRequest = (r, _req, res) => {
    if (r.headers.authorization !== undefined) return false;
    if (r.method === 'GET' && r.url === `/${OPEN}/index.html`) {
      res.writeHead(200, { 'content-type': 'text/html', etag: '"backend-etag"', 'x-amz-request-id': 'REC-RID', 'content-length': page.length });
      res.end(page);
    } else {
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Denied by the bucket policy</Message><RequestId>REC-RID</RequestId></Error>';
      res.writeHead(403, { 'content-type': 'application/xml', 'x-amz-request-id': 'REC-RID', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }
    return true;
  };
}, 60_000);

afterAll(async () => {
  await bridge?.close(1000);
  await Promise.all([moto?.stop(), rec?.stop()]);
});

const url = (path: string) => `${bridge.s3Url}${path}`;
const ANONYMOUS_DENIED = { status: 403, code: 'AccessDenied', message: 'Anonymous access is not allowed here; sign the request with SigV4.' };

/** The access-log line of the request s3bridge answered with this x-amz-request-id. */
async function accessLine(requestId: string | string[] | undefined): Promise<Record<string, unknown>> {
  await waitFor(() => bridge.lines.some((l) => l.requestId === requestId && 'status' in l), 5000, `the access-log line of ${String(requestId)}`);
  return bridge.lines.find((l) => l.requestId === requestId && 'status' in l)!;
}

describe('anonymous: read', () => {
  it('serves unsigned GET (whole and ranged) and HEAD from moto, which checks signatures: s3bridge signed them', async () => {
    const got = await send(url(`/${PUBLIC}/index.html`));
    expect([got.status, got.headers['content-type'], sha256(got.body)]).toEqual([200, 'text/html', sha256(page)]);
    const ranged = await send(url(`/${PUBLIC}/index.html`), { headers: { range: 'bytes=6-11' } });
    expect([ranged.status, ranged.text]).toEqual([206, page.subarray(6, 12).toString()]);
    const head = await send(url(`/${PUBLIC}/index.html`), { method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.headers.etag]).toEqual([200, String(page.length), got.headers.etag]);
    expect((await send(url(`/${PUBLIC}`), { method: 'HEAD' })).status).toBe(200);
  });

  it('serves unsigned ListObjects and ListObjectsV2', async () => {
    const v1 = await send(url(`/${PUBLIC}?prefix=`));
    expect(v1.status).toBe(200);
    expect(xml.parse(v1.text).ListBucketResult.Contents.map((c: { Key: string }) => c.Key)).toEqual(['docs/a.txt', 'index.html']);
    // No "/" in the prefix: moto in auth mode re-quotes it and would refuse its own signature (test-backends.md).
    const v2 = await send(url(`/${PUBLIC}?list-type=2&prefix=docs`));
    expect(v2.status).toBe(200);
    expect(xml.parse(v2.text).ListBucketResult).toMatchObject({ Name: PUBLIC, KeyCount: '1', Contents: [{ Key: 'docs/a.txt' }] });
  });

  it('refuses unsigned PUT, DELETE and non-read operations with 403 AccessDenied; moto is unchanged', async () => {
    expect(refusal(await send(url(`/${PUBLIC}/index.html`), { method: 'PUT', body: 'defaced' }))).toEqual(ANONYMOUS_DENIED);
    expect(refusal(await send(url(`/${PUBLIC}/new.html`), { method: 'PUT', body: 'new' }))).toEqual(ANONYMOUS_DENIED);
    expect(refusal(await send(url(`/${PUBLIC}/index.html`), { method: 'DELETE' }))).toEqual(ANONYMOUS_DENIED);
    expect(refusal(await send(url(`/${PUBLIC}?delete`), { method: 'POST', body: '<Delete><Object><Key>index.html</Key></Object></Delete>' }))).toEqual(
      ANONYMOUS_DENIED,
    );
    expect(refusal(await send(url(`/${PUBLIC}/index.html?acl`)))).toEqual(ANONYMOUS_DENIED);
    expect(refusal(await send(url(`/${PUBLIC}?policy`)))).toEqual(ANONYMOUS_DENIED);
    expect(await objectDigest(direct, PUBLIC, 'index.html')).toEqual({ sha256: sha256(page), length: page.length });
    const keys = (await direct.send(new ListObjectsV2Command({ Bucket: PUBLIC }))).Contents?.map((c) => c.Key);
    expect(keys).toEqual(['docs/a.txt', 'index.html']);
  });

  it('a signed client still writes there', async () => {
    await bridge.client().send(new PutObjectCommand({ Bucket: PUBLIC, Key: 'signed.txt', Body: 'by demo' }));
    expect(await objectDigest(direct, PUBLIC, 'signed.txt')).toEqual({ sha256: sha256('by demo'), length: 7 });
  });
});

describe('anonymous: backend', () => {
  it("forwards unsigned requests unsigned; the backend's answers, success and refusal, pass through", async () => {
    const before = rec.requests.length;
    const got = await send(url(`/${OPEN}/index.html`));
    expect([got.status, got.headers.etag, got.text]).toEqual([200, '"backend-etag"', page.toString()]);
    const put = await send(url(`/${OPEN}/index.html`), { method: 'PUT', body: 'defaced' });
    expect(refusal(put)).toEqual({ status: 403, code: 'AccessDenied', message: 'Denied by the bucket policy' });
    // S3 promises the document's RequestId is the x-amz-request-id header; s3bridge's own id in both.
    expect(put.text).toContain(`<RequestId>${put.headers['x-amz-request-id']}</RequestId>`);
    const seen = rec.requests.slice(before);
    expect(seen.map((r) => [r.method, r.url.split('?')[0]])).toEqual([
      ['GET', `/${OPEN}/index.html`],
      ['PUT', `/${OPEN}/index.html`],
    ]);
    for (const r of seen) {
      expect(r.headers.authorization).toBeUndefined();
      expect(Object.keys(r.headers).filter((h) => h.startsWith('x-amz-date') || h === 'x-amz-security-token')).toEqual([]);
      expect(r.url).not.toMatch(/X-Amz-Signature|X-Amz-Credential|Signature=/i);
    }
  });

  it("a signed request on the same route is re-signed with the backend's keys", async () => {
    await bridge.client().send(new PutObjectCommand({ Bucket: OPEN, Key: 'signed.txt', Body: 'signed' }));
    const put = [...rec.requests].reverse().find((r) => r.method === 'PUT' && r.url.startsWith(`/${OPEN}/signed.txt`))!;
    expect(put.auth).toMatchObject({ ok: true, form: 'header' });
    expect(put.headers.authorization).toContain(`Credential=${REC_CREDS.accessKeyId}/`);
  });
});

describe('deny (the default)', () => {
  it('refuses every unsigned request with 403 AccessDenied, reads included', async () => {
    expect(refusal(await send(url(`/${PRIVATE}/secret.txt`)))).toEqual(ANONYMOUS_DENIED);
    expect(refusal(await send(url(`/${PRIVATE}`)))).toEqual(ANONYMOUS_DENIED);
    expect(refusal(await send(url(`/${PRIVATE}/x`), { method: 'PUT', body: 'x' }))).toEqual(ANONYMOUS_DENIED);
    expect((await send(url(`/${PRIVATE}/secret.txt`), { method: 'HEAD' })).status).toBe(403);
    expect(refusal(await send(url('/')))).toEqual(ANONYMOUS_DENIED);
    const keys = (await direct.send(new ListObjectsV2Command({ Bucket: PRIVATE }))).Contents?.map((c) => c.Key);
    expect(keys).toEqual(['secret.txt']);
  });
});

describe('observability', () => {
  it('the access log shows anonymous requests without an accessKeyId; signed ones with theirs', async () => {
    const anon = await send(url(`/${PUBLIC}/index.html`));
    const line = await accessLine(anon.headers['x-amz-request-id']);
    expect(line).toMatchObject({ operation: 'GetObject', bucket: PUBLIC, key: 'index.html', backend: 'moto', status: 200, bytesOut: page.length });
    expect('accessKeyId' in line).toBe(false);
    const refused = await send(url(`/${PUBLIC}/index.html`), { method: 'DELETE' });
    const refusedLine = await accessLine(refused.headers['x-amz-request-id']);
    expect(refusedLine).toMatchObject({ operation: 'DeleteObject', status: 403, errorCode: 'AccessDenied' });
    expect('accessKeyId' in refusedLine).toBe(false);
    const signed = bridge.lines.find((l) => l.bucket === PUBLIC && l.key === 'signed.txt' && l.operation === 'PutObject');
    expect(signed).toMatchObject({ accessKeyId: DEMO.accessKeyId, status: 200 });
  });

  it('s3bridge_requests_total counts them under its usual labels (operation, backend, status)', async () => {
    const text = await (await fetch(`${bridge.adminUrl}/metrics`)).text();
    const series = text.split('\n').filter((l) => l.startsWith('s3bridge_requests_total{'));
    for (const s of series) expect(s).toMatch(/^s3bridge_requests_total\{operation="[A-Za-z0-9]+",backend="[a-z-]+",status="\d{3}"\} \d+$/);
    const count = (labels: string) => Number(series.find((s) => s.startsWith(`s3bridge_requests_total{${labels}}`))?.split(' ')[1] ?? 0);
    expect(count('operation="GetObject",backend="moto",status="200"')).toBeGreaterThanOrEqual(2);
    expect(count('operation="ListObjectsV2",backend="moto",status="200"')).toBe(1);
    expect(count('operation="GetObject",backend="rec",status="200"')).toBe(1);
    expect(count('operation="PutObject",backend="rec",status="403"')).toBe(1);
    expect(count('operation="DeleteObject",backend="none",status="403"')).toBe(2);
  });
});
