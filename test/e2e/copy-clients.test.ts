// End to end: server-side copies by real clients (aws s3 cp / sync, rclone) across backends through s3bridge, which emulates them (moto A → moto B, moto A → the embedded store).
//
// "Server-side" is checked in s3bridge's access log: the clients' requests are CopyObject / UploadPartCopy
// only, never a GetObject or an upload carrying the bytes. The destination is then read straight from its backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { DEMO, tempDir } from '../helpers/bridge.js';
import { awsEnv, findPyenvAws, findRclone, rcloneEnv, writeAwsConfig } from './helpers/clients.js';
import { runOk } from './helpers/run.js';
import { objectDigest, PREFIX, sha256, startStack, type BackendName, type Stack } from './helpers/stack.js';

const pyAws = findPyenvAws();
const rclone = findRclone();
const MB = 1024 * 1024;

let motoA: MotoServer;
let motoB: MotoServer;
let stack: Stack;
let dir: string;

/** Source objects: one above the clients' 5 MB multipart copy threshold, one just above (2 parts), small ones. */
const SOURCE: Record<string, Buffer> = {
  'big.bin': randomBytes(12 * MB + 3),
  'tree/six.bin': randomBytes(6 * MB),
  'tree/a.txt': Buffer.from('alpha\n'),
  'tree/sub/b.bin': randomBytes(40_000),
  'tree/empty': Buffer.alloc(0),
};

const DESTINATIONS: Array<[string, BackendName]> = [
  ['moto B', 'moto-b'],
  ['embedded store', 'local'],
];

beforeAll(async () => {
  dir = tempDir('s3bridge-e2e-copy-');
  const env = { S3_UPLOAD_PART_MIN_SIZE: '1024' };
  [motoA, motoB] = await Promise.all([startMoto({ env }), startMoto({ env })]);
  // Emulated copies of 12 MB: ranged reads of 5 MiB parts; keep-alive whitespace after 3 s as S3 does.
  stack = await startStack([motoA, motoB], { copy: { multipartThreshold: '8MiB', partSize: '5MiB', maxConcurrentParts: 2 } });
}, 90_000);

afterAll(async () => {
  await stack?.close();
  await Promise.all([motoA?.stop(), motoB?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh source bucket on moto A holding SOURCE (written directly), and an empty destination bucket on `dest`. */
async function buckets(tag: string, dest: BackendName): Promise<{ src: string; dst: string }> {
  const src = `a-${tag}-src-${dest}`;
  const dst = `${PREFIX[dest]}${tag}-dst`;
  const a = stack.direct('moto-a');
  await a.send(new CreateBucketCommand({ Bucket: src }));
  for (const [Key, Body] of Object.entries(SOURCE)) await a.send(new PutObjectCommand({ Bucket: src, Key, Body }));
  await stack.direct(dest).send(new CreateBucketCommand({ Bucket: dst }));
  return { src, dst };
}

/** Operations the clients sent for these buckets, from s3bridge's access log. */
function operations(...names: string[]): Array<{ operation: string; bucket: string; key?: string; status: number }> {
  return stack.bridge.lines
    .filter((l) => typeof l.requestId === 'string' && names.includes(l.bucket as string))
    .map((l) => ({ operation: l.operation as string, bucket: l.bucket as string, key: l.key as string | undefined, status: l.status as number }));
}

/** No request carried object bytes through the client: nothing read, nothing uploaded. */
function expectServerSide(ops: Array<{ operation: string; status: number }>) {
  expect(ops.filter((o) => ['GetObject', 'PutObject', 'UploadPart'].includes(o.operation))).toEqual([]);
  expect(ops.filter((o) => o.status >= 400)).toEqual([]);
}

async function expectCopied(dest: BackendName, dst: string, keys: string[], prefix = '') {
  for (const key of keys) {
    expect(await objectDigest(stack.direct(dest), dst, prefix + key), key).toEqual({ sha256: sha256(SOURCE[key]!), length: SOURCE[key]!.length });
  }
}

const count = (ops: Array<{ operation: string }>, op: string) => ops.filter((o) => o.operation === op).length;

describe(`aws CLI with botocore (${pyAws.version || 'missing'}): copies between buckets`, { concurrent: true, skip: pyAws.skip }, () => {
  beforeAll(() => void pyAws.require());
  const aws = (args: string[]) => {
    const env = awsEnv(DEMO, writeAwsConfig(dir, { multipart_threshold: '5MB', multipart_chunksize: '5MB' }));
    return runOk(pyAws.path!, ['--endpoint-url', stack.bridge.s3Url, ...args], { env, timeoutMs: 120_000 });
  };

  it.each(DESTINATIONS)(
    's3 cp of 12 MB from moto A to %s: UploadPartCopy, never the bytes',
    async (_label, dest) => {
      const { src, dst } = await buckets('cp', dest);
      await aws(['s3', 'cp', '--only-show-errors', `s3://${src}/big.bin`, `s3://${dst}/copied.bin`]);
      const ops = operations(src, dst);
      expectServerSide(ops);
      expect(count(ops, 'UploadPartCopy')).toBe(3); // 12 MB in 5 MB parts
      expect(count(ops, 'CompleteMultipartUpload')).toBe(1);
      expect(await objectDigest(stack.direct(dest), dst, 'copied.bin')).toEqual({ sha256: sha256(SOURCE['big.bin']!), length: SOURCE['big.bin']!.length });
    },
    120_000,
  );

  it.each(DESTINATIONS)(
    's3 sync of a bucket from moto A to %s: CopyObject and UploadPartCopy',
    async (_label, dest) => {
      const { src, dst } = await buckets('sync', dest);
      await aws(['s3', 'sync', '--only-show-errors', `s3://${src}`, `s3://${dst}`]);
      const ops = operations(src, dst);
      expectServerSide(ops);
      expect(count(ops, 'CopyObject')).toBe(3); // the three small objects
      expect(count(ops, 'UploadPartCopy')).toBe(3 + 2); // 12 MB and 6 MB in 5 MB parts
      await expectCopied(dest, dst, Object.keys(SOURCE));
      // Nothing left to do: sizes and times of the copies match.
      const again = await aws(['s3', 'sync', `s3://${src}`, `s3://${dst}`]);
      expect(again.stdout.trim()).toBe('');
    },
    120_000,
  );
});

describe(`rclone (${rclone.version || 'missing'}): server-side copy between buckets of one remote`, { concurrent: true, skip: rclone.skip }, () => {
  beforeAll(() => void rclone.require());
  it.each(DESTINATIONS)(
    'rclone copy from moto A to %s with --s3-copy-cutoff 5M',
    async (_label, dest) => {
      const { src, dst } = await buckets('rclone', dest);
      const env = rcloneEnv(DEMO, stack.bridge.s3Url, join(dir, `rclone-${dest}.conf`));
      // --s3-no-head: see cli-clients.test.ts (moto's "x-amz-version-id: null" after a multipart Complete).
      await runOk(
        rclone.path!,
        ['copy', `remote:${src}`, `remote:${dst}`, '--s3-copy-cutoff', '5M', '--s3-no-head', '--retries', '1', '--low-level-retries', '1'],
        { env, timeoutMs: 120_000 },
      );
      const ops = operations(src, dst);
      expectServerSide(ops);
      expect(count(ops, 'CopyObject')).toBe(3);
      expect(count(ops, 'UploadPartCopy')).toBe(3 + 2);
      await expectCopied(dest, dst, Object.keys(SOURCE));
    },
    120_000,
  );
});
