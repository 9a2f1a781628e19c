// Test backend: a plain s3rver process (a store that turns bucket, key and upload names into file paths) on a free port, as an external backend.
//
// The loose backend the attack tables need: it answers anonymous requests, checks no signature, keeps the built-in
// key S3RVER/S3RVER and turns names into file paths. It runs without OpenSSL's legacy provider, so truncated
// listings (max-keys below the count) answer 500: the tests that use it never list, they look at its folder.
// s3rver is a devDependency for this helper, the benchmark's yardstick and the embedded store's import test.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export interface S3rverServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The data folder s3rver was given. */
  dir: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

// The child reads its options from argv, prints its port once listening, and exits when its stdin closes: the
// test process that started it is gone (even after SIGKILL), so s3rver never outlives the run.
const CHILD = `
const S3rver = require(process.argv[1]);
const server = new S3rver({ address: '127.0.0.1', port: 0, directory: process.argv[2], silent: true, vhostBuckets: false });
server.run().then((addr) => process.stdout.write('listening ' + addr.port + '\\n'), (err) => { console.error(err); process.exit(1); });
process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));
`;

/** Every s3rver started in this process, killed if the runner exits without stopping them. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

export async function startS3rver(dir: string): Promise<S3rverServer> {
  // s3rver is CommonJS: resolve its entry here and hand the path to the child.
  const entry = createRequire(import.meta.url).resolve('s3rver');
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // no inherited flags: s3rver as a user would run it
  const proc = spawn(process.execPath, ['-e', CHILD, entry, dir], { stdio: ['pipe', 'pipe', 'pipe'], env, cwd: dirname(entry) });
  running.add(proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  void exited.then(() => running.delete(proc));
  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    const port = await readPort(proc);
    return { endpoint: `http://127.0.0.1:${port}`, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', dir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function readPort(proc: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let errText = '';
    const timer = setTimeout(() => reject(new Error(`s3rver did not start within ${START_TIMEOUT_MS} ms: ${errText}`)), START_TIMEOUT_MS);
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (errText = (errText + s).slice(-2000)));
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited (${code}) before listening: ${errText}`));
    });
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
