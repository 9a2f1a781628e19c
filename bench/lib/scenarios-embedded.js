// Benchmark scenarios, the embedded store: 1 GiB PUT and GET, single stream, through s3bridge to its embedded store,
// interleaved with the same through s3bridge to s3rver 3.7.1 (what `embedded:` ran before, in its own process). CPU
// and peak RSS count every process of a contender (s3bridge, plus s3rver), so both pay for the same work. (The
// in-process vs child-process measurement of docs/design.md ran a third contender, at commit fb9711a.)
import { request } from 'undici';
import { getObject, putObject, signedHeaders } from './client.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const mbps = (bytes, seconds) => bytes / 1e6 / seconds;

const STORE = { id: 'embedded-store', kind: 's3bridge', script: 's3bridge', label: 's3bridge → embedded store', store: { kind: 'embedded' } };
const S3RVER = { id: 's3rver', kind: 's3bridge', script: 's3bridge', label: 's3bridge → s3rver 3.7.1 (own process)', store: { kind: 's3rver' } };

/** CreateBucket "bench" (200, or 409 when it exists). */
export async function createBenchBucket(target) {
  const res = await request(`${target.url}/bench`, {
    method: 'PUT',
    headers: signedHeaders(target, 'PUT', '/bench', { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' }),
  });
  await res.body.dump();
  if (res.statusCode !== 200 && res.statusCode !== 409) throw new Error(`CreateBucket answered ${res.statusCode}`);
}

const params = (opts) => ({ size: opts.size ?? (opts.quick ? 128 * MiB : GiB), reps: opts.reps ?? (opts.quick ? 2 : 5) });

export const EMBEDDED_SCENARIOS = [
  {
    name: 'embedded-put',
    group: 'embedded',
    title: 'PUT one object through s3bridge into its store, single stream, UNSIGNED-PAYLOAD',
    budget: 'embedded store at least 3x the MB/s of s3rver, flat memory',
    primary: { key: 'MBps', unit: 'MB/s', better: 'higher' },
    costBasis: 'bytes',
    proxies: [STORE, S3RVER],
    appliesTo: () => false,
    params,
    async warmup(_ctx, c) {
      await createBenchBucket(c.target);
      await putObject(c.target, '/bench/warm-put', 64 * MiB);
    },
    async run(_ctx, c, { size }) {
      const r = await putObject(c.target, '/bench/emb-put', size);
      const ok = r.status === 200;
      return {
        ok,
        error: ok ? undefined : `status ${r.status}: ${r.body.slice(0, 200)}`,
        bytes: size,
        requests: 1,
        metrics: { MBps: mbps(size, r.seconds), seconds: r.seconds },
      };
    },
  },
  {
    name: 'embedded-get',
    group: 'embedded',
    title: 'GET one object through s3bridge from its store, single stream',
    budget: 'embedded store at least 3x the MB/s of s3rver, flat memory',
    primary: { key: 'MBps', unit: 'MB/s', better: 'higher' },
    costBasis: 'bytes',
    proxies: [STORE, S3RVER],
    appliesTo: () => false,
    params,
    async warmup(_ctx, c, { size }) {
      await createBenchBucket(c.target);
      const r = await putObject(c.target, '/bench/emb-get', size);
      if (r.status !== 200) throw new Error(`PUT of the object to read answered ${r.status}`);
      await getObject(c.target, '/bench/emb-get');
    },
    async run(_ctx, c, { size }) {
      const r = await getObject(c.target, '/bench/emb-get');
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
];
