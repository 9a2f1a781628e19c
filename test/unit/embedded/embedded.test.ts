// The embedded backend: s3rver in a supervised child process (runs the compiled child from dist/, built by npm test).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedChildPids, isAlive, startTestEmbedded, waitFor, type TestEmbedded } from '../../helpers/embedded.js';

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

async function errorOf(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the request to fail');
}

async function refused(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint);
    return false;
  } catch {
    return true;
  }
}

/** Starts a server and finds its child's pid (the one child of ours that was not there before). */
async function startWithPid(name: string): Promise<{ srv: TestEmbedded; pid: number }> {
  const before = new Set(embeddedChildPids());
  const srv = await start({ name });
  const fresh = embeddedChildPids().filter((p) => !before.has(p));
  expect(fresh).toHaveLength(1);
  return { srv, pid: fresh[0]! };
}

const started: TestEmbedded[] = [];
async function start(opts: Parameters<typeof startTestEmbedded>[0] = {}): Promise<TestEmbedded> {
  const s = await startTestEmbedded(opts);
  started.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  expect(embeddedChildPids()).toEqual([]);
});

describe('startEmbedded', () => {
  let srv: TestEmbedded;
  let s3: S3Client;
  beforeAll(async () => {
    // A stand-in for another backend's credentials in s3bridge's environment: the child must not inherit it.
    process.env.S3BRIDGE_TEST_CANARY = 'canary-other-backend-secret';
    const t0 = Date.now();
    srv = await start();
    delete process.env.S3BRIDGE_TEST_CANARY;
    // Typically ~0.4 s; the bound is loose so a busy 2-core machine does not fail it.
    expect(Date.now() - t0).toBeLessThan(5_000);
    s3 = client(srv.endpoint, srv.accessKeyId, srv.secretAccessKey);
    await s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
  });

  it('listens on 127.0.0.1 and serves objects with its generated keys, stored under dir', async () => {
    expect(srv.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(srv.accessKeyId).toMatch(/^[A-Z0-9]{16,}$/);
    expect(srv.secretAccessKey.length).toBeGreaterThanOrEqual(30);
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'dir/hello.txt', Body: 'hello world' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'dir/hello.txt' }));
    expect(await got.Body!.transformToString()).toBe('hello world');
    expect(statSync(srv.dir).mode & 0o777).toBe(0o700);
    expect(statSync(`${srv.dir}/bkt`).isDirectory()).toBe(true);
  });

  it('generates different keys for each server and uses given ones', async () => {
    const other = await start({ accessKeyId: 'GIVENKEY', secretAccessKey: 'given-secret-key' });
    expect(other.accessKeyId).toBe('GIVENKEY');
    expect(other.secretAccessKey).toBe('given-secret-key');
    expect(other.endpoint).not.toBe(srv.endpoint);
    const s3b = client(other.endpoint, 'GIVENKEY', 'given-secret-key');
    await s3b.send(new CreateBucketCommand({ Bucket: 'other' }));
    // The key registry is per child: srv's key means nothing to the other server.
    const e = await errorOf(client(other.endpoint, srv.accessKeyId, srv.secretAccessKey).send(new CreateBucketCommand({ Bucket: 'x-other' })));
    expect(e.name).toBe('InvalidAccessKeyId');
    await other.stop();
  });

  it.each([
    ['the built-in S3RVER key', 'S3RVER', 'S3RVER', 'InvalidAccessKeyId'],
    ['an unknown key', 'NOPE', 'whatever', 'InvalidAccessKeyId'],
  ])('rejects %s', async (_what, ak, sk, code) => {
    const e = await errorOf(client(srv.endpoint, ak, sk).send(new GetObjectCommand({ Bucket: 'bkt', Key: 'dir/hello.txt' })));
    expect(e.name).toBe(code);
    expect(e.status).toBe(403);
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

  it('never shows its keys in the child command line or environment, nor passes our environment on', () => {
    const pids = embeddedChildPids();
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
      expect(cmdline).toContain('--openssl-legacy-provider');
      expect(cmdline).not.toContain(srv.secretAccessKey);
      expect(environ).not.toContain(srv.secretAccessKey);
      expect(environ).not.toContain('canary-other-backend-secret');
      expect(cmdline).not.toContain(srv.accessKeyId);
    }
  });
});

