// Benchmark scenarios, real-client transfers: an SDK-default upload (aws-chunked with a CRC32 trailer, decoded and
// verified by s3bridge) and a cross-backend multipart copy emulated by s3bridge against rclone, also into a
// checksum-typed upload (copy-checksum). See scenarios.js
// for the scenario fields; both compare the "direct" contender (no proxy) with the s3bridge contenders.
import { Readable } from 'node:stream';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCopyCommand } from '@aws-sdk/client-s3';
import { originStats } from './checks.js';
import { REGION, generatedBody, putObject } from './client.js';
import { SECOND_BACKEND_BUCKET } from './processes.js';
import { rcloneCopy, rcloneVersion } from './rclone.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const mbps = (bytes, seconds) => bytes / 1e6 / seconds;
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;

/** One S3Client per target, all SDK defaults except the endpoint (path style: the bench has no DNS for buckets). */
const sdkClients = new Map();
function sdk(target) {
  let client = sdkClients.get(target.url);
  if (!client) {
    client = new S3Client({ endpoint: target.url, region: REGION, credentials: target.credentials, forcePathStyle: true });
    sdkClients.set(target.url, client);
  }
  return client;
}
export function closeSdkClients() {
  for (const c of sdkClients.values()) c.destroy();
  sdkClients.clear();
}

/** PutObject with a stream body and ContentLength: the SDK's default for that is aws-chunked + CRC32 trailer. */
async function sdkPut(target, key, size) {
  // 1 MiB slices of one reusable buffer: a stream as fast as the client can make one, with no 1 GiB allocation.
  const body = Readable.from(generatedBody(size), { objectMode: false, highWaterMark: 4 * MiB });
  const t0 = process.hrtime.bigint();
  const out = await sdk(target).send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: body, ContentLength: size }));
  return { seconds: seconds(t0), etag: out.ETag, crc32: out.ChecksumCRC32 };
}

/** Bytes an origin received during fn (its own counter), to check the transfer end to end. */
async function received(originUrl, fn) {
  const before = await originStats(originUrl);
  const r = await fn();
  const after = await originStats(originUrl);
  return { ...r, arrived: after.bytesReceived - before.bytesReceived };
}

/**
 * Copies `size` bytes the way the aws CLI does: CreateMultipartUpload, UploadPartCopy ×N (`concurrency` at a time),
 * Complete. With `checksum` (CRC32, …) the upload is checksum-typed, and every part's checksum must come back.
 */
async function multipartCopy(target, { source, bucket, key, size, partSize, concurrency, checksum }) {
  const s3 = sdk(target);
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: checksum }));
  const count = Math.ceil(size / partSize);
  const parts = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const first = i * partSize;
      const last = Math.min(size, first + partSize) - 1;
      const r = await s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          PartNumber: i + 1,
          CopySource: source,
          CopySourceRange: `bytes=${first}-${last}`,
        }),
      );
      parts[i] = { PartNumber: i + 1, ETag: r.CopyPartResult?.ETag };
      if (checksum) {
        const value = r.CopyPartResult?.[`Checksum${checksum}`];
        if (!value) throw new Error(`part ${i + 1}: no ${checksum} checksum in CopyPartResult`);
        parts[i][`Checksum${checksum}`] = value;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  return { parts: count };
}

const sizeParams = (opts, quickSize) => ({ size: opts.size ?? (opts.quick ? quickSize : GiB), reps: opts.reps ?? (opts.quick ? 1 : 2) });

