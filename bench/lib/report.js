// Benchmark harness: turns the raw runs into per-contender medians, the printed table and the JSON results file.
import { fmt, max, median, min, table } from './stats.js';

const GiB = 1024 ** 3;
/** Other load on the machine (cores) above which a run is counted as noisy. */
export const NOISY_CORES = 0.25;
const COST_KEYS = ['proxy', 'origin', 'client'].flatMap((who) => [`${who}CpuSecondsPerGiB`, `${who}CpuUsPerRequest`]);

/**
 * Adds per-unit costs to a run: CPU seconds per GiB (costBasis 'bytes') or µs per request ('requests') for the proxy,
 * the origin and the client side (the load generator's own count when it has one, e.g. wrk in another process).
 */
export function deriveCosts(run, costBasis) {
  const per = (seconds) => {
    if (seconds === undefined || !Number.isFinite(seconds)) return undefined;
    if (costBasis === 'bytes') return run.bytes > 0 ? seconds / (run.bytes / GiB) : undefined;
    return run.requests > 0 ? (seconds * 1e6) / run.requests : undefined;
  };
  const suffix = costBasis === 'bytes' ? 'CpuSecondsPerGiB' : 'CpuUsPerRequest';
  run[`proxy${suffix}`] = per(run.proxyCpuSeconds);
  run[`origin${suffix}`] = per(run.originCpuSeconds);
  run[`client${suffix}`] = per(run.loadgenCpuSeconds ?? run.clientCpuSeconds);
  for (const k of Object.keys(run)) if (run[k] === undefined) delete run[k];
  return run;
}

/** { [scenario]: { [contender]: summary } } from the list of runs (failed runs are counted, not averaged). */
export function summarize(scenarios, contenders, runs) {
  const out = {};
  for (const s of scenarios) {
    const perContender = {};
    for (const c of contenders) {
      const mine = runs.filter((r) => r.scenario === s.name && r.contender === c.id);
      if (mine.length === 0) continue;
      const ok = mine.filter((r) => r.ok);
      const values = ok.map((r) => r.metrics[s.primary.key]);
      const extraKeys = [...new Set(ok.flatMap((r) => Object.keys(r.metrics)))].filter((k) => k !== s.primary.key);
      perContender[c.id] = {
        runs: mine.length,
        failed: mine.length - ok.length,
        errors: [...new Set(mine.filter((r) => !r.ok).map((r) => r.error))],
        median: median(values),
        min: min(values),
        max: max(values),
        quietMedian: median(ok.filter((r) => !(r.otherLoadCores > NOISY_CORES)).map((r) => r.metrics[s.primary.key])),
        values,
        ...Object.fromEntries(COST_KEYS.map((k) => [k, median(ok.map((r) => r[k]))])),
        proxyPeakRssMB: max(ok.map((r) => r.proxyPeakRssMB)),
        noisy: mine.filter((r) => r.otherLoadCores > NOISY_CORES).length,
        otherLoadCores: { median: median(mine.map((r) => r.otherLoadCores)), max: max(mine.map((r) => r.otherLoadCores)) },
        extra: Object.fromEntries(extraKeys.map((k) => [k, median(ok.map((r) => r.metrics[k]))])),
      };
    }
    // Scenarios without the direct contender (proxy variants only) compare with their first contender instead.
    const reference = perContender.direct ?? Object.values(perContender)[0];
    for (const sum of Object.values(perContender)) sum.vsDirect = reference?.median ? sum.median / reference.median : NaN;
    out[s.name] = perContender;
  }
  return out;
}

