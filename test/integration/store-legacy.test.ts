// A data folder written by the s3rver-based embedded backend (s3bridge ≤ 0.1) is imported on the store's first start: same buckets, keys, bytes, metadata and tags.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/bridge.js';
import { startTestStore } from '../helpers/store.js';

// s3rver stays a devDependency for this test and the benchmark's yardstick only.
const require = createRequire(import.meta.url);
interface S3rverLike {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => S3rverLike;

const OBJECTS: Array<{ Key: string; Body: string; ContentType?: string; Metadata?: Record<string, string> }> = [
  { Key: 'plain.txt', Body: 'plain', ContentType: 'text/plain' },
  { Key: 'dir/sub/nested.bin', Body: 'nested', Metadata: { color: 'blue' } },
  { Key: 'folder/', Body: '' },
  { Key: 'with space & ünïcode.txt', Body: 'unicode' },
];

describe('an s3rver data folder', () => {
  it('is imported on first start, and a copy of it is kept aside', async () => {
    const dir = join(tempDir(), 'data');
    const s3rver = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true, vhostBuckets: false });
    const { port } = await s3rver.run();
    const old = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    for (const Bucket of ['photos', 'empty-bucket']) await old.send(new CreateBucketCommand({ Bucket }));
    for (const o of OBJECTS) await old.send(new PutObjectCommand({ Bucket: 'photos', ...o }));
    // s3rver keeps tags only from PutObjectTagging (it ignores x-amz-tagging on PUT).
    await old.send(
      new PutObjectTaggingCommand({
        Bucket: 'photos',
        Key: 'with space & ünïcode.txt',
        Tagging: {
          TagSet: [
            { Key: 'a', Value: '1' },
            { Key: 'b', Value: '2' },
          ],
        },
      }),
    );
    await s3rver.close();

    const store = await startTestStore({ dir });
    try {
      const s3 = store.client();
      expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual(['empty-bucket', 'photos']);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'photos' }));
      expect(listed.Contents?.map((o) => o.Key)).toEqual(OBJECTS.map((o) => o.Key).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      for (const o of OBJECTS) {
        const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: o.Key }));
        expect(await got.Body!.transformToString()).toBe(o.Body);
        if (o.ContentType) expect(got.ContentType).toBe(o.ContentType);
        if (o.Metadata) expect(got.Metadata).toEqual(o.Metadata);
      }
      expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'photos', Key: 'with space & ünïcode.txt' }))).TagSet).toEqual([
        { Key: 'a', Value: '1' },
        { Key: 'b', Value: '2' },
      ]);
      expect(existsSync(join(dir, 's3rver-legacy', 'photos'))).toBe(true);
    } finally {
      await store.stop({ keep: true });
    }
    // The second start finds its own folder and imports nothing again.
    const again = await startTestStore({ dir });
    try {
      expect((await again.client().send(new ListObjectsV2Command({ Bucket: 'photos' }))).KeyCount).toBe(OBJECTS.length);
    } finally {
      await again.stop();
    }
  });
});
