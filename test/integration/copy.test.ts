// Copies: UploadPartCopy and CopyObject emulated between two moto providers and the embedded store, and native inside the embedded store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
  type UploadPartCopyCommandInput,
} from '@aws-sdk/client-s3';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { startRecordingBackend, type RecordingBackend } from '../helpers/recording-backend.js';
import { remoteBackend, startBridge, tempDir, DEMO, type TestBridge } from '../helpers/bridge.js';

const SMALL_PARTS = { S3_UPLOAD_PART_MIN_SIZE: '1' };
let motoA: MotoServer;
let motoB: MotoServer;
let rec: RecordingBackend;
let bridge: TestBridge;
let s3: S3Client;

const source = randomBytes(300_000);
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

beforeAll(async () => {
  const localDir = tempDir();
  [motoA, motoB] = await Promise.all([startMoto({ env: SMALL_PARTS }), startMoto({ env: SMALL_PARTS })]);
  rec = await startRecordingBackend({ accessKeyId: 'rec', secretAccessKey: 'rec-secret' });
  bridge = await startBridge({
    clients: [
      { ...DEMO, buckets: ['*'] },
      { accessKeyId: 'limited', secretAccessKey: 'limited-secret', buckets: ['b-*'] },
    ],
    backends: [
      remoteBackend('moto-a', motoA),
      remoteBackend('moto-b', motoB),
      // The same moto under another name, told it cannot copy: emulation inside one store.
      remoteBackend('moto-a-nocopy', motoA, { capabilities: { uploadPartCopy: false } }),
      // Small parts, as the motos allow them here (S3_UPLOAD_PART_MIN_SIZE).
      { name: 'local', embedded: { dir: localDir, minPartSize: 1 } },
      // The same store under another name, told it cannot copy: emulation inside one store.
      { name: 'local-nocopy', embedded: { dir: localDir, minPartSize: 1 }, capabilities: { uploadPartCopy: false } },
      remoteBackend('rec', { endpoint: rec.endpoint, accessKeyId: 'rec', secretAccessKey: 'rec-secret' }),
    ],
    routes: [
      { bucket: 'a-*', backend: 'moto-a' },
      { bucket: 'b-*', backend: 'moto-b' },
      { bucket: 'n-*', backend: 'moto-a-nocopy' },
      { bucket: 'l-*', backend: 'local' },
      { bucket: 'm-*', backend: 'local-nocopy' },
      { bucket: 'r-*', backend: 'rec' },
    ],
    copy: { multipartThreshold: '6MiB', partSize: '5MiB', maxConcurrentParts: 2 },
  });
  s3 = bridge.client(undefined, undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  for (const Bucket of ['a-src', 'b-dst', 'n-src', 'n-dst', 'l-dst', 'l-src', 'm-src', 'm-dst']) await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(
    new PutObjectCommand({
      Bucket: 'a-src',
      Key: 'obj.bin',
      Body: source,
      ContentType: 'application/x-src',
      Metadata: { origin: 'a' },
      Tagging: 'k1=v1&k2=v%202',
    }),
  );
  await s3.send(new PutObjectCommand({ Bucket: 'a-src', Key: 'empty', Body: Buffer.alloc(0) }));
  await s3.send(new PutObjectCommand({ Bucket: 'n-src', Key: 'obj.bin', Body: source }));
  await s3.send(new PutObjectCommand({ Bucket: 'l-src', Key: 'obj.bin', Body: source }));
  await s3.send(new PutObjectCommand({ Bucket: 'm-src', Key: 'obj.bin', Body: source }));
}, 90_000);

afterAll(async () => {
  await bridge?.close(1000);
  await Promise.all([motoA?.stop(), motoB?.stop(), rec?.stop()]);
});

async function partCopies(Bucket: string, Key: string, sourcePath: string, ranges: Array<string | undefined>, extra: Partial<UploadPartCopyCommandInput> = {}) {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  const parts = [];
  for (const [i, range] of ranges.entries()) {
    const r = await s3.send(new UploadPartCopyCommand({ Bucket, Key, UploadId, PartNumber: i + 1, CopySource: sourcePath, CopySourceRange: range, ...extra }));
    parts.push({ ETag: r.CopyPartResult!.ETag!, PartNumber: i + 1 });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }));
  const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await got.Body!.transformToByteArray());
}