/** The table printed at the end of a run (markdown, so it can be pasted into docs/performance.md). */
export function formatTable(scenarios, contenders, summary) {
  const rows = [];
  for (const s of scenarios) {
    for (const c of contenders) {
      const x = summary[s.name]?.[c.id];
      if (!x) continue;
      const cost = (who) => {
        const v = s.costBasis === 'bytes' ? x[`${who}CpuSecondsPerGiB`] : x[`${who}CpuUsPerRequest`];
        return Number.isFinite(v) ? `${fmt(v)} ${s.costBasis === 'bytes' ? 's/GiB' : 'µs/req'}` : '–';
      };
      const extra = Object.entries(x.extra)
        .filter(([k]) => k === 'p50Ms' || k === 'p99Ms' || k === 'clientPeakRssMB')
        .map(([k, v]) => (k === 'clientPeakRssMB' ? `client peak RSS ${fmt(v)} MB` : `${k.replace('Ms', '')} ${fmt(v)} ms`))
        .join(', ');
      const first = Object.keys(summary[s.name] ?? {})[0];
      rows.push([
        s.name,
        s.label?.(c) ?? c.label,
        `${fmt(x.median)} ${s.primary.unit}`,
        `${fmt(x.min)}–${fmt(x.max)}`,
        c.id === 'direct' || (!summary[s.name].direct && c.id === first) ? '' : `${fmt(x.vsDirect * 100)}%`,
        cost('proxy'),
        Number.isFinite(x.proxyPeakRssMB) ? fmt(x.proxyPeakRssMB) : '–',
        extra,
        cost('client'),
        `${x.runs}${x.noisy ? ` (${x.noisy} noisy)` : ''}${x.failed ? `, ${x.failed} FAILED: ${x.errors.join('; ')}` : ''}`,
      ]);
    }
  }
  return table(['scenario', 'contender', 'median', 'min–max', 'vs direct (or 1st)', 'proxy CPU', 'peak RSS MB', 'latency / other', 'client CPU', 'runs'], rows);
}

/** The failing or informative checks, one line each. */
export function formatChecks(checks) {
  const lines = [];
  for (const [id, list] of Object.entries(checks)) {
    for (const c of list) {
      if (!c.ok || !c.required) lines.push(`${id}: ${c.ok ? 'ok  ' : c.required ? 'FAIL' : 'no  '} ${c.name}${c.detail ? ` (${c.detail})` : ''}`);
    }
  }
  return lines.join('\n');
}

/** One line per scenario on CPU load from outside the benchmark, which makes a comparison unreliable (> ~0.2 cores). */
export function formatNoise(scenarios, runs) {
  return (
    scenarios
      .map((s) => {
        const loads = runs.filter((r) => r.scenario === s.name).map((r) => r.otherLoadCores);
        const steal = runs.filter((r) => r.scenario === s.name).map((r) => r.stealCores);
        return `${s.name}: other load on the machine median ${fmt(median(loads))} cores, max ${fmt(max(loads))}; steal median ${fmt(median(steal))} cores`;
      })
      .join('\n') + `\n(a run is noisy when other load exceeds ${NOISY_CORES} cores; compare only quiet runs, or re-run)`
  );
}

/** The scenarios of the yardstick table, and the columns it takes from each. */
const YARDSTICK_SCENARIOS = ['get', 'put', 'small', 'small-1conn', 'parallel-get'];

/**
 * The yardstick table: one row per common contender across get, put, small and parallel-get, in the units of
 * docs/performance.md, then s3bridge against the node:http pipe proxy (and workers=2 against workers=1) as ratios.
 * '' when none of those scenarios ran.
 */
