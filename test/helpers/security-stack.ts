// Test helper for the attack tables (security.md): s3bridge in front of moto, the embedded store and a plain s3rver, restricted clients, seeded buckets, and snapshots of every store.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { DEMO, remoteBackend, startBridge, tempDir, type TestBridge } from './bridge.js';
import { startMoto, type MotoServer } from './moto.js';
import { sendS3, type Creds, type RawS3Request, type RawS3Response } from './raw-s3.js';
import { startS3rver, type S3rverServer } from './s3rver.js';
import { s3Snapshotter, treeSnapshot } from './store-snapshot.js';
import { waitFor } from './wait.js';

export const CLIENTS = {
  demo: { ...DEMO, buckets: ['*'] },
  t1: { accessKeyId: 't1', secretAccessKey: 't1-secret-key', buckets: ['t1-*'] },
  ro: { accessKeyId: 'ro', secretAccessKey: 'ro-secret-key', buckets: ['*'], readOnly: true },
  pclient: { accessKeyId: 'pclient', secretAccessKey: 'pclient-secret-key', buckets: ['p*'] },
} as const;
export type ClientName = keyof typeof CLIENTS;

/** Every case runs on each backend X, against its buckets t1-X (allowed for t1) and zz-X (private). */
export const BACKENDS = ['moto', 'emb', 's3rver'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const OBJECT = 'obj.txt';
export const SECRET = 'secret.txt';
export const UPLOAD_KEY = 'upload.bin';

interface Snapshot {
  moto: string[];
  emb: string[];
  s3rver: string[];
}

export interface SecurityStack {
  bridge: TestBridge;
  moto: MotoServer;
  s3rver: S3rverServer;
  /** Temp roots around the file stores' data folders (root/a/b/data): an escape lands inside them. */
  roots: { emb: string; s3rver: string };
  /** Multipart uploads in progress, one part each: bucket → upload id (t1-X: the client's own, zz-X: another writer's). */
  uploads: Record<string, string>;
  /** Part 1's ETag of each upload in `uploads`. */
  partEtags: Record<string, string>;
  send(client: ClientName, req: RawS3Request): Promise<RawS3Response>;
  snapshot(): Promise<Snapshot>;
  /** Asserts that no store changed since the previous call (or since setup). */
  expectUnchanged(what: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** server.* settings for s3bridge. */
  server?: Record<string, unknown>;
}

function sdk(endpoint: string, creds: Creds): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: creds, maxAttempts: 1, requestChecksumCalculation: 'WHEN_REQUIRED' });
}

export async function startSecurityStack(opts: StackOptions = {}): Promise<SecurityStack> {
  const roots = { emb: tempDir('s3bridge-sec-emb-'), s3rver: tempDir('s3bridge-sec-s3rver-') };
  const embDir = join(roots.emb, 'a', 'b', 'data');
  const s3rverDir = join(roots.s3rver, 'a', 'b', 'data');
  mkdirSync(s3rverDir, { recursive: true });
  const [moto, s3rver] = await Promise.all([startMoto({ env: { S3_UPLOAD_PART_MIN_SIZE: '1' } }), startS3rver(s3rverDir)]);
  const bridge = await startBridge({
    server: opts.server ?? {},
    clients: Object.values(CLIENTS),
    backends: [remoteBackend('moto', moto), { name: 'emb', embedded: { dir: embDir } }, remoteBackend('s3rver', s3rver)],
    routes: [
      { bucket: 'photos', backend: 'moto', backendBucket: 'prod-photos' },
      { bucket: '*-emb', backend: 'emb' },
      { bucket: '*-s3rver', backend: 's3rver' },
      { bucket: '*', backend: 'moto' },
    ],
  });
  const demo = sdk(bridge.s3Url, DEMO);
  const uploads: Record<string, string> = {};
  const partEtags: Record<string, string> = {};
  await demo.send(new CreateBucketCommand({ Bucket: 'photos' }));
  await demo.send(new PutObjectCommand({ Bucket: 'photos', Key: 'cat.jpg', Body: 'meow' }));
  for (const x of BACKENDS) {
    for (const Bucket of [`t1-${x}`, `zz-${x}`]) {
      await demo.send(new CreateBucketCommand({ Bucket }));
      await demo.send(new PutObjectCommand({ Bucket, Key: Bucket.startsWith('zz') ? SECRET : OBJECT, Body: `contents of ${Bucket}` }));
      const { UploadId } = await demo.send(new CreateMultipartUploadCommand({ Bucket, Key: UPLOAD_KEY }));
      uploads[Bucket] = UploadId!;
      const part = await demo.send(new UploadPartCommand({ Bucket, Key: UPLOAD_KEY, UploadId, PartNumber: 1, Body: `part of ${Bucket}` }));
      partEtags[Bucket] = part.ETag!;
    }
  }
  demo.destroy();
  const direct = sdk(moto.endpoint, moto);
  const motoSnapshot = s3Snapshotter(direct);
  const snapshot = async (): Promise<Snapshot> => ({ moto: await motoSnapshot(), emb: treeSnapshot(roots.emb), s3rver: treeSnapshot(roots.s3rver) });
  let baseline = await snapshot();
  return {
    bridge,
    moto,
    s3rver,
    roots,
    uploads,
    partEtags,
    snapshot,
    send: (client, req) => sendS3(bridge.s3Url, CLIENTS[client], req),
    async expectUnchanged(what) {
      // The embedded store writes a body to a file in its temp area (tmp/) and removes it when the upload fails;
      // that may happen just after s3bridge answered the client.
      await waitFor(
        () => !treeSnapshot(roots.emb).some((line) => line.startsWith('file a/b/data/tmp/')),
        5_000,
        `${what}: the embedded store to drop aborted uploads`,
      );
      const now = await snapshot();
      const before = baseline;
      baseline = now; // one case that changed something must not make every later case fail too
      expect(now, `${what}: a store changed`).toEqual(before);
    },
    async stop() {
      direct.destroy();
      await bridge.close(1000);
      await Promise.all([moto.stop(), s3rver.stop()]);
      rmSync(roots.emb, { recursive: true, force: true });
      rmSync(roots.s3rver, { recursive: true, force: true });
    },
  };
}
