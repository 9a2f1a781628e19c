// Benchmark scenarios: what one timed run of each measurement does against one contender. The harness (bench/run.js)
// interleaves contenders, repeats, reads the proxy's CPU and peak RSS around every run and takes medians.
//
// Adding a scenario: append an object to SCENARIOS with
//   name        short id for --only
//   title       one line for the table
//   primary     { key, unit, better: 'higher' | 'lower' }: the figure compared between contenders
//   costBasis   'bytes' (proxy CPU s/GiB) or 'requests' (proxy CPU µs/request)
//   params(opts)            → { reps, ... } sizes and durations; opts.quick means a smoke check (< 1 min total)
//   warmup(ctx, c, params)  optional, untimed: connections, JIT, the origin's caches
//   run(ctx, c, params)     → { ok, error?, bytes, requests, metrics: { [primary.key]: number, ...extra },
//                               loadgenCpuSeconds? (when the load runs outside this process) }
// ctx = { opts, originUrl, originBUrl, loadgen }, c = a contender { id, kind, label, target, proxy? }.
// Optional fields:
//   appliesTo(c)  which of the common contenders take part (default: all); c.kind is direct, s3bridge,
//                 s3bridge-w2 (server.workers: 2), pipe or nginx
//   proxies       [{ id, kind, script: 's3bridge'|'pipe'|'http-proxy', label, observability? }]: proxies
//                 started only for this scenario (when selected) and timed only in the scenarios that list them
//   label(c)      the contender's name in this scenario's rows;  note()  a line printed under the table
//   group         a name --only accepts for several scenarios at once;  budget  the target, printed with the title
//   run() may also return externalCpuSeconds: CPU of a child process it ran (rclone), so it is not "other load".
import { getObject, postObject, presignedPath, presignedPathV2, putObject } from './client.js';
import { originStats } from './checks.js';
import { loadTest } from './loadgen.js';
import { proxyScenarios } from './scenarios-proxies.js';
import { TRANSFER_SCENARIOS } from './scenarios-transfer.js';
import { EMBEDDED_SCENARIOS } from './scenarios-embedded.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const mbps = (bytes, seconds) => bytes / 1e6 / seconds;

/** Size label used in object keys (the origin reads the size back from the key). */
const sizeKey = (size) => (size % GiB === 0 ? `${size / GiB}GiB` : size % MiB === 0 ? `${size / MiB}MiB` : `${size}`);