function expected(ranges: Array<string | undefined>, data: Buffer): Buffer {
  return Buffer.concat(
    ranges.map((r) => {
      if (!r) return data;
      const [first, last] = r.slice(6).split('-').map(Number) as [number, number];
      return data.subarray(first, last + 1);
    }),
  );
}

describe('UploadPartCopy emulated byte-exact', () => {
  const ranges = [undefined, 'bytes=0-99999', 'bytes=100000-199999', 'bytes=200000-299999', 'bytes=5-5', 'bytes=299999-299999'];
  it.each([
    ['moto → moto (other provider)', 'b-dst', 'a-src/obj.bin'],
    ['moto → embedded store', 'l-dst', 'a-src/obj.bin'],
    ['inside one backend without uploadPartCopy', 'n-dst', 'n-src/obj.bin'],
    ['inside the embedded store (native UploadPartCopy)', 'l-dst', 'l-src/obj.bin'],
    ['inside the embedded store told it cannot copy (emulated)', 'm-dst', 'm-src/obj.bin'],
  ])('%s', async (_name, Bucket, src) => {
    const got = await partCopies(Bucket, 'parts.bin', src, ranges);
    expect(md5(got)).toBe(md5(expected(ranges, source)));
    expect(got.length).toBe(source.length * 2 + 2);
  });

  it('inside the embedded store the copy is native: s3bridge emulates nothing', async () => {
    const emulated = async () => {
      const text = await (await fetch(`${bridge.adminUrl}/metrics`)).text();
      return [...text.matchAll(/^s3bridge_copy_emulations_total\{[^}]*destination_backend="local"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
    };
    const before = await emulated();
    const got = await partCopies('l-dst', 'native.bin', 'l-src/obj.bin', ['bytes=0-99', undefined]);
    expect(got.equals(Buffer.concat([source.subarray(0, 100), source]))).toBe(true);
    expect(await emulated()).toBe(before);
    // The same from another backend is emulated, and counted: the check above can see emulations.
    await partCopies('l-dst', 'emulated.bin', 'a-src/obj.bin', ['bytes=0-99']);
    expect(await emulated()).toBe(before + 1);
  });

  it('copies a zero-length object as a part', async () => {
    const got = await partCopies('b-dst', 'empty-part', 'a-src/empty', [undefined]);
    expect(got.length).toBe(0);
  });

  it('returns the destination part ETag (MD5 of the copied bytes)', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'b-dst', Key: 'etag' }));
    const r = await s3.send(
      new UploadPartCopyCommand({ Bucket: 'b-dst', Key: 'etag', UploadId, PartNumber: 1, CopySource: 'a-src/obj.bin', CopySourceRange: 'bytes=0-999' }),
    );
    expect(r.CopyPartResult?.ETag).toBe(`"${md5(source.subarray(0, 1000))}"`);
    expect(r.CopyPartResult?.LastModified).toBeInstanceOf(Date);
  });
});

