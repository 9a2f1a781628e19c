// End to end: boto3 (python3 on the machine) copies parts into a checksum-typed upload across backends through s3bridge, completes it with the checksums it got back, and reads it back with ChecksumMode (copy-semantics.md §11).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createChecksum, type ChecksumAlgorithm } from '../../src/s3/checksums.js';
import { DEMO, remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { startRulesBackend, type RulesBackend } from '../helpers/s3-rules-backend.js';
import { cleanEnv, IN_CI } from './helpers/clients.js';
import { runOk } from './helpers/run.js';

const SCRIPT = fileURLToPath(new URL('./helpers/boto3-copy-parts.py', import.meta.url));
const probe = spawnSync('python3', ['-c', 'import boto3; print(boto3.__version__)'], { encoding: 'utf8', timeout: 30_000 });
const boto3Version = probe.status === 0 ? probe.stdout.trim() : undefined;

let motoA: MotoServer;
let motoB: MotoServer;
let rules: RulesBackend;
let bridge: TestBridge;
const source = randomBytes(200_000);
const RANGES: Array<[number, number]> = [
  [0, 119_999],
  [120_000, 199_999],
];
const KEYS = { accessKeyId: 'rules', secretAccessKey: 'rules-secret' };

const checksum = (alg: ChecksumAlgorithm, data: Buffer) => {
  const c = createChecksum(alg);
  c.update(data);
  return c.digestBase64();
};
const part = ([a, b]: [number, number]) => source.subarray(a, b + 1);
const composite = (alg: ChecksumAlgorithm) =>
  `${checksum(alg, Buffer.concat(RANGES.map((r) => Buffer.from(checksum(alg, part(r)), 'base64'))))}-${RANGES.length}`;

interface Boto3Result {
  createdAlgorithm?: string;
  parts: Array<Record<string, string>>;
  object?: { sha256: string; length: number; checksum?: string; checksumType?: string };
  error?: { code: string; message: string; operation: string; status: number };
}

async function boto3(bucket: string, key: string, algorithm: ChecksumAlgorithm): Promise<Boto3Result> {
  const args = {
    endpoint: bridge.s3Url,
    ...DEMO,
    bucket,
    key,
    algorithm,
    source: 'a-src/obj.bin',
    ranges: RANGES.map(([a, b]) => `bytes=${a}-${b}`),
  };
  const r = await runOk('python3', [SCRIPT, JSON.stringify(args)], { env: cleanEnv(), timeoutMs: 60_000 });
  return JSON.parse(r.stdout) as Boto3Result;
}

describe(`boto3 ${boto3Version ?? '(missing)'}: UploadPartCopy into a checksum-typed upload`, { skip: boto3Version === undefined && !IN_CI }, () => {
  beforeAll(async () => {
    if (boto3Version === undefined) throw new Error('python3 with boto3 is needed for this end-to-end test');
    [motoA, motoB] = await Promise.all([startMoto(), startMoto({ env: { S3_UPLOAD_PART_MIN_SIZE: '1' } })]);
    rules = await startRulesBackend(KEYS);
    bridge = await startBridge({
      backends: [
        remoteBackend('moto-a', motoA),
        remoteBackend('moto-b', motoB, { capabilities: { awsChunked: true } }),
        remoteBackend('rules', { endpoint: rules.endpoint, ...KEYS }, { capabilities: { awsChunked: true } }),
      ],
      routes: [
        { bucket: 'a-*', backend: 'moto-a' },
        { bucket: 'b-*', backend: 'moto-b' },
        { bucket: 'r-*', backend: 'rules' },
      ],
    });
    const s3 = bridge.client();
    for (const Bucket of ['a-src', 'b-dst']) await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket: 'a-src', Key: 'obj.bin', Body: source }));
  }, 90_000);

  afterAll(async () => {
    await bridge?.close(1000);
    await Promise.all([motoA?.stop(), motoB?.stop(), rules?.stop()]);
  });

  // botocore computes CRC32C and CRC64NVME only with awscrt, which this machine's python does not have.
  it.each([
    ['CRC32', 'r-dst', 'the recording backend that enforces the Complete rule'],
    ['SHA1', 'r-dst', 'the recording backend that enforces the Complete rule'],
    ['SHA256', 'r-dst', 'the recording backend that enforces the Complete rule'],
    ['CRC32', 'b-dst', 'moto B'],
    ['SHA256', 'b-dst', 'moto B'],
  ] as Array<[ChecksumAlgorithm, string, string]>)(
    '%s from moto A to %s (%s)',
    async (alg, bucket) => {
      const r = await boto3(bucket, `boto3-${alg}`, alg);
      expect(r.error).toBe(undefined);
      expect(r.createdAlgorithm).toBe(alg);
      expect(r.parts.map((p) => p[`Checksum${alg}`])).toEqual(RANGES.map((range) => checksum(alg, part(range))));
      expect(r.parts.map((p) => p.ETag)).toEqual(RANGES.map((range) => `"${createHash('md5').update(part(range)).digest('hex')}"`));
      expect(r.object).toEqual({
        sha256: createHash('sha256').update(source).digest('hex'),
        length: source.length,
        checksum: composite(alg),
        checksumType: 'COMPOSITE',
      });
    },
    60_000,
  );
});
