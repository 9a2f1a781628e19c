// The s3bridge command as users run it: --check-config, bad files, startup on the embedded default.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/bridge.js';

const MAIN = join(import.meta.dirname, '../../dist/main.js');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('s3bridge --check-config', () => {
  it('validates the annotated example and prints the route table', () => {
    const env = {
      APP_SECRET_KEY: 'a',
      DASHBOARD_SECRET_KEY: 'b',
      AWS_ACCESS_KEY_ID: 'c',
      AWS_SECRET_ACCESS_KEY: 'd',
      R2_ACCESS_KEY_ID: 'e',
      R2_SECRET_ACCESS_KEY: 'f',
    };
    const r = run(['--check-config', 'config/example.yaml'], env);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('photos -> aws (bucket prod-photos)');
    expect(r.out).toContain('logs-* -> r2');
    expect(r.out).toContain('* -> local');
    // Secrets given through the environment are never printed.
    for (const secret of ['SECRET', '=d', ' d\n']) expect(r.out).not.toContain(secret);
  });

  it('validates the embedded default', () => {
    const r = run(['--check-config', 'config/default.yaml']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('archive-* -> archive');
  });

  it('exits 1 naming every bad field', () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `clients: [{ accessKeyId: a, secretAccessKey: s }]
backends:
  - { name: ok, endpoint: http://127.0.0.1:1, accessKeyId: a, secretAccessKey: "\${MISSING_SECRET}" }
  - { name: bad, endpoint: "not a url", accessKeyId: a, secretAccessKey: b }
routes: [{ bucket: "*", backend: nowhere }]
`,
    );
    const r = run(['--check-config', file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('backends[0].secretAccessKey: environment variable MISSING_SECRET is not set');
    const r2 = run(['--check-config', file], { MISSING_SECRET: 'x' });
    expect(r2.code).toBe(1);
    expect(r2.err).toContain('backends[1].endpoint: must be a URL');
    expect(r2.err).toContain('routes[0].backend: no backend named "nowhere"');
  });

  it('reports a missing file and unknown arguments', () => {
    expect(run(['--check-config', '/nonexistent.yaml'])).toMatchObject({ code: 1 });
    expect(run(['--bogus']).code).toBe(2);
    expect(run([]).code).toBe(2);
    expect(run(['--help'])).toMatchObject({ code: 0 });
  });

  it('prints the package version', () => {
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    expect(run(['--version'])).toMatchObject({ code: 0, out: `${version}\n` });
  });
});
