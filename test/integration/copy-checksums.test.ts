// Emulated copies into checksum-typed uploads and objects (copy-semantics.md §11): moto A → moto B, and moto A → a recording backend that enforces S3's Complete rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCopyCommand,
  type ChecksumAlgorithm as SdkAlgorithm,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CHECKSUM_ALGORITHMS, createChecksum, type ChecksumAlgorithm } from '../../src/s3/checksums.js';
import { remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { startRulesBackend, type RulesBackend } from '../helpers/s3-rules-backend.js';

let motoA: MotoServer;
let motoB: MotoServer;
let rules: RulesBackend;
let rulesLikeMoto: RulesBackend;
let bridge: TestBridge;
let s3: S3Client;

const MiB = 1024 * 1024;
const source = randomBytes(300_000);
const big = randomBytes(11 * MiB + 5);
const RANGES: Array<[number, number]> = [
  [0, 99_999],
  [100_000, 299_999],
];
const REC_KEYS = { accessKeyId: 'rules', secretAccessKey: 'rules-secret' };

const checksum = (alg: ChecksumAlgorithm, data: Buffer): string => {
  const c = createChecksum(alg);
  c.update(data);
  return c.digestBase64();
};
const composite = (alg: ChecksumAlgorithm, parts: string[]) => `${checksum(alg, Buffer.concat(parts.map((p) => Buffer.from(p, 'base64'))))}-${parts.length}`;
const field = (alg: ChecksumAlgorithm) => `Checksum${alg}` as 'ChecksumCRC32';
const slice = ([first, last]: [number, number]) => source.subarray(first, last + 1);

beforeAll(async () => {
  [motoA, motoB] = await Promise.all([startMoto({ env: { S3_UPLOAD_PART_MIN_SIZE: '1' } }), startMoto({ env: { S3_UPLOAD_PART_MIN_SIZE: '1' } })]);
  [rules, rulesLikeMoto] = await Promise.all([startRulesBackend(REC_KEYS), startRulesBackend({ ...REC_KEYS, listPartsNamesAlgorithm: false })]);
  const rulesEntry = (name: string, r: RulesBackend, extra = {}) => remoteBackend(name, { endpoint: r.endpoint, ...REC_KEYS }, extra);
  const chunked = { capabilities: { awsChunked: true } };
  bridge = await startBridge({
    backends: [
      remoteBackend('moto-a', motoA),
      remoteBackend('moto-b', motoB, chunked),
      // The same moto B, declared without aws-chunked: a checksum cannot travel with the bytes there (§11.3).
      remoteBackend('moto-b-plain', motoB),
      rulesEntry('rules', rules, chunked),
      rulesEntry('rules-moto', rulesLikeMoto, chunked),
      rulesEntry('rules-plain', rules),
    ],
    routes: [
      { bucket: 'a-*', backend: 'moto-a' },
      { bucket: 'b-*', backend: 'moto-b' },
      { bucket: 'p-*', backend: 'moto-b-plain' },
      { bucket: 'r-*', backend: 'rules' },
      { bucket: 'm-*', backend: 'rules-moto' },
      { bucket: 'q-*', backend: 'rules-plain' },
    ],
    copy: { multipartThreshold: '6MiB', partSize: '5MiB', maxConcurrentParts: 2 },
  });
  s3 = bridge.client();
  for (const Bucket of ['a-src', 'b-dst', 'p-dst']) await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutObjectCommand({ Bucket: 'a-src', Key: 'obj.bin', Body: source }));
  await s3.send(new PutObjectCommand({ Bucket: 'a-src', Key: 'big.bin', Body: big }));
}, 90_000);

afterAll(async () => {
  await bridge?.close(1000);
  await Promise.all([motoA?.stop(), motoB?.stop(), rules?.stop(), rulesLikeMoto?.stop()]);
});

/** CreateMultipartUpload with the algorithm, one UploadPartCopy per range, Complete with what the copies returned. */
async function copyParts(Bucket: string, Key: string, alg: ChecksumAlgorithm) {
  const { UploadId, ChecksumAlgorithm } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: alg as SdkAlgorithm }));
  expect(ChecksumAlgorithm).toBe(alg);
  const parts: CompletedPart[] = [];
  for (const [i, range] of RANGES.entries()) {
    const r = await s3.send(
      new UploadPartCopyCommand({ Bucket, Key, UploadId, PartNumber: i + 1, CopySource: 'a-src/obj.bin', CopySourceRange: `bytes=${range[0]}-${range[1]}` }),
    );
    expect(r.CopyPartResult?.[field(alg)]).toBe(checksum(alg, slice(range)));
    // Only the upload's algorithm: no other checksum element.
    expect(Object.keys(r.CopyPartResult ?? {}).filter((k) => k.startsWith('Checksum'))).toEqual([field(alg)]);
    parts.push({ PartNumber: i + 1, ETag: r.CopyPartResult!.ETag!, [field(alg)]: r.CopyPartResult![field(alg)] });
  }
  return { UploadId, parts, complete: () => s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } })) };
}

