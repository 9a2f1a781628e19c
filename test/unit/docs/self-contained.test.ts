// A fresh clone must build and test on its own: no code, test or config may read files from outside the repository.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const SCANNED = ['src', 'test', 'bench', 'scripts', 'config', 'deploy', '.ci', 'package.json', 'vitest.config.ts', 'tsconfig.json', 'Dockerfile'];
// The shared folder of the machine this project was started on, and the way tests used to reach it.
const OUTSIDE = /\/work\/|\.\.\/shared\b|\.\.\/testdata\b|shared\/(?:spec|testdata)\b/;

function files(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return (readdirSync(path, { recursive: true, encoding: 'utf8' }) as string[]).map((f) => join(path, f)).filter((f) => statSync(f).isFile());
}

it('no file refers to data outside the repository', () => {
  const offenders: string[] = [];
  for (const file of SCANNED.flatMap((p) => files(join(ROOT, p)))) {
    if (file === SELF || /\.(?:bin|png|gz)$/.test(file)) continue;
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (OUTSIDE.test(line)) offenders.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  expect(offenders).toEqual([]);
});
