// Cross-check of SigV2 verification against real boto3 output: the committed captures, and fresh ones made at test time when python3 with boto3 is on the machine (sigv2.md §9).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { verifySigV2 } from '../../../src/auth/verify-sigv2.js';
import { fromUrl, keyStore, rejection } from './sigv2-helpers.js';

interface Capture {
  name: string;
  kind: 'header' | 'query';
  method: string;
  url: string;
  headers: Array<[string, string]>;
}
interface Captures {
  source: string;
  now: number;
  accessKeyId: string;
  secretAccessKey: string;
  virtualHostSuffix: string;
  requests: Capture[];
}

const SCRIPT = fileURLToPath(new URL('../../fixtures/sigv2/boto3-capture.py', import.meta.url));
const committed = JSON.parse(readFileSync(new URL('../../fixtures/sigv2/boto3-captures.json', import.meta.url), 'utf8')) as Captures;

function fresh(): Captures | undefined {
  const run = spawnSync('python3', [SCRIPT], { encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) return undefined; // no python3 or no boto3 here: the committed captures still run
  return JSON.parse(run.stdout) as Captures;
}

function check(set: Captures): void {
  const keys = keyStore([set.accessKeyId, set.secretAccessKey]);
  const now = new Date(set.now);
  for (const c of set.requests) {
    const { req, host } = fromUrl(c.method, c.url, c.headers);
    const hostname = host.replace(/:\d+$/, '');
    const hostBucket = hostname.endsWith(`.${set.virtualHostSuffix}`) ? hostname.slice(0, -(set.virtualHostSuffix.length + 1)) : undefined;
    const result = verifySigV2(req, keys, { now, hostBucket });
    expect(result, c.name).toMatchObject({ version: 2, accessKeyId: set.accessKeyId, presigned: c.kind === 'query' });

    // The same request with one byte of its path changed must fail with S3's code.
    const tampered = { ...req, rawPath: req.rawPath.replace(/.$/, (ch) => (ch === 'x' ? 'y' : 'x')) };
    expect(rejection(() => verifySigV2(tampered, keys, { now, hostBucket })).code, c.name).toBe('SignatureDoesNotMatch');
  }
}

describe('boto3 SigV2 requests', () => {
  it(`committed captures (${committed.source}, ${committed.requests.length} requests) verify`, () => {
    expect(committed.requests.length).toBeGreaterThanOrEqual(20);
    check(committed);
  });

  const live = fresh();
  it.skipIf(live === undefined)('fresh captures from the python3 boto3 on this machine verify', () => {
    check(live!);
  });

  it('a presigned URL from boto3 is refused once its Expires has passed', () => {
    const c = committed.requests.find((r) => r.kind === 'query')!;
    const { req } = fromUrl(c.method, c.url);
    const expires = Number(/Expires=(\d+)/.exec(c.url)![1]);
    const err = rejection(() => verifySigV2(req, keyStore([committed.accessKeyId, committed.secretAccessKey]), { now: new Date((expires + 1) * 1000) }));
    expect(err).toMatchObject({ code: 'AccessDenied', status: 403, message: 'Request has expired' });
  });
});
