// The s3bridge process under signals: SIGTERM drains in-flight requests, SIGHUP reloads (or keeps the old config).
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { tempDir } from '../helpers/bridge.js';
import { waitFor } from '../helpers/wait.js';

const MAIN = join(import.meta.dirname, '../../dist/main.js');

interface Proc {
  child: ChildProcess;
  s3Url: string;
  lines: string[];
  exited: Promise<number | null>;
}
const procs: Proc[] = [];

afterEach(() => {
  for (const p of procs.splice(0)) p.child.kill('SIGKILL');
});

function config(dir: string, extraClient = ''): string {
  // One process, whatever the machine's core count: workers.test.ts covers the cluster.
  return `server: { port: 0, shutdownGraceSeconds: 20, workers: 1 }
admin: { port: 0 }
clients:
  - { accessKeyId: demo, secretAccessKey: demo-secret-key }
${extraClient}
backends:
  - { name: local, embedded: { dir: ${JSON.stringify(join(dir, 'data'))} } }
routes:
  - { bucket: "*", backend: local }
`;
}

async function start(file: string): Promise<Proc> {
  const child = spawn(process.execPath, [MAIN, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const s3Url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no startup line: ${lines.join('')}`)), 15_000);
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        const m = /"s3":"([^"]+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => lines.push(d.toString()));
  });
  const p = { child, s3Url, lines, exited };
  procs.push(p);
  return p;
}

const client = (url: string, ak = 'demo', sk = 'demo-secret-key') =>
  new S3Client({
    endpoint: url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: ak, secretAccessKey: sk },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });

describe('signals', () => {
  it('SIGTERM lets a large download in flight finish, then exits 0', async () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    writeFileSync(file, config(dir));
    const p = await start(file);
    const s3 = client(p.s3Url);
    await s3.send(new CreateBucketCommand({ Bucket: 'big' }));
    const body = randomBytes(64 * 1024 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: 'big', Key: 'obj', Body: body }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'big', Key: 'obj' }));
    const stream = got.Body as NodeJS.ReadableStream;
    const hash = createHash('sha256');
    let received = 0;
    let signalled = false;
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        received += chunk.length;
        if (!signalled && received > 1024 * 1024) {
          signalled = true;
          p.child.kill('SIGTERM');
          // Slow the reader down so the download is still running while the process drains (the pause is the point).
          stream.pause();
          setTimeout(() => stream.resume(), 500);
        }
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    expect(received).toBe(body.length);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    expect(await p.exited).toBe(0);
    expect(p.lines.join('\n')).toContain('"msg":"stopped"');
  }, 60_000);

  it('SIGHUP with a broken file keeps the old config; a good file takes effect', async () => {
    const dir = tempDir();
    const file = join(dir, 'config.yaml');
    writeFileSync(file, config(dir));
    const p = await start(file);
    await client(p.s3Url).send(new ListBucketsCommand({}));

    writeFileSync(file, 'clients: [ this is not valid');
    p.child.kill('SIGHUP');
    await waitFor(() => p.lines.join('\n').includes('config reload refused'), 5_000, 'the refused reload to be logged');
    await client(p.s3Url).send(new ListBucketsCommand({}));

    writeFileSync(file, config(dir, '  - { accessKeyId: newcomer, secretAccessKey: newcomer-secret }'));
    await expect(client(p.s3Url, 'newcomer', 'newcomer-secret').send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    p.child.kill('SIGHUP');
    await waitFor(() => p.lines.join('\n').includes('config reloaded'), 5_000, 'the reload to be logged');
    await client(p.s3Url, 'newcomer', 'newcomer-secret').send(new ListBucketsCommand({}));
    // The embedded store was kept, not restarted: only one "ready" line.
    expect(p.lines.filter((l) => l.includes('embedded backend ready'))).toHaveLength(1);
  }, 30_000);
});
