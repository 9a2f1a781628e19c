// Benchmark entry point (`npm run bench`): direct-to-origin vs through s3bridge, interleaved, repeated, medians;
// prints a table and writes bench/results/<timestamp>.json. Methodology: docs/performance.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkContender } from './lib/checks.js';
import { closeClient, makeTarget } from './lib/client.js';
import { closeSdkClients } from './lib/scenarios-transfer.js';
import { wrkAvailable } from './lib/loadgen.js';
import { cpuSeconds, cpuSecondsOf, machineCpu, memoryOf, processTree, resetPeak } from './lib/procfs.js';
import { MALLOC_TUNING, spawnOrigin, startProxy } from './lib/processes.js';
import { deriveCosts, formatChecks, formatNoise, formatTable, formatYardsticks, summarize } from './lib/report.js';
import { nginxBinary, startNginx } from './lib/nginx.js';
import { SCENARIOS } from './lib/scenarios.js';
import { USAGE, parseOptions } from './lib/options.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
let opts;
try {
  opts = parseOptions(process.argv.slice(2), process.env, { resultsDir: join(HERE, 'results'), scenarios: SCENARIOS });
} catch (err) {
  console.error(`bench: ${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
if (opts.loadgen === 'wrk' && !wrkAvailable()) {
  console.error('bench: --loadgen wrk, but wrk is not installed');
  process.exit(2);
}
// auto: wrk when installed (less CPU per request than autocannon on the shared cores), else autocannon.
if (opts.loadgen === 'auto') opts.loadgen = wrkAvailable() ? 'wrk' : 'autocannon';

// The load-generating client runs in this process: give it the same allocator settings as the origin, so the
// client is never the part that suffers from glibc trimming (docs/performance.md, "Memory allocator").
if (process.env.MALLOC_TRIM_THRESHOLD_ === undefined && process.env.BENCH_NO_REEXEC === undefined) {
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...MALLOC_TUNING, BENCH_NO_REEXEC: '1' },
  });
  process.exit(r.status ?? 1);
}

const scenarios = SCENARIOS.filter((s) => opts.only.length === 0 || opts.only.includes(s.name));

const RUN_TIMEOUT_MS = 180_000;
const log = (msg) => process.stderr.write(`${msg}\n`);
const workDir = mkdtempSync(join(tmpdir(), 's3bridge-bench-'));
const started = new Date();
const loadavgAtStart = loadavg();
const cleanups = [];

/** Allocator variants of each proxy: one per --malloc-env set (or the default pair), plus glibc's defaults. */
function mallocVariants() {
  const sets = opts.mallocEnv;
  const tuned = sets.map((env, i) => ({
    suffix: sets.length > 1 ? `tuned-${i + 1}` : 'tuned',
    label: sets.length > 1 ? `malloc ${i + 1}` : 'malloc tuned',
    env,
  }));
  const plain = { suffix: 'glibc-default', label: 'glibc default', env: false };
  return opts.mallocTuning === 'both' ? [...tuned, plain] : opts.mallocTuning === 'on' ? tuned : [plain];
}

/** Whether contender c is timed in scenario s (scenario-owned proxies only in the scenarios that list them). */
const appliesTo = (s, c) => (c.ownedBy ? c.ownedBy.includes(s.name) : s.appliesTo ? s.appliesTo(c) : true);

/** The common contenders a scenario's --contenders filter keeps: by kind (s3bridge, s3bridge-w2, pipe, nginx). */
const wanted = (kind) => opts.contenders.length === 0 || opts.contenders.includes(kind);

async function startContenders(originUrl, originBUrl) {
  const variants = mallocVariants();
  const contenders = wanted('direct') ? [{ id: 'direct', kind: 'direct', label: 'direct (no proxy)', target: makeTarget(originUrl) }] : [];
  const notes = [];
  const add = (proxy, fields) => {
    cleanups.push(proxy.stop);
    contenders.push({ ...fields, target: makeTarget(proxy.url), proxy, idle: memoryOf(processTree(proxy.pid)) });
  };
  const start = async (kind, script, variant, own, extra = {}) => {
    const id = own ? `${own.id}/${variant.suffix}` : `${kind}/${variant.suffix}`;
    const proxy = await startProxy({
      name: id.replace('/', '-'),
      script,
      originUrl,
      originBUrl,
      observability: own?.observability,
      store: own?.store,
      workers: extra.workers,
      mallocTuning: variant.env,
      workDir,
    });
    add(proxy, {
      id,
      label: `${own?.label ?? extra.label ?? kind} (${variant.label})`,
      kind,
      workers: extra.workers ?? 1,
      mallocEnv: variant.env || {},
      ...(own ? { ownedBy: scenarios.filter((s) => s.proxies?.some((p) => p.id === own.id)).map((s) => s.name) } : {}),
    });
  };
  const dist = join(ROOT, 'dist', 'main.js');
  const pipe = join(HERE, 'lib', 'pipe-proxy.js');
  const scripts = { s3bridge: dist, pipe, 'http-proxy': join(HERE, 'lib', 'http-proxy-proxy.js') };
  let subject = 's3bridge';
  if (opts.proxy === 'pipe') subject = 'pipe';
  else {
    try {
      if (!existsSync(dist)) throw new Error(`${dist} does not exist (npm run build)`);
      if (wanted('s3bridge')) for (const v of variants) await start('s3bridge', dist, v, undefined, { label: 's3bridge, workers=1' });
      // The "all cores" variant: the same config with two workers sharing the port (tuned allocator only).
      if (wanted('s3bridge-w2')) await start('s3bridge-w2', dist, variants[0], undefined, { workers: 2, label: 's3bridge, workers=2' });
    } catch (err) {
      if (opts.proxy === 'dist') throw err;
      notes.push(`s3bridge not measured: ${err.message.split('\n')[0]}; measuring the node:http pipe proxy instead`);
      log(`bench: WARNING ${notes.at(-1)}\n${err.message}`);
      subject = 'pipe';
    }
  }
  // Yardsticks: the bare node:http pipe proxy and nginx, with the first allocator variant (tuned by default).
  if ((subject === 'pipe' || opts.yardsticks.includes('pipe')) && wanted('pipe'))
    await start('pipe', pipe, variants[0], undefined, { label: 'node:http pipe proxy' });
  if (opts.yardsticks.includes('nginx') && wanted('nginx')) {
    if (!nginxBinary()) notes.push('nginx not measured: not installed (apt-get install -y nginx-light)');
    else
      add(await startNginx({ name: 'nginx', originUrl, workDir }), {
        id: 'nginx',
        kind: 'nginx',
        label: 'nginx (1 worker, proxy_pass, buffering off, keepalive upstream)',
        mallocEnv: {},
      });
  }
  // Proxies owned by the selected scenarios: one process each, with the first allocator variant (tuned by default).
  const owned = new Map(scenarios.flatMap((s) => s.proxies ?? []).map((p) => [p.id, p]));
  for (const own of owned.values()) {
    if (own.script === 's3bridge' && subject !== 's3bridge') {
      notes.push(`${own.id} not measured: s3bridge did not start`);
      continue;
    }
    await start(own.kind, scripts[own.script], variants[0], own);
  }
  return { contenders, subject, notes };
}

const QUIET_CORES = 0.25;

/** Waits (up to opts.waitQuiet seconds) until the machine, with the benchmark idle, uses less than QUIET_CORES. */
async function waitForQuiet() {
  const deadline = Date.now() + opts.waitQuiet * 1000;
  let busy;
  do {
    const a = machineCpu();
    await new Promise((r) => setTimeout(r, 500));
    busy = (machineCpu().busy - a.busy) / 0.5;
  } while (busy >= QUIET_CORES && Date.now() < deadline);
  return busy;
}

/** One timed run of scenario s against contender c, with the proxy's CPU and peak RSS read around it. */
async function measure(ctx, s, c, params, rep) {
  const loadBefore = opts.waitQuiet > 0 ? await waitForQuiet() : undefined;
  const pid = c.proxy?.pid;
  // Every process of the contender: a cluster's primary and workers, nginx's master and worker, the s3rver yardstick.
  const pids = pid ? [...processTree(pid), ...(c.proxy?.extraPids?.() ?? [])] : [];
  const peakReset = pids.map(resetPeak).every(Boolean);
  const proxyCpu0 = cpuSecondsOf(pids);
  const originCpu = () => cpuSeconds(ctx.originPid) + cpuSeconds(ctx.originBPid);
  const originCpu0 = originCpu();
  const clientCpu0 = process.cpuUsage();
  const machine0 = machineCpu();
  const t0 = performance.now();
  let timer;
  const result = await Promise.race([
    s.run(ctx, c, params),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
    }),
  ])
    .catch((err) => ({ ok: false, error: String(err?.message ?? err), bytes: 0, requests: 0, metrics: {} }))
    .finally(() => clearTimeout(timer));
  const client = process.cpuUsage(clientCpu0);
  const run = { scenario: s.name, contender: c.id, rep, ...result, clientCpuSeconds: (client.user + client.system) / 1e6 };
  run.originCpuSeconds = originCpu() - originCpu0;
  run.wallSeconds = (performance.now() - t0) / 1000;
  const machine1 = machineCpu();
  if (pid && c.proxy.alive()) {
    run.proxyCpuSeconds = cpuSecondsOf(pids) - proxyCpu0;
    const mem = memoryOf(pids);
    run.proxyPeakRssMB = mem.peakMB;
    run.proxyPeakIsLifetime = !peakReset;
    if (pids.length > 1) run.proxyProcesses = pids.length;
  } else if (pid) {
    run.ok = false;
    run.error = `proxy exited: ${c.proxy.stderrTail().split('\n').slice(-3).join(' | ')}`;
  }
  // Load on the machine that is not this benchmark (other work on a shared VM): a noisy run shows here.
  const external = run.externalCpuSeconds ?? (ctx.loadgen === 'wrk' ? (run.loadgenCpuSeconds ?? 0) : 0);
  const ours = (run.proxyCpuSeconds ?? 0) + run.originCpuSeconds + run.clientCpuSeconds + (Number.isFinite(external) ? external : 0);
  run.otherLoadCores = Math.max(0, machine1.busy - machine0.busy - ours) / run.wallSeconds;
  run.stealCores = (machine1.steal - machine0.steal) / run.wallSeconds;
  if (loadBefore !== undefined) run.loadBeforeCores = loadBefore;
  return deriveCosts(run, s.costBasis);
}

function describe(run, s) {
  if (!run.ok) return `FAILED ${run.error}`;
  const v = run.metrics[s.primary.key];
  const cost =
    run.proxyCpuSecondsPerGiB !== undefined
      ? ` proxy cpu ${run.proxyCpuSecondsPerGiB.toFixed(2)} s/GiB`
      : run.proxyCpuUsPerRequest !== undefined
        ? ` proxy cpu ${run.proxyCpuUsPerRequest.toFixed(0)} µs/req`
        : '';
  const rss = run.proxyPeakRssMB !== undefined ? ` peak ${run.proxyPeakRssMB.toFixed(0)} MB` : '';
  const ext =
    run.externalCpuSeconds !== undefined && run.clientCpuSecondsPerGiB !== undefined
      ? ` client process cpu ${run.clientCpuSecondsPerGiB.toFixed(2)} s/GiB, peak ${Number(run.metrics.clientPeakRssMB).toFixed(0)} MB`
      : '';
  const other = run.otherLoadCores > 0.1 ? ` (other load ${run.otherLoadCores.toFixed(2)} cores)` : '';
  return `${v >= 100 ? v.toFixed(0) : v.toPrecision(3)} ${s.primary.unit}${cost}${rss}${ext}${other}`;
}

async function main() {
  log(`bench: ${opts.quick ? 'quick' : 'full'} run, scenarios ${scenarios.map((s) => s.name).join(',')}, load generator ${opts.loadgen}, work dir ${workDir}`);
  const origin = await spawnOrigin(join(HERE, 'origin.js'));
  cleanups.push(origin.stop);
  // Origin B: backend "origin-b" (bucket bench-b), the destination of cross-backend copies.
  const originB = await spawnOrigin(join(HERE, 'lib', 'copy-origin.js'));
  cleanups.push(originB.stop);
  const { contenders: all, subject, notes } = await startContenders(origin.url, originB.url);
  const ctx = { opts, originUrl: origin.url, originPid: origin.pid, originBUrl: originB.url, originBPid: originB.pid, loadgen: opts.loadgen };
  for (const s of scenarios) {
    const n = s.note?.();
    if (n) notes.push(n);
  }

  const checks = {};
  let contenders = all;
  if (opts.checks) {
    for (const c of all) checks[c.id] = await checkContender(c, origin.url);
    const broken = all.filter((c) => checks[c.id].some((x) => x.required && !x.ok));
    for (const c of broken) notes.push(`${c.id} failed correctness checks and was not timed`);
    contenders = all.filter((c) => !broken.includes(c));
    const text = formatChecks(checks);
    if (text) log(`checks:\n${text}`);
  }

  const runs = [];
  const paramsUsed = {};
  for (const s of scenarios) {
    const params = s.params(opts);
    paramsUsed[s.name] = params;
    log(`\n== ${s.name}: ${s.title} ${JSON.stringify(params)}${s.budget ? `\n   budget: ${s.budget}` : ''}`);
    const mine = contenders.filter((c) => appliesTo(s, c));
    for (const c of mine) await s.warmup?.(ctx, c, params).catch((err) => log(`warmup ${c.id}: ${err.message}`));
    for (let rep = 0; rep < params.reps; rep++) {
      // Rotate the order each repetition (A B C, B C A, ...) so no contender always runs right after another.
      for (let i = 0; i < mine.length; i++) {
        const c = mine[(i + rep) % mine.length];
        const run = await measure(ctx, s, c, params, rep);
        runs.push(run);
        log(`${s.name.padEnd(6)} ${c.id.padEnd(28)} rep ${rep + 1}/${params.reps}  ${describe(run, s)}`);
      }
    }
  }

  const summary = summarize(scenarios, contenders, runs);
  for (const s of scenarios) if (s.budget) notes.push(`${s.name} budget: ${s.budget}`);
  const tableText = formatTable(scenarios, contenders, summary);
  console.log(`\n${tableText}\n`);
  const yardsticks = formatYardsticks(contenders, summary);
  if (yardsticks) console.log(`${yardsticks}\n`);
  console.log(formatNoise(scenarios, runs));
  for (const n of notes) console.log(`note: ${n}`);

  let commit;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = undefined;
  }
  const result = {
    startedAt: started.toISOString(),
    durationSeconds: (Date.now() - started.getTime()) / 1000,
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: totalmem() / 1024 ** 3, loadavgAtStart, loadavgAtEnd: loadavg(), node: process.version },
    commit,
    options: { ...opts, outDir: undefined },
    subject,
    notes,
    contenders: all.map((c) => ({
      id: c.id,
      kind: c.kind,
      workers: c.workers,
      label: c.label,
      mallocEnv: c.mallocEnv,
      idleRssMB: c.idle?.rssMB,
      timed: contenders.includes(c),
      ownedBy: c.ownedBy,
    })),
    params: paramsUsed,
    checks,
    summary,
    runs,
    table: tableText,
    yardsticks,
  };
  mkdirSync(opts.outDir, { recursive: true });
  const file = join(opts.outDir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`results: ${file}`);
  return runs.every((r) => r.ok) && contenders.length === all.length ? 0 : 1;
}

/** Stops every process this run started; keeps the proxies' logs and configs when the run failed. */
async function cleanup(keepLogs) {
  await closeClient().catch(() => undefined);
  closeSdkClients();
  for (const stop of cleanups.reverse()) await stop().catch(() => undefined);
  if (keepLogs) log(`bench: proxy configs and logs kept in ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  cleanup(false).finally(() => process.exit(130));
});
main()
  .then(async (code) => {
    await cleanup(code !== 0);
    process.exit(code);
  })
  .catch(async (err) => {
    console.error(`bench: ${err.stack ?? err}`);
    await cleanup(true);
    process.exit(1);
  });