const BASE_SCENARIOS = [
  {
    name: 'get',
    title: 'GET one object, single stream',
    primary: { key: 'MBps', unit: 'MB/s', better: 'higher' },
    costBasis: 'bytes',
    params: (opts) => ({ size: opts.size ?? (opts.quick ? 128 * MiB : GiB), reps: opts.reps ?? (opts.quick ? 2 : 5) }),
    // One stream is one connection, served by one worker: a second worker changes nothing here.
    appliesTo: (c) => c.kind !== 's3bridge-w2',
    async warmup(_ctx, c) {
      await getObject(c.target, '/bench/warm-64MiB');
    },
    async run(_ctx, c, { size }) {
      const r = await getObject(c.target, `/bench/get-${sizeKey(size)}`);
      const ok = r.status === 200 && r.bytes === size;
      return {
        ok,
        error: ok ? undefined : `status ${r.status}, ${r.bytes} of ${size} bytes`,
        bytes: r.bytes,
        requests: 1,
        metrics: { MBps: mbps(r.bytes, r.seconds), seconds: r.seconds },
      };
    },
  },
  {
    name: 'put',
    title: 'PUT one object, single stream, UNSIGNED-PAYLOAD',
    primary: { key: 'MBps', unit: 'MB/s', better: 'higher' },
    costBasis: 'bytes',
    params: (opts) => ({ size: opts.size ?? (opts.quick ? 128 * MiB : GiB), reps: opts.reps ?? (opts.quick ? 2 : 5) }),
    appliesTo: (c) => c.kind !== 's3bridge-w2',
    async warmup(_ctx, c) {
      await putObject(c.target, '/bench/warm-put', 64 * MiB);
    },
    async run(ctx, c, { size }) {
      const before = await originStats(ctx.originUrl);
      const r = await putObject(c.target, `/bench/put-${sizeKey(size)}`, size);
      const after = await originStats(ctx.originUrl);
      const arrived = after.bytesReceived - before.bytesReceived;
      const ok = r.status === 200 && arrived === size;
      return {
        ok,
        error: ok ? undefined : `status ${r.status}, origin received ${arrived} of ${size} bytes`,
        bytes: size,
        requests: 1,
        metrics: { MBps: mbps(size, r.seconds), seconds: r.seconds },
      };
    },
  },
  {
    name: 'post-form',
    title: 'POST one object as a browser form upload (SigV4 policy), single stream: compare with put',
    primary: { key: 'MBps', unit: 'MB/s', better: 'higher' },
    costBasis: 'bytes',
    params: (opts) => ({ size: opts.size ?? (opts.quick ? 128 * MiB : GiB), reps: opts.reps ?? (opts.quick ? 2 : 5) }),
    // Only s3bridge turns a form into a PutObject; the origin and the yardsticks know no forms.
    appliesTo: (c) => c.kind === 's3bridge',
    async warmup(_ctx, c) {
      await postObject(c.target, 'bench', 'warm-post', 64 * MiB);
    },
    async run(ctx, c, { size }) {
      const before = await originStats(ctx.originUrl);
      const r = await postObject(c.target, 'bench', `post-${sizeKey(size)}`, size);
      const after = await originStats(ctx.originUrl);
      const arrived = after.bytesReceived - before.bytesReceived;
      const ok = r.status === 204 && arrived === size;
      return {
        ok,
        error: ok ? undefined : `status ${r.status}, origin received ${arrived} of ${size} bytes ${r.body.slice(0, 200)}`,
        bytes: size,
        requests: 1,
        metrics: { MBps: mbps(size, r.seconds), seconds: r.seconds },
      };
    },
  },
  smallGets({ name: 'small', connections: 64, primary: { key: 'rps', unit: 'req/s', better: 'higher' } }),
  // The same load presigned with SigV2 (boto3's default presign): its verification cost against small's SigV4.
  {
    ...smallGets({ name: 'small-sigv2', connections: 64, primary: { key: 'rps', unit: 'req/s', better: 'higher' }, presign: presignedPathV2 }),
    appliesTo: (c) => c.kind === 's3bridge',
  },
  // One connection, one request at a time: the latency a proxy adds to a request, with nothing queued behind it.
  {
    ...smallGets({ name: 'small-1conn', connections: 1, primary: { key: 'p50Ms', unit: 'ms p50', better: 'lower' } }),
    // One connection is served by one worker.
    appliesTo: (c) => c.kind !== 's3bridge-w2',
  },
  {
    name: 'parallel-get',
    title: 'GET 16 objects of 256 MiB at once, 16 connections',
    primary: { key: 'MBps', unit: 'MB/s', better: 'higher' },
    costBasis: 'bytes',
    // Not scaled by --size (that is the single-stream object size): 16 × 256 MiB = 4 GiB per run, quick 16 × 32 MiB.
    params: (opts) => ({ streams: 16, size: opts.quick ? 32 * MiB : 256 * MiB, reps: opts.reps ?? (opts.quick ? 1 : 3) }),
    async warmup(_ctx, c, { streams }) {
      await Promise.all(Array.from({ length: streams }, (_, i) => getObject(c.target, `/bench/warm-par-${i}-4MiB`)));
    },
    async run(_ctx, c, { streams, size }) {
      const t0 = process.hrtime.bigint();
      const rs = await Promise.all(Array.from({ length: streams }, (_, i) => getObject(c.target, `/bench/par-${i}-${sizeKey(size)}`)));
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const bytes = rs.reduce((n, r) => n + r.bytes, 0);
      const bad = rs.filter((r) => r.status !== 200 || r.bytes !== size);
      return {
        ok: bad.length === 0,
        error: bad.length ? `${bad.length} of ${streams} streams failed (status ${bad[0].status}, ${bad[0].bytes} of ${size} bytes)` : undefined,
        bytes,
        requests: streams,
        metrics: { MBps: mbps(bytes, seconds), seconds },
      };
    },
  },
];

export const SCENARIOS = [...BASE_SCENARIOS, ...TRANSFER_SCENARIOS, ...proxyScenarios(BASE_SCENARIOS), ...EMBEDDED_SCENARIOS];

/** GETs of a 1 KiB object for a few seconds over `connections` keep-alive connections, one presigned URL replayed. */
function smallGets({ name, connections, primary, presign = presignedPath }) {
  const scheme = presign === presignedPathV2 ? 'SigV2' : 'SigV4';
  return {
    name,
    title: `GET 1 KiB, ${connections} connection${connections === 1 ? '' : 's'}, ${scheme} presigned URL replayed`,
    primary,
    costBasis: 'requests',
    params: (opts) => ({
      connections,
      seconds: opts.duration ?? (opts.quick ? 2 : 5),
      reps: opts.reps ?? (opts.quick ? 2 : 3),
    }),
    async warmup(ctx, c, params) {
      await loadTest(ctx.loadgen, { url: `${c.target.url}${presign(c.target, '/bench/small-1KiB')}`, connections: params.connections, seconds: 1 });
    },
    async run(ctx, c, { connections, seconds }) {
      // One presigned URL per run: verifying the same signature again and again is what a replaying client costs.
      const url = `${c.target.url}${presign(c.target, '/bench/small-1KiB')}`;
      const r = await loadTest(ctx.loadgen, { url, connections, seconds });
      const ok = r.non2xx === 0 && r.errors === 0 && r.requests > 0;
      return {
        ok,
        error: ok ? undefined : `${r.non2xx} non-2xx, ${r.errors} errors of ${r.requests} requests`,
        bytes: r.requests * 1024,
        requests: r.requests,
        loadgenCpuSeconds: r.loadgenCpuSeconds,
        metrics: { rps: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms },
      };
    },
  };
}
