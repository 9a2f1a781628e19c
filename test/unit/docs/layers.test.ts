// Keeps docs/design.md's layering true: every import in src/ goes from a layer to one below it (or within its folder), and no import cycle exists.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/** docs/design.md "Folders and layers", top to bottom. */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['main'],
  ['workers'],
  ['app'],
  ['admin'],
  ['proxy'],
  ['handlers'],
  ['copy'],
  ['context'],
  ['upstream'],
  ['store'],
  ['body'],
  ['auth'],
  ['parse'],
  ['route'],
  ['config', 'metrics', 'log', 's3'],
];

const layerOf = (unit: string): number => LAYERS.findIndex((names) => names.includes(unit));

/** "src/copy/plan.ts" → "copy"; "src/proxy.ts" → "proxy". */
function unitOf(file: string): string {
  const rel = relative(SRC, file);
  const first = rel.split(/[\\/]/)[0]!;
  return first.endsWith('.ts') ? first.slice(0, -3) : first;
}

const files = (readdirSync(SRC, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(SRC, f));
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]/g;

function importsOf(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) out.push(normalize(join(dirname(file), m[1]!.replace(/\.js$/, '.ts'))));
  return out;
}

describe('src/ layering (docs/design.md)', () => {
  it('names every top-level unit in a layer', () => {
    const units = [...new Set(files.map(unitOf))];
    expect(units.filter((u) => layerOf(u) < 0)).toEqual([]);
  });

  it('imports only downwards', () => {
    const upwards: string[] = [];
    for (const file of files) {
      const from = unitOf(file);
      for (const target of importsOf(file)) {
        const to = unitOf(target);
        if (from === to) continue;
        const [a, b] = [layerOf(from), layerOf(to)];
        if (a >= b && !(a === b && a === LAYERS.length - 1)) upwards.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
      }
    }
    expect(upwards).toEqual([]);
  });

  it('has no import cycle', () => {
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(SRC, p)).join(' → '));
        return;
      }
      state.set(f, 'open');
      for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });
});