describe('copy-source preconditions (emulated)', () => {
  let etag: string;
  let lastModified: Date;
  beforeAll(async () => {
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'a-src', Key: 'obj.bin' }));
    etag = head.ETag!;
    lastModified = head.LastModified!;
  });
  const past = () => new Date(lastModified.getTime() - 3600_000);
  const future = () => new Date(lastModified.getTime() + 3600_000);

  it.each([
    ['if-match quoted, matching', () => ({ CopySourceIfMatch: etag }), true],
    ['if-match unquoted, matching', () => ({ CopySourceIfMatch: etag.replace(/"/g, '') }), true],
    ['if-match other', () => ({ CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"' }), false],
    ['if-none-match matching', () => ({ CopySourceIfNoneMatch: etag }), false],
    ['if-none-match other', () => ({ CopySourceIfNoneMatch: '"0123456789abcdef0123456789abcdef"' }), true],
    ['if-modified-since past', () => ({ CopySourceIfModifiedSince: past() }), true],
    ['if-modified-since equal to Last-Modified', () => ({ CopySourceIfModifiedSince: lastModified }), false],
    ['if-modified-since in the future is ignored (HTTP rule)', () => ({ CopySourceIfModifiedSince: future() }), true],
    ['if-unmodified-since future', () => ({ CopySourceIfUnmodifiedSince: future() }), true],
    ['if-unmodified-since past', () => ({ CopySourceIfUnmodifiedSince: past() }), false],
    ['if-match true + if-unmodified-since false → copy', () => ({ CopySourceIfMatch: etag, CopySourceIfUnmodifiedSince: past() }), true],
    ['if-none-match false + if-modified-since true → 412', () => ({ CopySourceIfNoneMatch: etag, CopySourceIfModifiedSince: past() }), false],
  ])('UploadPartCopy %s', async (_name, headers, copies) => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'b-dst', Key: 'cond' }));
    const send = s3.send(
      new UploadPartCopyCommand({
        Bucket: 'b-dst',
        Key: 'cond',
        UploadId,
        PartNumber: 1,
        CopySource: 'a-src/obj.bin',
        CopySourceRange: 'bytes=0-9',
        ...headers(),
      }),
    );
    if (copies) await expect(send).resolves.toMatchObject({ CopyPartResult: { ETag: `"${md5(source.subarray(0, 10))}"` } });
    else await expect(send).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const parts = await s3.send(new ListPartsCommand({ Bucket: 'b-dst', Key: 'cond', UploadId }));
    expect(parts.Parts ?? []).toHaveLength(copies ? 1 : 0);
  });

  it('CopyObject honours if-none-match across backends', async () => {
    await expect(
      s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'cond-obj', CopySource: 'a-src/obj.bin', CopySourceIfNoneMatch: etag })),
    ).rejects.toMatchObject({ name: 'PreconditionFailed' });
  });

  it('a source changed between part copies fails the pinned if-match', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'a-src', Key: 'changing', Body: 'version one, long enough' }));
    const first = await s3.send(new HeadObjectCommand({ Bucket: 'a-src', Key: 'changing' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'b-dst', Key: 'changing' }));
    await s3.send(
      new UploadPartCopyCommand({
        Bucket: 'b-dst',
        Key: 'changing',
        UploadId,
        PartNumber: 1,
        CopySource: 'a-src/changing',
        CopySourceRange: 'bytes=0-3',
        CopySourceIfMatch: first.ETag,
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: 'a-src', Key: 'changing', Body: 'version two, also long enough' }));
    await expect(
      s3.send(
        new UploadPartCopyCommand({
          Bucket: 'b-dst',
          Key: 'changing',
          UploadId,
          PartNumber: 2,
          CopySource: 'a-src/changing',
          CopySourceRange: 'bytes=4-7',
          CopySourceIfMatch: first.ETag,
        }),
      ),
    ).rejects.toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
  });
});

