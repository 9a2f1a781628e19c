// The cluster (server.workers: 2) as users run it: `node dist/main.js`, served by both workers, metrics summed,
// the embedded store shared, a killed worker restarted, SIGHUP applied everywhere, SIGTERM drained.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DEMO, tempDir } from '../helpers/bridge.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';
import { signedHeaders } from '../helpers/sign.js';
import { waitFor } from '../helpers/wait.js';
import { parseExposition, sampleValue } from '../unit/metrics/exposition.js';

const MAIN = join(import.meta.dirname, '../../dist/main.js');
const NEWCOMER = { accessKeyId: 'newcomer', secretAccessKey: 'newcomer-secret' };
const REMOTE = { accessKeyId: 'remote-key', secretAccessKey: 'remote-secret' };

type Line = Record<string, unknown>;
interface Proc {
  child: ChildProcess;
  s3Url: string;
  adminUrl: string;
  lines: Line[];
  exited: Promise<number | null>;
}

function config(dir: string, remote: string, extraClient = ''): string {
  return `server: { port: 0, workers: 2, shutdownGraceSeconds: 20 }
admin: { port: 0 }
clients:
  - { accessKeyId: demo, secretAccessKey: demo-secret-key }
${extraClient}
backends:
  - { name: local, embedded: { dir: ${JSON.stringify(join(dir, 'data'))} } }
  - { name: remote, endpoint: ${remote}, accessKeyId: ${REMOTE.accessKeyId}, secretAccessKey: ${REMOTE.secretAccessKey} }
routes:
  - { bucket: held, backend: remote }
  - { bucket: "*", backend: local }
`;
}

