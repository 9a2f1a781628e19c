// Benchmark harness: the small-request load generator (autocannon in-process by default, wrk when asked and installed),
// normalised to { requests, seconds, rps, p50Ms, p99Ms, non2xx, errors, loadgenCpuSeconds }.
import { execFile, execFileSync } from 'node:child_process';
import autocannon from 'autocannon';
import { clockTicks } from './procfs.js';

export function wrkAvailable() {
  try {
    execFileSync('which', ['wrk'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A request not answered within this long counts as an error (timeout), with either load generator. */
const LOADGEN_TIMEOUT_SECONDS = 10;

function cpuNow() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function runAutocannon({ url, connections, seconds }) {
  const cpu0 = cpuNow();
  const r = await autocannon({ url, connections, duration: seconds, pipelining: 1, timeout: LOADGEN_TIMEOUT_SECONDS });
  return {
    requests: r.requests.total,
    seconds: r.duration,
    rps: r.requests.total / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    loadgenCpuSeconds: cpuNow() - cpu0,
  };
}

/** wrk's "12.34us" / "1.20ms" / "1.00s" → milliseconds. */
export function wrkDurationMs(text) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) return NaN;
  return Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3, m: 6e4 }[m[2]];
}

/** Parses `wrk --latency` output. */
export function parseWrk(out) {
  const num = (re) => Number(re.exec(out)?.[1] ?? 0);
  const requests = num(/(\d+) requests in/);
  const seconds = (() => {
    const m = /requests in ([\d.]+)(ms|s|m)/.exec(out);
    return m ? wrkDurationMs(`${m[1]}${m[2]}`) / 1000 : NaN;
  })();
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50Ms: wrkDurationMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    p99Ms: wrkDurationMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
    errors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

/**
 * One wrk thread: on 2 cores a second thread only takes CPU from the server side. wrk runs under a shell that
 * prints its own /proc stat afterwards: cutime+cstime (proc(5) fields 16, 17) are then wrk's CPU time.
 */
async function runWrk({ url, connections, seconds }) {
  const script = 'wrk "$@"; status=$?; echo "@@stat $(cat /proc/$$/stat)"; exit $status';
  const stdout = await new Promise((resolve, reject) => {
    // --timeout as autocannon's: wrk's default 2 s counts slow answers on a loaded machine as socket errors.
    execFile('sh', ['-c', script, 'sh', '-t1', `-c${connections}`, `-d${seconds}s`, `--timeout=${LOADGEN_TIMEOUT_SECONDS}s`, '--latency', url], (err, out) => {
      if (err) reject(err);
      else resolve(out);
    });
  });
  const stat = /@@stat (.*)$/m.exec(stdout)?.[1] ?? '';
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[13]) + Number(fields[14])) / clockTicks();
  return { ...parseWrk(stdout), loadgenCpuSeconds: cpu };
}

/** Runs `kind` ('autocannon' | 'wrk') against url for `seconds` with `connections` keep-alive connections. */
export function loadTest(kind, opts) {
  return kind === 'wrk' ? runWrk(opts) : runAutocannon(opts);
}
