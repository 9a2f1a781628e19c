import { describe, expect, it } from 'vitest';
import { parseConfig, reviveConfig } from '../../../src/config/load.js';
import { ConfigError, parseSize } from '../../../src/config/schema.js';

const base = `
clients:
  - accessKeyId: demo
    secretAccessKey: demo-secret-key
backends:
  - name: aws
    endpoint: https://s3.eu-west-1.amazonaws.com
    region: eu-west-1
    accessKeyId: \${AK}
    secretAccessKey: \${SK:-fallback}
  - name: local
    embedded: { dir: ./data/local }
routes:
  - bucket: photos
    backend: aws
    backendBucket: prod-photos
  - bucket: "*"
    backend: local
`;

function problems(text: string, env: Record<string, string> = { AK: 'x' }): string[] {
  try {
    parseConfig(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config', () => {
  it('applies defaults and interpolates ${ENV} and ${ENV:-default}', () => {
    const cfg = parseConfig(base, { AK: 'AKID' });
    expect(cfg.server).toMatchObject({ host: '127.0.0.1', port: 8080, region: 'us-east-1', virtualHostSuffixes: [] });
    expect(cfg.admin).toEqual({ host: '127.0.0.1', port: 9090, metrics: true });
    expect(cfg.copy).toEqual({ multipartThreshold: 5 * 1024 ** 3, partSize: 64 * 1024 ** 2, maxConcurrentParts: 4, keepAliveAfterSeconds: 3 });
    const aws = cfg.backends[0]!;
    expect(aws).toMatchObject({ accessKeyId: 'AKID', secretAccessKey: 'fallback', addressing: 'path', maxConnections: 64 });
    expect(cfg.clients[0]).toMatchObject({ buckets: ['*'], readOnly: false });
    expect(Object.isFrozen(cfg.backends)).toBe(true);
  });

  it.each([
    [base.replace('https://s3.eu-west-1.amazonaws.com', 'not a url'), 'backends[0].endpoint: must be a URL'],
    [base.replace('name: aws', 'name: AWS!'), 'backends[0].name: must match [a-z0-9-]+'],
    [base.replace('backend: aws', 'backend: nowhere'), 'routes[0].backend: no backend named "nowhere"'],
    [base + 'extra: 1\n', '(root): unknown key "extra"'],
    [base.replace('clients:', 'server: { port: "x" }\nclients:'), 'server.port: must be a port number'],
    [base + 'copy: { partSize: 1MiB }\n', 'copy.partSize: must be between 5MiB and 5GiB'],
    [base + 'copy: { partSize: lots }\n', 'copy.partSize: must be a size'],
    [base.replace('bucket: photos', 'bucket: "ph*"'), 'routes[0].backendBucket: an alias needs an exact bucket'],
  ])('reports the field path (%#)', (text, expected) => {
    expect(problems(text).join('\n')).toContain(expected);
  });

  it('takes server.workers as auto (the default) or a number of processes', () => {
    expect(parseConfig(base, { AK: 'x' }).server.workers).toBe('auto');
    expect(parseConfig(base.replace('clients:', 'server: { workers: 3 }\nclients:'), { AK: 'x' }).server.workers).toBe(3);
    for (const bad of ['0', '1.5', 'many', '"2"']) {
      expect(problems(base.replace('clients:', `server: { workers: ${bad} }\nclients:`))).toEqual([
        'server.workers: must be auto or a number of processes (1-256)',
      ]);
    }
  });

  it('revives a config that travelled as plain data (cluster IPC) to an equal, frozen one', () => {
    const cfg = parseConfig(base, { AK: 'x' });
    const revived = reviveConfig(JSON.parse(JSON.stringify(cfg)));
    expect(revived).toEqual(cfg);
    expect(Object.isFrozen(revived.backends[0])).toBe(true);
  });

  it('names an unset environment variable with its field', () => {
    expect(problems(base, {})).toEqual(['backends[0].accessKeyId: environment variable AK is not set']);
  });

  it('rejects YAML that is not a mapping', () => {
    expect(problems('- a\n- b\n')[0]).toMatch(/must be a mapping/);
    expect(problems('a: [\n')[0]).toMatch(/not valid YAML/);
  });

  it.each([
    ['5MiB', 5 * 1024 * 1024],
    ['64 MB', 64e6],
    [1024, 1024],
    ['5GiB', 5 * 1024 ** 3],
    ['12', 12],
    ['1.5KiB', 1536],
    ['x', undefined],
    ['5 parsecs', undefined],
    [-1, undefined],
  ])('parseSize(%j) = %j', (input, expected) => {
    expect(parseSize(input)).toBe(expected);
  });
});
