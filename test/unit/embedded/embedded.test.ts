// The embedded backend: the store (src/store) started inside s3bridge's process on 127.0.0.1, with a key pair made per start.
import { readFileSync, readdirSync, statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmbedded, type TestEmbedded } from '../../helpers/embedded.js';
import { failure } from '../../helpers/store.js';

function client(endpoint: string, accessKeyId: string, secretAccessKey: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

async function refused(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint);
    return false;
  } catch {
    return true;
  }
}

const started: TestEmbedded[] = [];
async function start(opts: Parameters<typeof startTestEmbedded>[0] = {}): Promise<TestEmbedded> {
  const s = await startTestEmbedded(opts);
  started.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

describe('startEmbedded', () => {
  let srv: TestEmbedded;
  let s3: S3Client;
  beforeAll(async () => {
    const t0 = Date.now();
    srv = await start();
    // Typically a few ms; the bound is loose so a busy 2-core machine does not fail it.
    expect(Date.now() - t0).toBeLessThan(5_000);
    s3 = client(srv.endpoint, srv.accessKeyId, srv.secretAccessKey);
    await s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
  });

  it('listens on 127.0.0.1 and serves objects with its generated keys, stored under dir', async () => {
    expect(srv.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(srv.accessKeyId).toMatch(/^[A-Z0-9]{16,}$/);
    expect(srv.secretAccessKey.length).toBeGreaterThanOrEqual(30);
    expect(srv.events).toEqual([{ event: 'ready', name: 'local', port: Number(new URL(srv.endpoint).port) }]);
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'dir/hello.txt', Body: 'hello world' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'dir/hello.txt' }));
    expect(await got.Body!.transformToString()).toBe('hello world');
    expect(statSync(srv.dir).mode & 0o777).toBe(0o700);
    // The bucket's folder: its name hex-encoded (never a path built from a raw name).
    expect(readdirSync(join(srv.dir, 'buckets'))).toEqual([Buffer.from('bkt').toString('hex')]);
  });

  it('generates different keys for each server and uses given ones', async () => {
    const other = await start({ accessKeyId: 'GIVENKEY', secretAccessKey: 'given-secret-key' });
    expect(other.accessKeyId).toBe('GIVENKEY');
    expect(other.secretAccessKey).toBe('given-secret-key');
    expect(other.endpoint).not.toBe(srv.endpoint);
    const s3b = client(other.endpoint, 'GIVENKEY', 'given-secret-key');
    await s3b.send(new CreateBucketCommand({ Bucket: 'other' }));
    // Each store knows only its own key: srv's key means nothing to the other server.
    const e = await failure(client(other.endpoint, srv.accessKeyId, srv.secretAccessKey).send(new CreateBucketCommand({ Bucket: 'x-other' })));
    expect(e.name).toBe('InvalidAccessKeyId');
    await other.stop();
  });

  it.each([
    ['the well-known S3RVER key', 'S3RVER', 'S3RVER', 'InvalidAccessKeyId'],
    ['an unknown key', 'NOPE', 'whatever', 'InvalidAccessKeyId'],
  ])('rejects %s', async (_what, ak, sk, code) => {
    const e = await failure(client(srv.endpoint, ak, sk).send(new GetObjectCommand({ Bucket: 'bkt', Key: 'dir/hello.txt' })));
    expect(e.name).toBe(code);
    expect(e.status).toBe(403);
  });

  it('rejects a request signed with a wrong secret for its own key id (the signature is verified)', async () => {
    const e = await failure(client(srv.endpoint, srv.accessKeyId, 'not-the-secret').send(new GetObjectCommand({ Bucket: 'bkt', Key: 'dir/hello.txt' })));
    expect(e).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
  });

  it.each([
    ['GET /', '/'],
    ['GET an object', '/bkt/dir/hello.txt'],
    ['a fake query signature name', '/bkt/dir/hello.txt?X-Amz-Algorithmx=1'],
  ])('rejects an anonymous request (%s) with 403 AccessDenied', async (_what, path) => {
    const res = await fetch(srv.endpoint + path);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
  });

  it("keeps its keys in memory: not in this process's command line or environment, not on disk", () => {
    const cmdline = readFileSync('/proc/self/cmdline', 'utf8');
    const environ = readFileSync('/proc/self/environ', 'utf8');
    expect(cmdline).not.toContain(srv.secretAccessKey);
    expect(environ).not.toContain(srv.secretAccessKey);
    expect(JSON.stringify(process.env)).not.toContain(srv.secretAccessKey);
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    for (const file of walk(srv.dir)) expect(readFileSync(file).includes(srv.secretAccessKey)).toBe(false);
  });

  it('answers a CompleteMultipartUpload naming a part never uploaded with InvalidPart, and keeps serving', async () => {
    // s3rver 3.7.1 died on exactly this (an unhandled ENOENT).
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'm' }));
    const e = await failure(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'bkt',
          Key: 'm',
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }] },
        }),
      ),
    );
    expect(e).toEqual({ name: 'InvalidPart', status: 400 });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'dir/hello.txt' }));
    expect(await got.Body!.transformToString()).toBe('hello world');
  });
});

describe('startEmbedded with a bad dir', () => {
  it('rejects when dir cannot be created', async () => {
    const root = mkdtempSync(join(tmpdir(), 's3bridge-baddir-'));
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    try {
      await expect(startTestEmbedded({ dir: join(file, 'data') })).rejects.toThrow(/ENOTDIR|EEXIST/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('lifecycle', () => {
  it('stop() closes the listener and is idempotent', async () => {
    const srv = await start({ name: 'plain' });
    await Promise.all([srv.stop(), srv.stop()]);
    await srv.stop();
    expect(await refused(srv.endpoint)).toBe(true);
  });

  it('two backends on one folder share one store, which closes when the last one stops', async () => {
    const root = mkdtempSync(join(tmpdir(), 's3bridge-shared-'));
    const dir = join(root, 'data');
    try {
      const a = await start({ name: 'a', dir });
      const b = await start({ name: 'b', dir });
      expect(b.endpoint).toBe(a.endpoint);
      expect(b.events).toEqual([]); // one store, started once
      await a.stop();
      const s3 = client(b.endpoint, b.accessKeyId, b.secretAccessKey);
      await s3.send(new CreateBucketCommand({ Bucket: 'still-served' }));
      await b.stop();
      expect(await refused(b.endpoint)).toBe(true);
      // A new start on the folder after both stopped opens it again and finds the data.
      const c = await start({ name: 'c', dir });
      expect(c.events.map((e) => e.event)).toEqual(['ready']);
      await c.stop();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