async function readBack(Bucket: string, Key: string, mode: 'checked' | 'unchecked' = 'checked') {
  const client = mode === 'checked' ? s3 : bridge.client(undefined, undefined, { responseChecksumValidation: 'WHEN_REQUIRED' });
  const got = await client.send(new GetObjectCommand({ Bucket, Key, ChecksumMode: mode === 'checked' ? 'ENABLED' : undefined }));
  return { body: Buffer.from(await got.Body!.transformToByteArray()), got };
}

describe('UploadPartCopy into a checksum-typed upload', () => {
  it.each(CHECKSUM_ALGORITHMS)('%s: moto A → recording backend that enforces the Complete rule', async (alg) => {
    const upload = await copyParts('r-dst', `parts-${alg}`, alg);
    await upload.complete();
    const { body, got } = await readBack('r-dst', `parts-${alg}`);
    expect(body.equals(Buffer.concat(RANGES.map(slice)))).toBe(true);
    const partSums = RANGES.map((r) => checksum(alg, slice(r)));
    const whole = alg === 'CRC64NVME' ? checksum(alg, Buffer.concat(RANGES.map(slice))) : composite(alg, partSums);
    expect([got[field(alg)], got.ChecksumType]).toEqual([whole, alg === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE']);
    // Each part went out as an aws-chunked body whose trailer carried its checksum.
    const puts = rules.requests.filter((r) => r.method === 'PUT' && r.url.includes(`parts-${alg}?`));
    expect(puts.map((r) => [r.headers['x-amz-trailer'], r.headers['x-amz-sdk-checksum-algorithm'], r.headers['content-encoding'], r.status])).toEqual(
      RANGES.map(() => [`x-amz-checksum-${alg.toLowerCase()}`, alg, 'aws-chunked', 200]),
    );
  });

  it.each(CHECKSUM_ALGORITHMS)('%s: moto A → moto B, read back with ChecksumMode', async (alg) => {
    const upload = await copyParts('b-dst', `parts-${alg}`, alg);
    await upload.complete();
    // moto 5.2.1 builds the object checksum from the part checksums it stored; without its optional libraries it
    // computes CRC32C and CRC64NVME as plain CRC32, so only the others can be compared with the real value, and a
    // CRC64NVME read fails the SDK's own check of moto's value (moto sends it even without ChecksumMode).
    const { body, got } = alg === 'CRC64NVME' ? await readBack('b-dst', `parts-${alg}`, 'unchecked') : await readBack('b-dst', `parts-${alg}`);
    expect(body.equals(Buffer.concat(RANGES.map(slice)))).toBe(true);
    if (alg === 'CRC32' || alg === 'SHA1' || alg === 'SHA256')
      expect([got?.[field(alg)], got?.ChecksumType]).toEqual([
        composite(
          alg,
          RANGES.map((r) => checksum(alg, slice(r))),
        ),
        'COMPOSITE',
      ]);
  });

  it('finds the algorithm through ListMultipartUploads where ListParts does not name it, once per upload', async () => {
    const upload = await copyParts('m-dst', 'listed', 'SHA256');
    await upload.complete();
    const on = (pred: (url: string) => boolean) => rulesLikeMoto.requests.filter((r) => r.method === 'GET' && pred(r.url)).length;
    expect(on((u) => u.startsWith('/m-dst/listed?') && u.includes('uploadId='))).toBe(2); // ListParts for each part
    expect(on((u) => u.startsWith('/m-dst?') && u.includes('uploads'))).toBe(1);
    expect(rulesLikeMoto.stored.get('m-dst/listed')?.checksum?.type).toBe('COMPOSITE');
  });

  it('a destination that reports another checksum than the one copied fails the part copy', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'm-dst', Key: 'lying', ChecksumAlgorithm: 'CRC32' }));
    const rules = rulesLikeMoto.faults.onRequest!;
    rulesLikeMoto.faults.onRequest = (rec, req, res) => {
      if (rec.method === 'PUT' && rec.url.startsWith('/m-dst/lying?')) {
        // The fault: the store answers as if it had stored other bytes.
        const writeHead = res.writeHead.bind(res) as (status: number, headers: Record<string, string>) => typeof res;
        res.writeHead = ((status: number, headers: Record<string, string>) =>
          writeHead(status, { ...headers, 'x-amz-checksum-crc32': 'AAAAAA==' })) as typeof res.writeHead;
      }
      return rules(rec, req, res);
    };
    try {
      await expect(
        s3.send(
          new UploadPartCopyCommand({ Bucket: 'm-dst', Key: 'lying', UploadId, PartNumber: 1, CopySource: 'a-src/obj.bin', CopySourceRange: 'bytes=0-9' }),
        ),
      ).rejects.toMatchObject({
        name: 'InternalError',
        $metadata: { httpStatusCode: 500 },
        message: `The destination stored different bytes than were copied (CRC32 AAAAAA==, copied ${checksum('CRC32', source.subarray(0, 10))}).`,
      });
    } finally {
      rulesLikeMoto.faults.onRequest = rules;
    }
  });

  it('an upload without an algorithm gets parts without checksums', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'r-dst', Key: 'plain' }));
    const r = await s3.send(new UploadPartCopyCommand({ Bucket: 'r-dst', Key: 'plain', UploadId, PartNumber: 1, CopySource: 'a-src/obj.bin' }));
    expect(Object.keys(r.CopyPartResult ?? {}).filter((k) => k.startsWith('Checksum'))).toEqual([]);
    const put = rules.requests.findLast((q) => q.method === 'PUT' && q.url.startsWith('/r-dst/plain?'));
    expect([put?.headers['content-encoding'], put?.headers['x-amz-trailer'], put?.headers['content-length']]).toEqual([
      undefined,
      undefined,
      String(source.length),
    ]);
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'r-dst',
        Key: 'plain',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.CopyPartResult!.ETag }] },
      }),
    );
  });

  it('without aws-chunked on the destination the part checksum is still returned, and an S3-like store refuses Complete', async () => {
    const upload = await copyParts('q-dst', 'no-trailer', 'CRC32');
    await expect(upload.complete()).rejects.toMatchObject({
      name: 'InvalidRequest',
      $metadata: { httpStatusCode: 400 },
      message:
        'The upload was created using a crc32 checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request.',
    });
  });
});

