// Benchmark harness: the command line and environment of bench/run.js, parsed and checked before anything starts.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MALLOC_TUNING } from './processes.js';
import { parseSize } from './stats.js';

export const USAGE = `usage: node bench/run.js [options]      (npm run bench -- [options])
  --quick                    smoke check: 128 MiB objects (copy: 256 MiB), 2 s load runs, 1-2 repetitions
  --only LIST                scenarios to run, comma-separated: get, put, post-form, small, small-1conn,
                             small-sigv2, parallel-get, upload-sdk, copy, copy-checksum, small-observability,
                             http-proxy (= http-proxy-get,-put,-small), embedded (= embedded-put,-get: the
                             embedded store vs s3rver); default all
  --contenders LIST          common contenders to time, by kind: direct, s3bridge (workers=1), s3bridge-w2
                             (workers=2), pipe (node:http pipe proxy), nginx; default all (scenario-owned
                             proxies of the selected scenarios always run)
  --yardsticks LIST          yardstick proxies to start: pipe, nginx (if installed), or none; default pipe,nginx
  --proxy dist|pipe|auto     what to measure: s3bridge (dist/main.js, the default), the node:http pipe proxy,
                             or s3bridge falling back to the pipe proxy when it does not start
  --malloc-tuning on|off|both  start each proxy with MALLOC_TRIM_THRESHOLD_/MALLOC_TOP_PAD_ set (default), unset,
                             or both ways as separate s3bridge contenders
  --malloc-env K=V,K=V       the variables "malloc tuned" sets instead of that pair; repeat the option to compare
                             several sets (contenders tuned-1, tuned-2, ...)
  --loadgen auto|autocannon|wrk  small-request load generator (default auto: wrk if installed, else autocannon)
  --reps N  --size SIZE  --duration SECONDS   override repetitions, object size (e.g. 256MiB), load-run length
  --wait-quiet SECONDS       before each run, wait up to SECONDS for other load on the machine to drop below
                             0.25 cores (for a shared machine; default 0 = don't wait)
  --no-checks                skip the correctness checks before timing
  --out DIR                  where the JSON goes (default bench/results)
Environment: BENCH_QUICK=1, BENCH_ONLY, BENCH_CONTENDERS, BENCH_PROXY, BENCH_MALLOC_TUNING, BENCH_LOADGEN,
BENCH_WAIT_QUIET are the same as the options.`;

const KINDS = ['direct', 's3bridge', 's3bridge-w2', 'pipe', 'nginx'];
const list = (text) =>
  (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** "A=1,B=2" → { A: '1', B: '2' }. */
export function parseEnvList(text) {
  const out = {};
  for (const pair of text.split(',').filter(Boolean)) {
    const m = /^([A-Z_]+)=(.*)$/.exec(pair.trim());
    if (!m) throw new Error(`--malloc-env: "${pair}" is not NAME=value`);
    out[m[1]] = m[2];
  }
  return out;
}

function choice(value, allowed, name) {
  if (!allowed.includes(value)) throw new Error(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
  return value;
}

/** argv (without node and script) + env → options; throws Error with a message for the user on bad input. */
export function parseOptions(argv, env, { resultsDir, scenarios }) {
  const { values: a } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      proxy: { type: 'string' },
      contenders: { type: 'string' },
      yardsticks: { type: 'string' },
      'malloc-tuning': { type: 'string' },
      'malloc-env': { type: 'string', multiple: true },
      loadgen: { type: 'string' },
      reps: { type: 'string' },
      size: { type: 'string' },
      duration: { type: 'string' },
      'wait-quiet': { type: 'string' },
      'no-checks': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const opts = {
    help: a.help ?? false,
    quick: a.quick ?? env.BENCH_QUICK === '1',
    only: list(a.only ?? env.BENCH_ONLY),
    contenders: list(a.contenders ?? env.BENCH_CONTENDERS),
    yardsticks: a.yardsticks === 'none' ? [] : list(a.yardsticks ?? 'pipe,nginx'),
    proxy: choice(a.proxy ?? env.BENCH_PROXY ?? 'dist', ['dist', 'pipe', 'auto'], '--proxy'),
    mallocTuning: choice(a['malloc-tuning'] ?? env.BENCH_MALLOC_TUNING ?? 'on', ['on', 'off', 'both'], '--malloc-tuning'),
    mallocEnv: a['malloc-env'] === undefined ? [MALLOC_TUNING] : a['malloc-env'].map(parseEnvList),
    loadgen: choice(a.loadgen ?? env.BENCH_LOADGEN ?? 'auto', ['auto', 'autocannon', 'wrk'], '--loadgen'),
    reps: a.reps === undefined ? undefined : Number(a.reps),
    size: a.size === undefined ? undefined : parseSize(a.size),
    duration: a.duration === undefined ? undefined : Number(a.duration),
    waitQuiet: Number(a['wait-quiet'] ?? env.BENCH_WAIT_QUIET ?? 0),
    checks: !a['no-checks'],
    outDir: resolve(a.out ?? resultsDir),
  };
  if (opts.reps !== undefined && !(Number.isInteger(opts.reps) && opts.reps > 0)) throw new Error('--reps must be a positive integer');
  if (a.size !== undefined && opts.size === undefined) throw new Error('--size must be a size such as 256MiB');
  if (opts.duration !== undefined && !(opts.duration > 0)) throw new Error('--duration must be a positive number of seconds');
  if (!(opts.waitQuiet >= 0)) throw new Error('--wait-quiet must be a number of seconds');
  const badKinds = opts.contenders.filter((k) => !KINDS.includes(k));
  if (badKinds.length) throw new Error(`unknown contender kind(s) ${badKinds.join(', ')}; known: ${KINDS.join(', ')}`);
  const badYardsticks = opts.yardsticks.filter((k) => k !== 'pipe' && k !== 'nginx');
  if (badYardsticks.length) throw new Error(`--yardsticks takes pipe, nginx or none (got ${badYardsticks.join(', ')})`);
  const unknown = opts.only.filter((n) => !scenarios.some((s) => s.name === n || s.group === n));
  const known = [...new Set(scenarios.flatMap((s) => [s.name, s.group].filter(Boolean)))];
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  // A group name (http-proxy) stands for all its scenarios.
  opts.only = scenarios.filter((s) => opts.only.includes(s.name) || (s.group && opts.only.includes(s.group))).map((s) => s.name);
  return opts;
}