async function start(file: string): Promise<Proc> {
  const child = spawn(process.execPath, [MAIN, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const listening = await new Promise<Line>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no startup line: ${JSON.stringify(lines)}`)), 30_000);
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let line: Line;
        try {
          line = JSON.parse(text) as Line;
        } catch {
          line = { unparsable: text };
        }
        lines.push(line);
        if (line.msg === 's3bridge listening') {
          clearTimeout(timer);
          resolve(line);
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => lines.push({ stderr: d.toString() }));
  });
  return { child, s3Url: listening.s3 as string, adminUrl: listening.admin as string, lines, exited };
}

/** One request on a connection of its own: the primary hands each new connection to the next worker. */
async function send(base: string, method: string, path: string, credentials = DEMO): Promise<{ status: number; requestId: string; body: Buffer }> {
  const headers = await signedHeaders(base, { method, path, credentials });
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, requestId: String(res.headers['x-amz-request-id']), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

const events = (p: Proc, msg: string) => p.lines.filter((l) => l.msg === msg);

/** The pid of the worker whose access-log line carries this request id (lines arrive batched: wait for it). */
async function servedBy(p: Proc, requestId: string): Promise<number> {
  let line: Line | undefined;
  await waitFor(() => (line = p.lines.find((l) => l.requestId === requestId)) !== undefined, 10_000, `the access line of ${requestId}`);
  return line!.pid as number;
}

/** Sends `path` on fresh connections until every pid in `pids` served one (at most `max` requests); all must be 200. */
async function untilServedBy(p: Proc, pids: Set<number>, method: string, path: string, credentials = DEMO, max = 40) {
  const seen = new Map<number, number>();
  const bodies: Buffer[] = [];
  for (let i = 0; i < max && [...pids].some((pid) => !seen.has(pid)); i++) {
    const r = await send(p.s3Url, method, path, credentials);
    expect(r.status, r.body.toString()).toBe(200);
    bodies.push(r.body);
    const pid = await servedBy(p, r.requestId);
    seen.set(pid, (seen.get(pid) ?? 0) + 1);
  }
  return { seen, bodies, sent: bodies.length };
}

async function requestsTotal(p: Proc, labels: Record<string, string>): Promise<number> {
  const { status, text } = await get(`${p.adminUrl}/metrics`);
  expect(status).toBe(200);
  return sampleValue(parseExposition(text), 's3bridge_requests_total', labels) ?? 0;
}

/** Pids of the workers serving now: the latest "worker ready" of each worker slot. */
function workerPids(p: Proc): Set<number> {
  const bySlot = new Map<unknown, number>();
  for (const l of events(p, 'worker ready')) bySlot.set(l.worker, l.workerPid as number);
  return new Set(bySlot.values());
}

describe('server.workers: 2', () => {
  let dir: string;
  let file: string;
  let remote: RecordingBackend;
  let p: Proc;
  let releaseHeld: () => void = () => undefined;
  let heldArrived = false;

  beforeAll(async () => {
    dir = tempDir();
    file = join(dir, 'config.yaml');
    remote = await startRecordingBackend(REMOTE);
    remote.faults.onRequest = (rec, _req, res) => {
      // /readyz's probe: any S3 answer will do.
      if (rec.url === '/') {
        res.writeHead(200, { 'content-type': 'application/xml' }).end('<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>');
        return true;
      }
      // A download that stays in flight until the test lets it finish.
      if (rec.url.startsWith('/held/')) {
        heldArrived = true;
        new Promise<void>((r) => (releaseHeld = r)).then(() => res.writeHead(200, { 'content-length': 5 }).end('held!'));
        return true;
      }
      return false;
    };
    writeFileSync(file, config(dir, remote.endpoint));
    p = await start(file);
  }, 40_000);

  afterAll(async () => {
    p?.child.kill('SIGKILL');
    await remote?.stop();
  });

  it('starts both workers, each serving requests; /metrics counts every one of them exactly; /readyz says so', async () => {
    expect(workerPids(p).size).toBe(2);
    const ready = await get(`${p.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({
      backends: { local: { state: 'up', latencyMs: expect.any(Number) }, remote: { state: 'up', latencyMs: expect.any(Number) } },
      workers: { ready: 2, configured: 2 },
    });

    const labels = { operation: 'ListBuckets', backend: 'none', status: '200' };
    const before = await requestsTotal(p, labels);
    const { seen, sent } = await untilServedBy(p, workerPids(p), 'GET', '/');
    expect(new Set(seen.keys())).toEqual(workerPids(p));
    await waitFor(async () => (await requestsTotal(p, labels)) >= before + sent, 5_000, 'the metrics to count every request');
    expect(await requestsTotal(p, labels)).toBe(before + sent);
  });

  it('shares the embedded store: an object written through one worker is read whole through each', async () => {
    const s3 = new S3Client({ endpoint: p.s3Url, region: 'us-east-1', forcePathStyle: true, credentials: DEMO, maxAttempts: 1 });
    const body = randomBytes(256 * 1024);
    await s3.send(new CreateBucketCommand({ Bucket: 'shared' }));
    await s3.send(new PutObjectCommand({ Bucket: 'shared', Key: 'obj', Body: body }));
    s3.destroy();
    const { seen, bodies } = await untilServedBy(p, workerPids(p), 'GET', '/shared/obj');
    expect(new Set(seen.keys())).toEqual(workerPids(p));
    for (const b of bodies) expect(b.equals(body)).toBe(true);
    // The store's endpoint and keys reached the workers over IPC: their environment is the primary's plus what
    // node:cluster and its IPC channel set, their command line the primary's.
    const environ = (pid: number) => new Set(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean));
    const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    for (const pid of workerPids(p)) {
      const primary = environ(p.child.pid!);
      const added = [...environ(pid)].filter((v) => !primary.has(v));
      expect(added.map((v) => v.split('=')[0]).sort()).toEqual(['NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE', 'NODE_UNIQUE_ID']);
      expect(cmdline(pid).slice(1)).toEqual([MAIN, '--config', file]);
    }
  });

  it('SIGHUP refuses a broken file, then applies a good one on every worker', async () => {
    writeFileSync(file, 'clients: [ this is not valid');
    p.child.kill('SIGHUP');
    await waitFor(() => events(p, 'config reload refused; keeping the running config').length === 1, 10_000, 'the refused reload');
    expect((await send(p.s3Url, 'GET', '/')).status).toBe(200);

    writeFileSync(file, config(dir, remote.endpoint, `  - { accessKeyId: ${NEWCOMER.accessKeyId}, secretAccessKey: ${NEWCOMER.secretAccessKey} }`));
    expect((await send(p.s3Url, 'GET', '/', NEWCOMER)).status).toBe(403);
    p.child.kill('SIGHUP');
    await waitFor(() => events(p, 'config reloaded').length === 1, 10_000, 'the reload');
    expect(events(p, 'config reloaded')[0]).toMatchObject({ workers: 2, needsRestart: [] });
    const { seen } = await untilServedBy(p, workerPids(p), 'GET', '/', NEWCOMER);
    expect(new Set(seen.keys())).toEqual(workerPids(p));
    // The store was started once and kept across the reload.
    expect(events(p, 'embedded backend ready')).toHaveLength(1);
  });

  it('restarts a worker killed with SIGKILL, logs it, and keeps answering meanwhile', async () => {
    const [victim, survivor] = [...workerPids(p)];
    const slot = events(p, 'worker ready').find((l) => l.workerPid === victim)!.worker;
    process.kill(victim!, 'SIGKILL');
    await waitFor(() => events(p, 'worker exited; restarting it').some((l) => l.workerPid === victim), 10_000, 'the exit to be logged');
    expect(events(p, 'worker exited; restarting it').find((l) => l.workerPid === victim)).toMatchObject({ worker: slot, signal: 'SIGKILL', code: null });
    // The survivor serves while the slot restarts.
    for (let i = 0; i < 3; i++) expect((await send(p.s3Url, 'GET', '/')).status).toBe(200);
    await waitFor(() => workerPids(p).size === 2 && !workerPids(p).has(victim!), 20_000, 'the restarted worker to be ready');
    const replacement = [...workerPids(p)].find((pid) => pid !== survivor)!;
    expect(events(p, 'worker ready').find((l) => l.workerPid === replacement)).toMatchObject({ worker: slot });
    // The new worker has the reloaded config (the newcomer's key) and the store.
    const { seen } = await untilServedBy(p, workerPids(p), 'GET', '/shared/obj', NEWCOMER);
    expect(new Set(seen.keys())).toEqual(new Set([survivor, replacement]));
    expect((await get(`${p.adminUrl}/metrics`)).status).toBe(200);
  }, 40_000);

  it('SIGTERM stops accepting, lets an in-flight download finish, and exits 0', async () => {
    const held = send(p.s3Url, 'GET', '/held/obj');
    await waitFor(() => heldArrived, 10_000, 'the held request to reach the backend');
    p.child.kill('SIGTERM');
    await waitFor(() => events(p, 'shutting down').length === 1, 10_000, 'the shutdown to start');
    // New connections are refused once every worker closed its listener, while the held download is still open.
    await waitFor(
      () =>
        send(p.s3Url, 'GET', '/').then(
          () => false,
          (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED',
        ),
      10_000,
      'the listener to close',
    );
    releaseHeld();
    const r = await held;
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('held!');
    expect(await p.exited).toBe(0);
    expect(events(p, 'stopped')).toHaveLength(1);
    expect(events(p, 'worker exited; restarting it')).toHaveLength(1);
  }, 40_000);
});

describe('server.workers: 2, startup failure', () => {
  it('a worker that cannot listen fails the start: exit 1 naming the reason, the embedded store stopped', async () => {
    const dir = tempDir();
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    const file = join(dir, 'config.yaml');
    writeFileSync(file, config(dir, 'http://127.0.0.1:1').replace('port: 0, workers', `port: ${port}, workers`));
    const r = spawnSync(process.execPath, [MAIN, '--config', file], { encoding: 'utf8', timeout: 30_000 });
    busy.close();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^s3bridge failed to start: worker [12]: bind EADDRINUSE 127\\.0\\.0\\.1:${port}\n$`));
    const logged = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
    const stores = logged.filter((l) => l.msg === 'embedded backend ready');
    expect(stores).toHaveLength(1);
    expect(logged.some((l) => l.msg === 's3bridge listening')).toBe(false);
    // The store the primary had started is gone with it.
    const probe = await fetch(`http://127.0.0.1:${stores[0]!.port as number}/`).then(
      () => 'answered',
      (err: Error & { cause?: { code?: string } }) => err.cause?.code,
    );
    expect(probe).toBe('ECONNREFUSED');
  }, 40_000);
});
