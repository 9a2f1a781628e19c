// Benchmark harness: starts the origin and the proxies under test as separate processes, so each one's CPU and memory
// can be read from /proc and none competes with the load generator's event loop.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** glibc knobs from docs/performance.md: stop malloc from trimming and re-faulting memory under streaming load. */
export const MALLOC_TUNING = { MALLOC_TRIM_THRESHOLD_: '268435456', MALLOC_TOP_PAD_: '67108864' };

export const SECOND_BACKEND_BUCKET = 'bench-b';

export const BENCH_CLIENT = { accessKeyId: 'bench', secretAccessKey: 'bench-secret-key' };

/** A port that was free a moment ago (listen on 0, read it, close). */
export async function freePort() {
  const srv = createServer();
  await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Every glibc malloc tunable that can come from the environment (mallopt(3)); "off" removes them all. */
const MALLOC_ENV_NAMES = ['MALLOC_TRIM_THRESHOLD_', 'MALLOC_TOP_PAD_', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_MMAP_MAX_', 'MALLOC_ARENA_MAX', 'GLIBC_TUNABLES'];

/** The process environment with the malloc knobs set (true, or an explicit { NAME: value } set) or removed (false). */
export function envWith(mallocTuning) {
  const env = { ...process.env };
  for (const k of MALLOC_ENV_NAMES) delete env[k];
  if (!mallocTuning) return env;
  return { ...env, ...(mallocTuning === true ? MALLOC_TUNING : mallocTuning) };
}

/** Kills a child and waits for it; SIGKILL if it ignores SIGTERM for 5 s. */
async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Starts bench/origin.js (or origin B) in its own process (always malloc-tuned: it is infrastructure, not the subject). */
export async function spawnOrigin(originScript) {
  const child = spawn(process.execPath, [originScript, '--port', '0'], { env: envWith(true), stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise((resolve) => lines.once('line', resolve)),
    new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`origin exited with code ${code}`)))),
  ]);
  lines.on('line', () => undefined);
  const { url, port } = JSON.parse(first);
  return { url, port, pid: child.pid, stop: () => stop(child) };
}

/**
 * The contract's YAML config for one proxy in front of the origin. Every bucket goes to backend "origin" except
 * SECOND_BACKEND_BUCKET, which goes to "origin-b": origin B (bench/lib/copy-origin.js) when originBUrl is given,
 * else the same origin under another backend name. Either way a copy between the two is cross-backend, so s3bridge
 * emulates it. observability: { accessLog, metrics } (both on when absent, s3bridge's defaults).
 */
export function proxyConfigYaml({ port, adminPort, originUrl, originBUrl = originUrl, observability = {}, workers = 1 }) {
  const endpoints = { origin: originUrl, 'origin-b': originBUrl };
  return [
    'server:',
    '  host: 127.0.0.1',
    `  port: ${port}`,
    '  region: us-east-1',
    // Always explicit: s3bridge's default (auto) would depend on the machine.
    `  workers: ${workers}`,
    ...(observability.accessLog === false ? ['  accessLog: false'] : []),
    'admin:',
    '  host: 127.0.0.1',
    `  port: ${adminPort}`,
    ...(observability.metrics === false ? ['  metrics: false'] : []),
    'clients:',
    `  - accessKeyId: ${BENCH_CLIENT.accessKeyId}`,
    `    secretAccessKey: ${BENCH_CLIENT.secretAccessKey}`,
    '    buckets: ["*"]',
    'backends:',
    ...['origin', 'origin-b'].flatMap((name) => [
      `  - name: ${name}`,
      `    endpoint: ${endpoints[name]}`,
      '    region: us-east-1',
      '    addressing: path',
      '    accessKeyId: x',
      '    secretAccessKey: y',
      // Origin B takes aws-chunked part bodies, as S3 does: a copied part's checksum travels as their trailer.
      ...(name === 'origin-b' ? ['    capabilities:', '      awsChunked: true'] : []),
    ]),
    'routes:',
    `  - bucket: "${SECOND_BACKEND_BUCKET}"`,
    '    backend: origin-b',
    '  - bucket: "*"',
    '    backend: origin',
    '',
  ].join('\n');
}

/**
 * Backends for the embedded-store scenarios, in the same YAML shape: every bucket goes to one backend, either the
 * embedded store (`embedded: { dir }`) or a remote one (s3rver, as s3bridge ≤ 0.1 embedded it).
 */