describe('CopyObject with x-amz-checksum-algorithm', () => {
  it.each(CHECKSUM_ALGORITHMS)('%s: one PUT to moto B stores and returns the FULL_OBJECT checksum', async (alg) => {
    const r = await s3.send(
      new CopyObjectCommand({ Bucket: 'b-dst', Key: `copy-${alg}`, CopySource: 'a-src/obj.bin', ChecksumAlgorithm: alg as SdkAlgorithm }),
    );
    expect([r.CopyObjectResult?.[field(alg)], r.CopyObjectResult?.ChecksumType]).toEqual([checksum(alg, source), 'FULL_OBJECT']);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'b-dst', Key: `copy-${alg}`, ChecksumMode: 'ENABLED' }));
    expect(head[field(alg)]).toBe(checksum(alg, source));
  });

  it.each(CHECKSUM_ALGORITHMS)(
    '%s: above the multipart threshold to the recording backend',
    async (alg) => {
      const r = await s3.send(
        new CopyObjectCommand({ Bucket: 'r-dst', Key: `big-${alg}`, CopySource: 'a-src/big.bin', ChecksumAlgorithm: alg as SdkAlgorithm }),
      );
      const parts = [big.subarray(0, 5 * MiB), big.subarray(5 * MiB, 10 * MiB), big.subarray(10 * MiB)];
      const fullObject = alg.startsWith('CRC');
      const want = fullObject
        ? checksum(alg, big)
        : composite(
            alg,
            parts.map((p) => checksum(alg, p)),
          );
      expect([r.CopyObjectResult?.[field(alg)], r.CopyObjectResult?.ChecksumType, r.CopyObjectResult?.ETag]).toEqual([
        want,
        fullObject ? 'FULL_OBJECT' : 'COMPOSITE',
        expect.stringMatching(/-3"$/),
      ]);
      const stored = rules.stored.get(`r-dst/big-${alg}`);
      expect([stored?.data.equals(big), stored?.checksum]).toEqual([true, { alg, value: want, type: fullObject ? 'FULL_OBJECT' : 'COMPOSITE' }]);
      // FULL_OBJECT: the combined CRC went with Complete, and the store checked it.
      const done = rules.requests.findLast((q) => q.method === 'POST' && q.url.startsWith(`/r-dst/big-${alg}?uploadId=`));
      expect(done?.headers[`x-amz-checksum-${alg.toLowerCase()}`]).toBe(fullObject ? want : undefined);
    },
    60_000,
  );

  it('CRC32 above the multipart threshold to moto B', async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'big-crc32', CopySource: 'a-src/big.bin', ChecksumAlgorithm: 'CRC32' }));
    expect([r.CopyObjectResult?.ChecksumCRC32, r.CopyObjectResult?.ChecksumType, r.CopyObjectResult?.ETag]).toEqual([
      checksum('CRC32', big),
      'FULL_OBJECT',
      expect.stringMatching(/-3"$/),
    ]);
    const { body } = await readBack('b-dst', 'big-crc32', 'unchecked');
    expect(body.equals(big)).toBe(true);
  }, 60_000);

  it('a destination without aws-chunked: the checksum is computed and returned, not stored', async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'p-dst', Key: 'copy-crc32c', CopySource: 'a-src/obj.bin', ChecksumAlgorithm: 'CRC32C' }));
    expect([r.CopyObjectResult?.ChecksumCRC32C, r.CopyObjectResult?.ChecksumType]).toEqual([checksum('CRC32C', source), 'FULL_OBJECT']);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'p-dst', Key: 'copy-crc32c', ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumCRC32C).toBe(undefined);
  });

  it('an unknown algorithm is InvalidRequest', async () => {
    await expect(
      s3.send(new CopyObjectCommand({ Bucket: 'b-dst', Key: 'bad-alg', CopySource: 'a-src/obj.bin', ChecksumAlgorithm: 'MD4' as SdkAlgorithm })),
    ).rejects.toMatchObject({ name: 'InvalidRequest', $metadata: { httpStatusCode: 400 } });
  });
});