describe('CopyObject emulated', () => {
  it.each(['b-dst', 'l-dst'])('COPY directive carries content type, metadata and tags to %s', async (Bucket) => {
    const r = await s3.send(new CopyObjectCommand({ Bucket, Key: 'copied.bin', CopySource: 'a-src/obj.bin', ContentType: 'ignored/by-copy' }));
    expect(r.CopyObjectResult?.ETag).toBe(`"${md5(source)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'copied.bin' }));
    expect(md5(await got.Body!.transformToByteArray())).toBe(md5(source));
    expect(got.ContentType).toBe('application/x-src');
    expect(got.Metadata).toMatchObject({ origin: 'a' });
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'copied.bin' }));
    expect(tags.TagSet).toEqual(
      expect.arrayContaining([
        { Key: 'k1', Value: 'v1' },
        { Key: 'k2', Value: 'v 2' },
      ]),
    );
  });

  it('REPLACE directive takes metadata from the request', async () => {
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'b-dst',
        Key: 'replaced.bin',
        CopySource: 'a-src/obj.bin',
        MetadataDirective: 'REPLACE',
        ContentType: 'text/replaced',
        Metadata: { fresh: 'yes' },
        TaggingDirective: 'REPLACE',
        Tagging: 'only=this',
      }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'b-dst', Key: 'replaced.bin' }));
    expect(head.ContentType).toBe('text/replaced');
    expect(head.Metadata).toEqual({ fresh: 'yes' });
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: 'b-dst', Key: 'replaced.bin' }));
    expect(tags.TagSet).toEqual([{ Key: 'only', Value: 'this' }]);
  });

  it('copies a zero-length object', async () => {
    await s3.send(new CopyObjectCommand({ Bucket: 'l-dst', Key: 'empty-copy', CopySource: 'a-src/empty' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'l-dst', Key: 'empty-copy' }));
    expect(head.ContentLength).toBe(0);
  });

  it('copies an object above copy.multipartThreshold as a multipart upload', async () => {
    const big = randomBytes(12 * 1024 * 1024 + 7);
    await s3.send(new PutObjectCommand({ Bucket: 'a-src', Key: 'big.bin', Body: big }));
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'big-copy.bin', CopySource: 'a-src/big.bin' }));
    expect(r.CopyObjectResult?.ETag).toMatch(/-3"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'b-dst', Key: 'big-copy.bin' }));
    expect(md5(await got.Body!.transformToByteArray())).toBe(md5(big));
  }, 60_000);
});

describe('copy bad input', () => {
  const upload = async () => (await s3.send(new CreateMultipartUploadCommand({ Bucket: 'b-dst', Key: 'bad' }))).UploadId!;
  it.each([
    ['no bucket/key separator', { CopySource: 'a-src' }, 'InvalidArgument', 400],
    ['bad percent encoding', { CopySource: 'a-src/%zz' }, 'InvalidArgument', 400],
    ['range beyond the object', { CopySource: 'a-src/obj.bin', CopySourceRange: 'bytes=0-300000' }, 'InvalidArgument', 400],
    ['range without bytes=', { CopySource: 'a-src/obj.bin', CopySourceRange: '0-10' }, 'InvalidArgument', 400],
    ['inverted range', { CopySource: 'a-src/obj.bin', CopySourceRange: 'bytes=10-5' }, 'InvalidArgument', 400],
    ['missing source key', { CopySource: 'a-src/nope' }, 'NoSuchKey', 404],
    ['missing source bucket', { CopySource: 'a-missing/obj.bin' }, 'NoSuchBucket', 404],
    ['unroutable source bucket', { CopySource: 'zzz/obj.bin' }, 'NoSuchBucket', 404],
  ])('%s → %s', async (_name, input, code, status) => {
    const UploadId = await upload();
    await expect(
      s3.send(new UploadPartCopyCommand({ Bucket: 'b-dst', Key: 'bad', UploadId, PartNumber: 1, ...input } as UploadPartCopyCommandInput)),
    ).rejects.toMatchObject({ name: code, $metadata: { httpStatusCode: status } });
  });

  it.each([0, 10001])('part number %i → InvalidArgument', async (PartNumber) => {
    const UploadId = await upload();
    await expect(s3.send(new UploadPartCopyCommand({ Bucket: 'b-dst', Key: 'bad', UploadId, PartNumber, CopySource: 'a-src/obj.bin' }))).rejects.toMatchObject({
      name: 'InvalidArgument',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('unknown uploadId → NoSuchUpload', async () => {
    await expect(
      s3.send(new UploadPartCopyCommand({ Bucket: 'b-dst', Key: 'bad', UploadId: 'no-such-upload', PartNumber: 1, CopySource: 'a-src/obj.bin' })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload', $metadata: { httpStatusCode: 404 } });
  });

  it('a source bucket the client may not read → AccessDenied', async () => {
    const limited = bridge.client('limited', 'limited-secret', { requestChecksumCalculation: 'WHEN_REQUIRED' });
    await expect(limited.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'stolen', CopySource: 'a-src/obj.bin' }))).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
  });
});

describe('copy faults', () => {
  it('a source that dies mid-stream leaves no part and the client gets an error', async () => {
    rec.objects.set('r-src/obj.bin', source);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'b-dst', Key: 'fault' }));
    // Two resets: the copy retries a connection failure once.
    rec.faults.resetAfterBytes(1000);
    rec.faults.onRequest = undefined;
    let gets = 0;
    rec.faults.onRequest = (r, _req, res) => {
      if (r.method === 'GET' && ++gets === 2) {
        res.writeHead(200, { 'content-length': String(source.length), etag: `"${md5(source)}"` });
        res.write(source.subarray(0, 500));
        setTimeout(() => res.destroy(), 20); // the fault itself: the source dies after part of the body went out
        return true;
      }
      return false;
    };
    // A network failure during an emulated copy is 503 ServiceUnavailable.
    await expect(
      s3.send(new UploadPartCopyCommand({ Bucket: 'b-dst', Key: 'fault', UploadId, PartNumber: 1, CopySource: 'r-src/obj.bin' })),
    ).rejects.toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    rec.faults.clear();
    const parts = await s3.send(new ListPartsCommand({ Bucket: 'b-dst', Key: 'fault', UploadId }));
    expect(parts.Parts ?? []).toHaveLength(0);
  });

  it('a single connection failure on the source is retried once and the copy succeeds', async () => {
    rec.objects.set('r-src/retry.bin', source);
    rec.faults.resetAfterBytes(1000);
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'retried.bin', CopySource: 'r-src/retry.bin' }));
    expect(r.CopyObjectResult?.ETag).toBe(`"${md5(source)}"`);
  });
});