describe('startEmbedded with a bad dir', () => {
  it('rejects when dir cannot be created, and leaves no child behind', async () => {
    const root = mkdtempSync(join(tmpdir(), 's3bridge-baddir-'));
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    const before = embeddedChildPids();
    try {
      await expect(startTestEmbedded({ dir: join(file, 'data') })).rejects.toThrow(/ENOTDIR|EEXIST/);
      expect(embeddedChildPids()).toEqual(before);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('supervision', () => {
  it('restarts s3rver on the same port after it crashes, and the data survives', async () => {
    const { srv, pid: pidBefore } = await startWithPid('crashy');
    const s3 = client(srv.endpoint, srv.accessKeyId, srv.secretAccessKey);
    await s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'kept' }));
    const endpoint = srv.endpoint;
    // s3rver 3.7.1 dies on a Complete that lists a part never uploaded (an unhandled ENOENT).
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'm' }));
    await errorOf(s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'bkt', Key: 'm', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }] },
    })));
    await waitFor(() => srv.events.filter((e) => e.event === 'ready').length === 2, 10_000, 'the restarted child');
    expect(srv.endpoint).toBe(endpoint);
    expect(srv.restarts).toBe(1);
    const kinds = srv.events.map((e) => e.event);
    expect(kinds).toEqual(['ready', 'exit', 'restart', 'ready']);
    const exit = srv.events[1]!;
    expect(exit).toMatchObject({ name: 'crashy', code: 1 });
    expect(exit.detail).toMatch(/ENOENT/);
    expect(srv.events[2]).toMatchObject({ event: 'restart', port: Number(new URL(endpoint).port) });
    expect(isAlive(pidBefore)).toBe(false);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('kept');
    await srv.stop();
  });

  it('stop() ends the child and does not restart it, even when called during a restart backoff', async () => {
    const { srv, pid } = await startWithPid('stopper');
    // Kill the child from outside; stop() lands during the backoff before the restart.
    process.kill(pid, 'SIGKILL');
    await waitFor(() => srv.events.some((e) => e.event === 'exit'), 5_000, 'the exit event');
    await srv.stop();
    // Longer than the first backoff: this checks that nothing happens (no restart), so there is no state to wait for.
    await new Promise((r) => setTimeout(r, 400));
    expect(srv.events.map((e) => e.event)).toEqual(['ready', 'exit']);
    expect(srv.events[1]).toMatchObject({ signal: 'SIGKILL' });
    expect(srv.restarts).toBe(0);
    expect(await refused(srv.endpoint)).toBe(true);
  });

  it('stop() kills a running child and is idempotent', async () => {
    const { srv, pid } = await startWithPid('plain');
    await Promise.all([srv.stop(), srv.stop()]);
    await srv.stop();
    expect(isAlive(pid)).toBe(false);
    expect(await refused(srv.endpoint)).toBe(true);
    expect(srv.events.map((e) => e.event)).toEqual(['ready']); // a requested stop is not an "exit"
  });

  it('the child exits when its parent dies without stopping it', async () => {
    const embeddedJs = fileURLToPath(new URL('../../../dist/upstream/embedded.js', import.meta.url));
    const root = mkdtempSync(join(tmpdir(), 's3bridge-orphan-'));
    const dir = join(root, 'data');
    const script = `import { startEmbedded } from ${JSON.stringify(embeddedJs)};
      const s = await startEmbedded({ name: 'orphan', dir: ${JSON.stringify(dir)} });
      console.log(s.endpoint); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const endpoint = await new Promise<string>((resolve, reject) => {
        parent.stdout!.setEncoding('utf8').once('data', (s: string) => resolve(s.trim()));
        parent.once('exit', (code) => reject(new Error(`parent exited ${code}`)));
      });
      const [child] = embeddedChildPids(parent.pid);
      expect(child).toBeGreaterThan(0);
      parent.kill('SIGKILL');
      await waitFor(() => !isAlive(child!), 5_000, 'the orphaned child to exit');
      expect(await refused(endpoint)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });
});
