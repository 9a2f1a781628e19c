// End to end: boto3 (python3 on the machine) through s3bridge to its embedded store — versioning, Object Lock, SSE-C, ACLs read by an unsigned client, bucket configurations — as a user trying them on `npm start` would.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, startBridge, tempDir, type TestBridge } from '../helpers/bridge.js';
import { cleanEnv, IN_CI } from './helpers/clients.js';
import { runOk } from './helpers/run.js';

const SCRIPT = fileURLToPath(new URL('./helpers/boto3-store-features.py', import.meta.url));
const probe = spawnSync('python3', ['-c', 'import boto3; print(boto3.__version__)'], { encoding: 'utf8', timeout: 30_000 });
const boto3Version = probe.status === 0 ? probe.stdout.trim() : undefined;

let bridge: TestBridge;

describe(`boto3 ${boto3Version ?? '(missing)'} through s3bridge to the embedded store`, { skip: boto3Version === undefined && !IN_CI }, () => {
  beforeAll(async () => {
    if (boto3Version === undefined) throw new Error('python3 with boto3 is needed for this end-to-end test');
    bridge = await startBridge({
      backends: [{ name: 'local', embedded: { dir: tempDir('s3bridge-boto3-store-') } }],
      routes: [{ bucket: '*', backend: 'local', anonymous: 'backend' }],
    });
  }, 60_000);
  afterAll(() => bridge?.close(1000));

  it('versioning, Object Lock, SSE-C, ACLs and bucket configurations answer boto3 as S3 would', async () => {
    const r = await runOk('python3', [SCRIPT, JSON.stringify({ endpoint: bridge.s3Url, ...DEMO, prefix: 'boto3' })], { env: cleanEnv(), timeoutMs: 90_000 });
    const out = JSON.parse(r.stdout);
    expect(out.versions).toEqual({
      status: 'Enabled',
      listed: [
        [true, false],
        [false, false],
      ],
      markers: [true],
      currentAfterDelete: 'NoSuchKey',
      first: 'first',
      restored: 'second',
    });
    expect(out.lock).toEqual({ mode: 'GOVERNANCE', until: '2030-01-01T00:00:00+00:00', deleteVersion: 'AccessDenied', deleteBypassed: 'ok' });
    expect(out.ssec).toEqual({ body: 'for your eyes', keyMd5: true, withoutKey: 'InvalidRequest', otherKey: 'AccessDenied' });
    expect(out.acl).toEqual({ grants: ['FULL_CONTROL:CanonicalUser', 'READ:Group'], anonOpen: 'hello', anonClosed: 'AccessDenied', anonPut: 'AccessDenied' });
    expect(out.configs).toEqual({ lifecycle: 3, tags: [{ Key: 'team', Value: 'data' }], noPolicy: 'NoSuchBucketPolicy' });
  }, 120_000);
});
