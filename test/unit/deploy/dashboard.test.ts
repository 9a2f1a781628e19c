// deploy/grafana/s3bridge-dashboard.json: every query uses only metrics and labels that metrics.ts declares.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/metrics.js';

// biome-ignore lint/suspicious/noExplicitAny: walks arbitrary JSON documents
type Json = Record<string, any>;

const dashboard: Json = JSON.parse(readFileSync(new URL('../../../deploy/grafana/s3bridge-dashboard.json', import.meta.url), 'utf8'));

/** Labels Prometheus adds to every scraped series (target labels), usable in any query. */
const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'service', 'container', 'endpoint']);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/** Declared s3bridge metric → label names, straight from the metrics module. */
function declaredMetrics(): Map<string, { type: string; labels: string[] }> {
  const registry = createMetrics({ defaultMetrics: false }).registry;
  const out = new Map<string, { type: string; labels: string[] }>();
  for (const m of registry.getMetricsAsArray() as unknown as Array<{ name: string; type: string; labelNames: string[] }>) {
    out.set(m.name, { type: m.type, labels: [...m.labelNames] });
  }
  return out;
}
const DECLARED = declaredMetrics();

/** The declared metric a series name belongs to (x_bucket → x for histograms), or undefined. */
function baseMetric(series: string): string | undefined {
  if (DECLARED.has(series)) return series;
  for (const suffix of HISTOGRAM_SUFFIXES) {
    const base = series.slice(0, -suffix.length);
    if (series.endsWith(suffix) && DECLARED.get(base)?.type === 'histogram') return base;
  }
  return undefined;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

interface QueryUse {
  metrics: string[];
  selectorLabels: Array<[string, string]>;
  groupingLabels: string[];
}

/** Metric names and label names a PromQL expression uses; label values and Grafana variables set aside. */
function analyseQuery(expr: string): QueryUse {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  const selectorLabels: Array<[string, string]> = [];
  s = s.replace(/([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g, (_m, name: string | undefined, body: string) => {
    for (const [, label] of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) selectorLabels.push([name ?? '', label!]);
    return ` ${name ?? ''} `;
  });
  const groupingLabels: string[] = [];
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_m, _kw, list: string) => {
    groupingLabels.push(
      ...list
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return ' ';
  });
  s = s
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+-?(?:\d+(?:ms|[smhdwy]))+/g, ' ')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ' ')
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, ' ');
  const metrics: string[] = [];
  for (const m of s.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = s.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0].toLowerCase())) continue; // a function or aggregation
    metrics.push(m[0]);
  }
  return { metrics, selectorLabels, groupingLabels };
}

interface Query {
  where: string;
  expr: string;
  legend?: string;
}

function queries(): Query[] {
  const out: Query[] = [];
  const walk = (panels: Json[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr, legend: t.legendFormat });
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const v of dashboard.templating.list) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (v.type !== 'query' || !q) continue;
    // label_values(metric, label) is Grafana's, not PromQL: read it as a selector on that label.
    const lv = /^label_values\(\s*([^,]+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(q);
    out.push({ where: `variable $${v.name}`, expr: lv ? `${lv[1]} by (${lv[2]})` : q });
  }
  return out;
}

function allPanels(): Json[] {
  const out: Json[] = [];
  const walk = (panels: Json[]) =>
    panels.forEach((p) => {
      out.push(p);
      walk(p.panels ?? []);
    });
  walk(dashboard.panels);
  return out;
}

describe('analyseQuery', () => {
  it.each([
    [
      'sum by (backend) (rate(s3bridge_sent_bytes_total{backend=~"$backend"}[$__rate_interval]))',
      ['s3bridge_sent_bytes_total'],
      [['s3bridge_sent_bytes_total', 'backend']],
      ['backend'],
    ],
    [
      'histogram_quantile(0.99, sum by (le, operation) (rate(x_bucket{a="1",b!~"x"}[5m])))',
      ['x_bucket'],
      [
        ['x_bucket', 'a'],
        ['x_bucket', 'b'],
      ],
      ['le', 'operation'],
    ],
    ['a / on (instance) group_left b * 1e3', ['a', 'b'], [], ['instance']],
    [
      'up{job="s3bridge", status=~"5.."} offset 5m',
      ['up'],
      [
        ['up', 'job'],
        ['up', 'status'],
      ],
      [],
    ],
    ['sum(rate({__name__="x"}[1m]))', [], [['', '__name__']], []],
  ])('%s', (expr, metrics, labels, grouping) => {
    expect(analyseQuery(expr)).toEqual({ metrics, selectorLabels: labels, groupingLabels: grouping });
  });
});

describe('the Grafana dashboard', () => {
  const all = queries();

  it('has queries to check', () => {
    expect(all.length).toBeGreaterThan(20);
    expect(all.every((q) => typeof q.expr === 'string' && q.expr.length > 0)).toBe(true);
  });

  it('uses only the contract metrics that metrics.ts declares', () => {
    const unknown = all.flatMap((q) =>
      analyseQuery(q.expr)
        .metrics.filter((m) => !m.startsWith('s3bridge_') || !baseMetric(m))
        .map((m) => `${q.where}: ${m}`),
    );
    expect(unknown).toEqual([]);
  });

  it('names only labels those metrics carry (plus le and target labels)', () => {
    const bad: string[] = [];
    for (const q of all) {
      const use = analyseQuery(q.expr);
      const bases = use.metrics.map((m) => baseMetric(m)!);
      const available = new Set([...TARGET_LABELS, ...bases.flatMap((b) => DECLARED.get(b)?.labels ?? [])]);
      if (use.metrics.some((m) => m.endsWith('_bucket'))) available.add('le');
      for (const [metric, label] of use.selectorLabels) {
        const own = new Set([...TARGET_LABELS, ...(DECLARED.get(baseMetric(metric) ?? '')?.labels ?? []), ...(metric.endsWith('_bucket') ? ['le'] : [])]);
        if (!own.has(label)) bad.push(`${q.where}: ${metric}{${label}}`);
      }
      for (const label of use.groupingLabels) if (!available.has(label)) bad.push(`${q.where}: by (${label})`);
      for (const [, label] of (q.legend ?? '').matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) {
        if (!use.groupingLabels.includes(label!)) bad.push(`${q.where}: legend {{${label}}} is not kept by the query`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('shows every s3bridge metric somewhere', () => {
    const used = new Set(all.flatMap((q) => analyseQuery(q.expr).metrics.map((m) => baseMetric(m))));
    expect([...DECLARED.keys()].filter((m) => !used.has(m))).toEqual([]);
  });

  it('has the panels operators look for', () => {
    const titles = allPanels().map((p) => p.title);
    for (const t of [
      'Requests/s by operation',
      'Error ratio (5xx)',
      'Error ratio by backend',
      'Latency p50 / p99 by backend',
      'Object bytes/s in and out',
      'In-flight requests',
      'Emulated copies/s by outcome',
      'Auth failures/s by code',
      'Upstream errors/s by backend and kind',
      'Upstream latency p50 / p99 by backend',
    ]) {
      expect(titles).toContain(t);
    }
  });

  it('is importable: unique panel ids, a Prometheus data source variable, panels inside the 24-column grid', () => {
    const panels = allPanels();
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.uid).toBe('s3bridge');
    expect(dashboard.templating.list.find((v: Json) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of panels.filter((x) => x.type !== 'row')) {
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      for (const t of p.targets) expect(t.datasource).toEqual(p.datasource);
    }
  });
});