export const TRANSFER_SCENARIOS = [
  {
    name: 'upload-sdk',
    title: 'PUT one object: @aws-sdk/client-s3 defaults (aws-chunked, CRC32 trailer) via s3bridge vs plain PUT direct',
    primary: { key: 'MBps', unit: 'MB/s', better: 'higher' },
    costBasis: 'bytes',
    budget: 's3bridge ≥ 60% of direct, peak RSS < 150 MB',
    appliesTo: (c) => c.id === 'direct' || c.kind === 's3bridge',
    label: (c) => (c.id === 'direct' ? 'direct: plain PUT, UNSIGNED-PAYLOAD (undici)' : `${c.label}: SDK PutObject, aws-chunked + CRC32`),
    params: (opts) => sizeParams(opts, 128 * MiB),
    async warmup(_ctx, c) {
      if (c.id === 'direct') await putObject(c.target, '/bench/warm-put', 64 * MiB);
      else await sdkPut(c.target, 'warm-sdk-put', 64 * MiB);
    },
    async run(ctx, c, { size }) {
      const key = `sdk-put-${size}`;
      const r =
        c.id === 'direct'
          ? await received(ctx.originUrl, async () => {
              const p = await putObject(c.target, `/bench/${key}`, size);
              return { seconds: p.seconds, status: p.status };
            })
          : await received(ctx.originUrl, () => sdkPut(c.target, key, size).then((p) => ({ ...p, status: 200 })));
      const ok = r.status === 200 && r.arrived === size;
      return {
        ok,
        error: ok ? undefined : `status ${r.status}, origin received ${r.arrived} of ${size} bytes`,
        bytes: size,
        requests: 1,
        metrics: { MBps: mbps(size, r.seconds), seconds: r.seconds },
      };
    },
  },
  {
    name: 'copy',
    title: 'copy one object between two backends: UploadPartCopy 64 MiB ×4 via s3bridge (emulated) vs rclone copyto',
    primary: { key: 'MBps', unit: 'MB/s', better: 'higher' },
    costBasis: 'bytes',
    budget: 's3bridge at least as fast as rclone, s3bridge peak RSS < 200 MB',
    appliesTo: (c) => (c.id === 'direct' ? rcloneVersion() !== undefined : c.kind === 's3bridge'),
    note: () => (rcloneVersion() ? undefined : 'copy: rclone is not installed, the rclone contender was skipped'),
    label: (c) => (c.id === 'direct' ? `rclone copyto, no proxy (${rcloneVersion()}, 64M chunks ×4)` : `${c.label}: UploadPartCopy 64 MiB ×4`),
    params: (opts) => ({ ...sizeParams(opts, 256 * MiB), partSize: 64 * MiB, concurrency: 4 }),
    async warmup(ctx, c, { partSize, concurrency }) {
      await copyOnce(ctx, c, { size: partSize * 2, partSize, concurrency }, 'warm');
    },
    async run(ctx, c, params) {
      return copyOnce(ctx, c, params, 'run');
    },
  },
  {
    name: 'copy-checksum',
    title: 'the copy scenario into a CRC32-typed upload: every part computed, sent as trailer and returned (compare CPU s/GiB with copy)',
    primary: { key: 'MBps', unit: 'MB/s', better: 'higher' },
    costBasis: 'bytes',
    budget: 'proxy CPU per GiB at most 10% above the copy scenario of the same run',
    appliesTo: (c) => c.kind === 's3bridge',
    label: (c) => `${c.label}: UploadPartCopy 64 MiB ×4, CRC32 upload`,
    params: (opts) => ({ ...sizeParams(opts, 256 * MiB), partSize: 64 * MiB, concurrency: 4, checksum: 'CRC32' }),
    async warmup(ctx, c, { partSize, concurrency, checksum }) {
      await copyOnce(ctx, c, { size: partSize * 2, partSize, concurrency, checksum }, 'warm');
    },
    async run(ctx, c, params) {
      return copyOnce(ctx, c, params, 'run');
    },
  },
];

let copyCount = 0;

/** One copy of `size` bytes from bucket "bench" (origin) to SECOND_BACKEND_BUCKET (origin B), checked by byte counts. */
async function copyOnce(ctx, c, { size, partSize, concurrency, checksum }, tag) {
  const srcKey = `copy-src-${size}`;
  const dstKey = `copy-dst-${tag}-${++copyCount}.bin`; // no size in the name: the origins must not know it already
  const sentBefore = await originStats(ctx.originUrl);
  const t0 = process.hrtime.bigint();
  let r;
  if (c.id === 'direct') {
    r = await received(ctx.originBUrl, () =>
      rcloneCopy({
        srcUrl: ctx.originUrl,
        dstUrl: ctx.originBUrl,
        src: `bench/${srcKey}`,
        dst: `${SECOND_BACKEND_BUCKET}/${dstKey}`,
        partSize,
        concurrency,
        credentials: c.target.credentials,
      }),
    );
    if (r.code !== 0) r.error = `rclone exited ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`;
  } else {
    r = await received(ctx.originBUrl, () =>
      multipartCopy(c.target, {
        source: `bench/${srcKey}`,
        bucket: SECOND_BACKEND_BUCKET,
        key: dstKey,
        size,
        partSize,
        concurrency,
        checksum,
      }),
    );
  }
  const secs = seconds(t0);
  const sent = (await originStats(ctx.originUrl)).bytesSent - sentBefore.bytesSent;
  const ok = !r.error && r.arrived === size && sent === size;
  const metrics = { MBps: mbps(size, secs), seconds: secs };
  if (c.id === 'direct') Object.assign(metrics, { clientPeakRssMB: r.peakRssMB });
  return {
    ok,
    error: ok ? undefined : (r.error ?? `source sent ${sent}, destination received ${r.arrived} of ${size} bytes`),
    bytes: size,
    requests: c.id === 'direct' ? 1 : Math.ceil(size / partSize) + 2,
    metrics,
    ...(c.id === 'direct' ? { loadgenCpuSeconds: r.cpuSeconds, externalCpuSeconds: r.cpuSeconds } : {}),
  };
}