function storeConfigYaml({ port, adminPort, backend }) {
  const backendLines =
    backend.dir !== undefined
      ? ['  - name: local', `    embedded: { dir: ${JSON.stringify(backend.dir)} }`]
      : [
          '  - name: local',
          `    endpoint: ${backend.url}`,
          '    region: us-east-1',
          '    accessKeyId: S3RVER',
          '    secretAccessKey: S3RVER',
          '    capabilities: { uploadPartCopy: false }',
        ];
  return [
    'server:',
    '  host: 127.0.0.1',
    `  port: ${port}`,
    '  region: us-east-1',
    // One process, so the store is in s3bridge's own (workers: auto would put it in the primary, a hop away).
    '  workers: 1',
    'admin:',
    '  host: 127.0.0.1',
    `  port: ${adminPort}`,
    'clients:',
    `  - accessKeyId: ${BENCH_CLIENT.accessKeyId}`,
    `    secretAccessKey: ${BENCH_CLIENT.secretAccessKey}`,
    '    buckets: ["*"]',
    'backends:',
    ...backendLines,
    'routes:',
    '  - bucket: "*"',
    '    backend: local',
    '',
  ].join('\n');
}

/** s3rver (bench/lib/s3rver-server.js) on a folder in workDir: the yardstick the embedded store replaced. */
async function startS3rver({ name, workDir }) {
  const dir = join(workDir, `${name}-s3rver`);
  const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 's3rver-server.js'), '--dir', dir], {
    env: envWith(true),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    new Promise((resolve) => lines.once('line', resolve)),
    new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`s3rver exited with code ${code}`)))),
  ]);
  return { url: JSON.parse(first).url, pid: child.pid, stop: () => stop(child) };
}

/**
 * Starts a proxy (`node SCRIPT --config FILE`) and waits until GET /healthz on its admin port answers 200.
 * stdout (the access log) and stderr go to files in workDir: a file costs the proxy what a real log sink would,
 * without the bench process having to drain a pipe. workers: s3bridge's server.workers.
 */
export async function startProxy({ name, script, originUrl, originBUrl, observability, workers, mallocTuning, workDir, store, timeoutMs = 30_000 }) {
  const port = await freePort();
  const adminPort = await freePort();
  const configFile = join(workDir, `${name}.yaml`);
  // store: { kind: 'embedded' | 's3rver' } puts the proxy in front of a store instead of the origin.
  let yardstick;
  if (store?.kind === 's3rver') yardstick = await startS3rver({ name, workDir });
  writeFileSync(
    configFile,
    store
      ? storeConfigYaml({ port, adminPort, backend: yardstick ? { url: yardstick.url } : { dir: join(workDir, `${name}-data`) } })
      : proxyConfigYaml({ port, adminPort, originUrl, originBUrl, observability, workers }),
  );
  let proc;
  try {
    proc = await launch({
      name,
      command: process.execPath,
      args: [script, '--config', configFile],
      env: envWith(mallocTuning),
      port,
      adminPort,
      workDir,
      timeoutMs,
    });
  } catch (err) {
    await yardstick?.stop();
    throw err;
  }
  return {
    ...proc,
    configFile,
    store: store?.kind,
    /** Processes outside the proxy's own tree that do this contender's work (the s3rver yardstick). */
    extraPids: () => (yardstick ? [yardstick.pid] : []),
    stop: async () => {
      await proc.stop();
      await yardstick?.stop();
    },
  };
}

/**
 * Runs `command args` with stdout and stderr to files in workDir and waits until http://127.0.0.1:adminPort/healthz
 * answers 200. Returns { name, port, adminPort, pid, url, outFile, errFile, alive(), stderrTail(), stop() }.
 */
export async function launch({ name, command, args, env, port, adminPort, workDir, timeoutMs = 30_000 }) {
  const outFile = join(workDir, `${name}.stdout.log`);
  const errFile = join(workDir, `${name}.stderr.log`);
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const child = spawn(command, args, { env, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  let exit;
  child.once('exit', (code, signal) => {
    exit = signal ?? code;
  });
  const tail = () => readFileSync(errFile, 'utf8').split('\n').slice(-15).join('\n');

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exit !== undefined) throw new Error(`${name} exited (${exit}) before becoming healthy:\n${tail()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${adminPort}/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`${name} not healthy after ${timeoutMs} ms:\n${tail()}`);
    }
    await sleep(100);
  }
  return {
    name,
    port,
    adminPort,
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    outFile,
    errFile,
    alive: () => exit === undefined,
    stderrTail: tail,
    stop: () => stop(child),
  };
}
