// Test backend: a moto_server process on a free port (faithful S3 semantics), optionally with signature checking on.
//
// moto ignores checksums, Content-MD5, payload hashes and x-amz-copy-source-if-* conditions, and checks signatures
// only in auth mode (where keys with punctuation or non-ASCII, and delimiter=/ listings, get a false 403): a test
// that relies on any of those needs the recording backend instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import aws4 from 'aws4';

export interface MotoServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  stop(): Promise<void>;
}

export interface MotoOptions {
  /** Turn signature checking on; the returned keys are then the only ones that work (an IAM user with s3:*). */
  auth?: boolean;
  /** Extra environment for moto, e.g. { S3_UPLOAD_PART_MIN_SIZE: '1024' } for small multipart tests. */
  env?: Record<string, string>;
}

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const REGION = 'us-east-1';

/** Every moto started in this process, so a runner exiting on a failure still takes them down. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of running) killGroup(proc, 'SIGKILL');
});

function killGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(-proc.pid, signal); // the group we created with detached: the wrapper shell and moto
  } catch {
    // already gone
  }
}

/**
 * The wrapper shell ($1 = our pid) stops moto when asked (TERM) and also when we die without asking, e.g. a test
 * worker killed with SIGKILL: moto must never outlive the test run.
 */
const WRAPPER = `moto_server -H 127.0.0.1 -p 0 &
m=$!
trap 'kill -TERM $m 2>/dev/null; wait $m; exit 0' TERM INT HUP
while kill -0 "$1" 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 1; done
kill -TERM $m 2>/dev/null
wait $m`;

export async function startMoto(opts: MotoOptions = {}): Promise<MotoServer> {
  const proc = spawn('/bin/sh', ['-c', WRAPPER, 'moto-wrapper', String(process.pid)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  running.add(proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  void exited.then(() => running.delete(proc));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      killGroup(proc, 'SIGTERM');
      const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  try {
    const port = await readPort(proc);
    const endpoint = `http://127.0.0.1:${port}`;
    await waitUntilAnswering(endpoint);
    if (!opts.auth) return { endpoint, accessKeyId: 'test', secretAccessKey: 'test', region: REGION, stop };
    const keys = await createS3User(endpoint);
    // From now on every request must be signed with a key moto knows (moto-api §reset-auth: "0" = no free requests).
    const reset = await send(endpoint, { method: 'POST', path: '/moto-api/reset-auth', body: '0' });
    if (reset.status !== 200) throw new Error(`moto reset-auth answered ${reset.status}`);
    return { endpoint, ...keys, region: REGION, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function readPort(proc: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`moto_server did not start within ${START_TIMEOUT_MS} ms: ${text}`)), START_TIMEOUT_MS);
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => {
      text += s;
      const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        text = text.slice(-2000); // keep draining stderr (moto logs every request) without growing
        resolve(Number(m[1]));
      }
    });
    proc.once('close', (code) => {
      // 'close', not 'exit': stderr is fully read by then
      clearTimeout(timer);
      reject(new Error(`moto_server exited (${code}) before listening: ${text.slice(-2000)}`));
    });
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function waitUntilAnswering(endpoint: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      // The first S3 call loads moto's S3 backend (~1 s): do it here, not in the first test.
      await send(endpoint, { method: 'GET', path: '/' });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

interface Reply {
  status: number;
  body: string;
}

function send(endpoint: string, opts: { method: string; path: string; body?: string; headers?: Record<string, string> }): Promise<Reply> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: opts.method, path: opts.path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** One IAM Query API call (https://docs.aws.amazon.com/IAM/latest/APIReference/), signed while auth is still off. */
async function iam(endpoint: string, params: Record<string, string>): Promise<string> {
  const url = new URL(endpoint);
  const body = new URLSearchParams({ ...params, Version: '2010-05-08' }).toString();
  // moto routes on the service in the credential scope, so the call must be SigV4-signed for "iam".
  const signed = aws4.sign(
    { host: url.host, path: '/', method: 'POST', service: 'iam', region: REGION, body, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    { accessKeyId: 'test', secretAccessKey: 'test' },
  );
  const reply = await send(endpoint, { method: 'POST', path: '/', body, headers: signed.headers as Record<string, string> });
  if (reply.status !== 200) throw new Error(`moto IAM ${params.Action} answered ${reply.status}: ${reply.body.slice(0, 500)}`);
  return reply.body;
}

function xmlField(doc: string, tag: string): string {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(doc);
  if (!m) throw new Error(`moto IAM reply without <${tag}>`);
  return m[1]!;
}

async function createS3User(endpoint: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const user = 's3bridge-test';
  await iam(endpoint, { Action: 'CreateUser', UserName: user });
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
  await iam(endpoint, { Action: 'PutUserPolicy', UserName: user, PolicyName: 's3-all', PolicyDocument: policy });
  const created = await iam(endpoint, { Action: 'CreateAccessKey', UserName: user });
  return { accessKeyId: xmlField(created, 'AccessKeyId'), secretAccessKey: xmlField(created, 'SecretAccessKey') };
}
