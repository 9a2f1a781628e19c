// Benchmark scenarios that compare proxy variants on the base workloads (scenarios.js): s3bridge with its access log
// and metrics on and off, and the http-proxy package against the node:http pipe proxy. Each declares the proxies it
// needs in `proxies`; bench/run.js starts those only when the scenario is selected, and they take part in no other
// scenario.

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Scenario-owned proxies: script is 's3bridge' (dist/main.js), 'pipe' (node:http) or 'http-proxy'. */
const OBS_ON = { id: 's3bridge-obs-on', kind: 's3bridge', script: 's3bridge', label: 's3bridge, access log + metrics ON (defaults)' };
const OBS_OFF = {
  id: 's3bridge-obs-off',
  kind: 's3bridge',
  script: 's3bridge',
  label: 's3bridge, access log + metrics OFF',
  observability: { accessLog: false, metrics: false },
};
const HTTP_PROXY = { id: 'http-proxy', kind: 'http-proxy', script: 'http-proxy', label: 'minimal http-proxy pass-through' };

/** The scenarios of this file, built on the base get/put/small scenarios (passed in, to avoid an import cycle). */
export function proxyScenarios(base) {
  const byName = Object.fromEntries(base.map((s) => [s.name, s]));
  const small = byName.small;
  const variants = [
    {
      ...small,
      name: 'small-observability',
      title: 'GET 1 KiB, 64 connections: s3bridge with access log + metrics on vs off',
      budget: 'ON at most 10% fewer req/s than OFF',
      proxies: [OBS_ON, OBS_OFF],
      appliesTo: () => false,
      params: (opts) => ({
        connections: 64,
        seconds: opts.duration ?? (opts.quick ? 2 : 5),
        reps: opts.reps ?? (opts.quick ? 2 : 5),
      }),
    },
  ];
  // `--only http-proxy` selects the three (group): 1 GiB GET, 1 GiB PUT and 1 KiB GETs through http-proxy and the
  // node:http pipe proxy (the common yardstick contender).
  const hp = (s, params) => ({
    ...s,
    name: `http-proxy-${s.name}`,
    group: 'http-proxy',
    title: `${s.title} (http-proxy vs node:http pipe)`,
    proxies: [HTTP_PROXY],
    appliesTo: (c) => c.kind === 'direct' || c.kind === 'pipe',
    params,
  });
  const streamParams = (opts) => ({ size: opts.size ?? (opts.quick ? 128 * MiB : GiB), reps: opts.reps ?? (opts.quick ? 1 : 3) });
  variants.push(
    hp(byName.get, streamParams),
    hp(byName.put, streamParams),
    hp(small, (opts) => ({ connections: 64, seconds: opts.duration ?? (opts.quick ? 2 : 5), reps: opts.reps ?? (opts.quick ? 2 : 3) })),
  );
  return variants;
}