export function formatYardsticks(contenders, summary) {
  if (!YARDSTICK_SCENARIOS.some((s) => summary[s])) return '';
  const at = (s, c) => summary[s]?.[c.id];
  const rows = contenders.filter((c) => !c.ownedBy && YARDSTICK_SCENARIOS.some((s) => at(s, c)));
  const n = (v, unit = '') => (Number.isFinite(v) ? `${fmt(v)}${unit}` : '–');
  const pair = (a, b) => (Number.isFinite(a) || Number.isFinite(b) ? `${n(a)} / ${n(b)}` : '–');
  const kilo = (v) => (Number.isFinite(v) ? (v >= 1000 ? `${fmt(v / 1000)}k` : fmt(v)) : '–');
  const body = rows.map((c) => [
    c.label,
    n(at('get', c)?.median),
    n(at('put', c)?.median),
    kilo(at('small', c)?.median),
    pair(at('small', c)?.extra.p50Ms, at('small', c)?.extra.p99Ms),
    n(at('small', c)?.proxyCpuUsPerRequest),
    n(at('small-1conn', c)?.median),
    pair(at('get', c)?.proxyCpuSecondsPerGiB, at('put', c)?.proxyCpuSecondsPerGiB),
    pair(at('get', c)?.proxyPeakRssMB, at('small', c)?.proxyPeakRssMB),
    n(at('parallel-get', c)?.median),
    n(at('parallel-get', c)?.proxyCpuSecondsPerGiB),
    n(at('parallel-get', c)?.proxyPeakRssMB),
  ]);
  const text = [
    table(
      [
        'contender',
        '1 GiB GET MB/s',
        '1 GiB PUT MB/s',
        '1 KiB GET req/s (64 conns)',
        'p50 / p99 ms',
        'proxy CPU µs/req',
        '1 conn p50 ms',
        'proxy CPU s/GiB (GET / PUT)',
        'peak RSS MB (1 GiB GET / small)',
        '16 × 256 MiB GET MB/s',
        '… proxy CPU s/GiB',
        '… peak RSS MB',
      ],
      body,
    ),
  ];

  // Ratios: throughput as a percentage of the reference, costs as a multiple of it.
  const ratio = (c, ref, pick, asCost) => {
    const a = pick(c);
    const b = pick(ref);
    if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return undefined;
    return asCost ? `${fmt(a / b)}×` : `${fmt((a / b) * 100)}%`;
  };
  const FIGURES = [
    ['1 GiB GET', (c) => at('get', c)?.median],
    ['1 GiB PUT', (c) => at('put', c)?.median],
    ['1 KiB req/s', (c) => at('small', c)?.median],
    ['16 × 256 MiB GET', (c) => at('parallel-get', c)?.median],
    ['CPU µs/req', (c) => at('small', c)?.proxyCpuUsPerRequest, true],
    ['CPU s/GiB GET', (c) => at('get', c)?.proxyCpuSecondsPerGiB, true],
    ['CPU s/GiB PUT', (c) => at('put', c)?.proxyCpuSecondsPerGiB, true],
    ['CPU s/GiB 16 × 256 MiB', (c) => at('parallel-get', c)?.proxyCpuSecondsPerGiB, true],
  ];
  const line = (c, ref) => {
    const parts = FIGURES.map(([name, pick, cost]) => [name, ratio(c, ref, pick, cost)]).filter(([, r]) => r !== undefined);
    return parts.length ? `${c.label} / ${ref.label}: ${parts.map(([name, r]) => `${name} ${r}`).join(', ')}` : undefined;
  };
  const pipe = rows.find((c) => c.kind === 'pipe');
  const w1 = rows.find((c) => c.kind === 's3bridge');
  const lines = [];
  if (pipe) for (const c of rows.filter((r) => r.kind === 's3bridge' || r.kind === 's3bridge-w2')) lines.push(line(c, pipe));
  if (w1) for (const c of rows.filter((r) => r.kind === 's3bridge-w2')) lines.push(line(c, w1));
  // The latency a proxy adds to one request with nothing queued: its p50 at one connection minus direct's.
  const direct = rows.find((c) => c.kind === 'direct');
  const directP50 = direct && at('small-1conn', direct)?.median;
  if (Number.isFinite(directP50)) {
    for (const c of rows.filter((r) => r !== direct && Number.isFinite(at('small-1conn', r)?.median))) {
      lines.push(`${c.label}: adds ${fmt(at('small-1conn', c).median - directP50)} ms p50 at 1 connection over direct`);
    }
  }
  if (lines.some(Boolean)) text.push('', 'ratios (throughput: % of the second; CPU: × the second):', ...lines.filter(Boolean).map((l) => `- ${l}`));
  return text.join('\n');
}
