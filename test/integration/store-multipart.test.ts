// The embedded store driven directly by @aws-sdk/client-s3 with its default settings: multipart uploads and checksums.
import { createHash, randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChecksum, type ChecksumAlgorithm } from '../../src/s3/checksums.js';
import { failure, startTestStore, type TestStore } from '../helpers/store.js';

let store: TestStore;
let s3: S3Client;

beforeAll(async () => {
  store = await startTestStore({ minPartSize: 1024 });
  s3 = store.client();
  await s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
});
afterAll(() => store?.stop());

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sum = (alg: ChecksumAlgorithm, ...parts: Buffer[]) => {
  const c = createChecksum(alg);
  for (const p of parts) c.update(p);
  return c.digestBase64();
};

/** The error an SDK call failed with: AWS code and HTTP status. */
describe('multipart uploads', () => {
  it('Create, UploadPart, UploadPartCopy with a range, ListParts, ListMultipartUploads, Complete: "md5-of-md5s-N"', async () => {
    const source = randomBytes(5000);
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'mp-source', Body: source }));
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mp/target', ContentType: 'video/x', Metadata: { from: 'parts' } }),
    );
    const one = randomBytes(2000);
    const p1 = await s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'mp/target', UploadId, PartNumber: 1, Body: one }));
    const p2 = await s3.send(
      new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'mp/target', UploadId, PartNumber: 2, CopySource: 'bkt/mp-source', CopySourceRange: 'bytes=1000-2999' }),
    );
    const p3 = await s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'mp/target', UploadId, PartNumber: 3, CopySource: 'bkt/mp-source' }));
    expect(p1.ETag).toBe(`"${md5(one)}"`);
    expect(p2.CopyPartResult?.ETag).toBe(`"${md5(source.subarray(1000, 3000))}"`);
    const parts = await s3.send(new ListPartsCommand({ Bucket: 'bkt', Key: 'mp/target', UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 2000, p1.ETag],
      [2, 2000, p2.CopyPartResult!.ETag],
      [3, 5000, p3.CopyPartResult!.ETag],
    ]);
    const page = await s3.send(new ListPartsCommand({ Bucket: 'bkt', Key: 'mp/target', UploadId, MaxParts: 2 }));
    expect([page.IsTruncated, page.NextPartNumberMarker, page.Parts?.length]).toEqual([true, '2', 2]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'bkt', Prefix: 'mp/' }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['mp/target', UploadId]]);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'bkt',
        Key: 'mp/target',
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.CopyPartResult!.ETag },
            { PartNumber: 3, ETag: p3.CopyPartResult!.ETag },
          ],
        },
      }),
    );
    const etags = [md5(one), md5(source.subarray(1000, 3000)), md5(source)];
    const expected = `"${createHash('md5')
      .update(Buffer.concat(etags.map((e) => Buffer.from(e, 'hex'))))
      .digest('hex')}-3"`;
    expect(done.ETag).toBe(expected);
    expect(done.Key).toBe('mp/target');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'mp/target' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([one, source.subarray(1000, 3000), source]))).toBe(true);
    expect(got).toMatchObject({ ETag: expected, ContentType: 'video/x', Metadata: { from: 'parts' } });
    const part2 = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'mp/target', PartNumber: 2 }));
    expect(Buffer.from(await part2.Body!.transformToByteArray()).equals(source.subarray(1000, 3000))).toBe(true);
    expect([part2.PartsCount, part2.ContentRange]).toEqual([3, 'bytes 2000-3999/9000']);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'bkt', Prefix: 'mp/' }))).Uploads ?? []).toEqual([]);
    expect(await failure(s3.send(new ListPartsCommand({ Bucket: 'bkt', Key: 'mp/target', UploadId })))).toEqual({ name: 'NoSuchUpload', status: 404 });
  });

  async function uploadWith(parts: Buffer[], key: string): Promise<{ UploadId: string; etags: string[] }> {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: key }));
    const etags: string[] = [];
    for (const [i, Body] of parts.entries())
      etags.push((await s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: key, UploadId, PartNumber: i + 1, Body }))).ETag!);
    return { UploadId: UploadId!, etags };
  }

  it.each<[string, (etags: string[]) => Array<{ PartNumber: number; ETag: string }>, Buffer[], string]>([
    [
      'a small part that is not the last',
      (e) => [
        { PartNumber: 1, ETag: e[0]! },
        { PartNumber: 2, ETag: e[1]! },
      ],
      [randomBytes(1000), randomBytes(2000)],
      'EntityTooSmall',
    ],
    [
      'a part never uploaded',
      (e) => [
        { PartNumber: 1, ETag: e[0]! },
        { PartNumber: 3, ETag: e[0]! },
      ],
      [randomBytes(2000), randomBytes(10)],
      'InvalidPart',
    ],
    ['a wrong ETag', () => [{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }], [randomBytes(2000)], 'InvalidPart'],
    [
      'parts out of order',
      (e) => [
        { PartNumber: 2, ETag: e[1]! },
        { PartNumber: 1, ETag: e[0]! },
      ],
      [randomBytes(2000), randomBytes(2000)],
      'InvalidPartOrder',
    ],
  ])('Complete with %s → %s, and the upload survives it', async (_what, list, parts, code) => {
    const key = `bad-${code}`;
    const { UploadId, etags } = await uploadWith(parts, key);
    expect(await failure(s3.send(new CompleteMultipartUploadCommand({ Bucket: 'bkt', Key: key, UploadId, MultipartUpload: { Parts: list(etags) } })))).toEqual({
      name: code,
      status: 400,
    });
    expect((await s3.send(new ListPartsCommand({ Bucket: 'bkt', Key: key, UploadId }))).Parts).toHaveLength(parts.length);
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: key })))).toEqual({ name: 'NotFound', status: 404 });
  });

  it('a repeated Complete answers as the first did while the object is the one it made; then NoSuchUpload', async () => {
    const parts = [randomBytes(1500), randomBytes(700)];
    const { UploadId, etags } = await uploadWith(parts, 'mp/again');
    const complete = (list = etags) =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'bkt',
          Key: 'mp/again',
          UploadId,
          MultipartUpload: { Parts: list.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
        }),
      );
    const first = await complete();
    const again = await complete();
    expect([again.ETag, again.Key, again.Bucket]).toEqual([first.ETag, 'mp/again', 'bkt']);
    // Another part list is not the upload that was completed.
    expect(await failure(complete([etags[0]!]))).toEqual({ name: 'NoSuchUpload', status: 404 });
    // Once the key holds another object, the upload is gone for good.
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'mp/again', Body: 'overwritten' }));
    expect(await failure(complete())).toEqual({ name: 'NoSuchUpload', status: 404 });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'mp/again' }));
    expect(await got.Body!.transformToString()).toBe('overwritten');
  });

  it('AbortMultipartUpload removes the upload; its id is then NoSuchUpload everywhere', async () => {
    const { UploadId, etags } = await uploadWith([randomBytes(2000)], 'aborted');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'bkt', Key: 'aborted', UploadId }));
    for (const call of [
      () => s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'aborted', UploadId, PartNumber: 2, Body: 'x' })),
      () => s3.send(new ListPartsCommand({ Bucket: 'bkt', Key: 'aborted', UploadId })),
      () => s3.send(new AbortMultipartUploadCommand({ Bucket: 'bkt', Key: 'aborted', UploadId })),
      () =>
        s3.send(
          new CompleteMultipartUploadCommand({ Bucket: 'bkt', Key: 'aborted', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etags[0] }] } }),
        ),
    ])
      expect(await failure(call())).toEqual({ name: 'NoSuchUpload', status: 404 });
  });

  it.each(['not-an-upload-id', '../../../../etc/passwd', 'A'.repeat(43)])('an upload id it did not issue (%j) is NoSuchUpload', async (UploadId) => {
    expect(await failure(s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'k', UploadId, PartNumber: 1, Body: 'x' })))).toEqual({
      name: 'NoSuchUpload',
      status: 404,
    });
  });

  it('an upload id belongs to its key', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mine' }));
    expect(await failure(s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'not-mine', UploadId, PartNumber: 1, Body: 'x' })))).toEqual({
      name: 'NoSuchUpload',
      status: 404,
    });
  });

  it('UploadPartCopy: a range past the end is InvalidArgument, a bad part number too', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'range-check' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'ten', Body: '0123456789' }));
    expect(
      await failure(
        s3.send(
          new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'range-check', UploadId, PartNumber: 1, CopySource: 'bkt/ten', CopySourceRange: 'bytes=5-10' }),
        ),
      ),
    ).toEqual({ name: 'InvalidArgument', status: 400 });
    expect(
      await failure(s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'range-check', UploadId, PartNumber: 10001, CopySource: 'bkt/ten' }))),
    ).toEqual({ name: 'InvalidArgument', status: 400 });
    expect(
      await failure(
        s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'range-check', UploadId, PartNumber: 1, CopySource: 'bkt/ten', CopySourceIfMatch: '"nope"' })),
      ),
    ).toEqual({ name: 'PreconditionFailed', status: 412 });
  });
});

describe('checksums', () => {
  it.each<ChecksumAlgorithm>(['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'])(
    'PutObject with %s: verified, stored, returned with ChecksumMode',
    async (alg) => {
      const body = randomBytes(123_457);
      const field = `Checksum${alg}` as 'ChecksumCRC32';
      const put = await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: `sum-${alg}`, Body: body, ChecksumAlgorithm: alg }));
      expect(put[field]).toBe(sum(alg, body));
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: `sum-${alg}`, ChecksumMode: 'ENABLED' }));
      expect(head[field]).toBe(sum(alg, body));
      expect(head.ChecksumType).toBe('FULL_OBJECT');
      const plain = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: `sum-${alg}` }));
      expect(plain[field]).toBeUndefined();
    },
  );

  it('a wrong checksum or Content-MD5 is BadDigest and stores nothing', async () => {
    expect(
      await failure(s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'bad-sum', Body: 'abc', ChecksumCRC32: sum('CRC32', Buffer.from('abd')) }))),
    ).toEqual({ name: 'BadDigest', status: 400 });
    expect(
      await failure(
        s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'bad-sum', Body: 'abc', ContentMD5: createHash('md5').update('abd').digest('base64') })),
      ),
    ).toEqual({ name: 'BadDigest', status: 400 });
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'bad-sum' })))).toEqual({ name: 'NotFound', status: 404 });
  });

  it.each<[ChecksumAlgorithm, 'COMPOSITE' | 'FULL_OBJECT']>([
    ['SHA256', 'COMPOSITE'],
    ['CRC32C', 'COMPOSITE'],
    ['CRC32', 'FULL_OBJECT'],
    ['CRC64NVME', 'FULL_OBJECT'],
  ])('multipart with %s (%s): part checksums in UploadPart, UploadPartCopy and ListParts; the object checksum', async (alg, type) => {
    const field = `Checksum${alg}` as 'ChecksumCRC32';
    const Key = `mp-sum-${alg}`;
    const { UploadId, ChecksumAlgorithm, ChecksumType } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'bkt', Key, ChecksumAlgorithm: alg, ChecksumType: type }),
    );
    expect([ChecksumAlgorithm, ChecksumType]).toEqual([alg, type]);
    const one = randomBytes(3000);
    const p1 = await s3.send(new UploadPartCommand({ Bucket: 'bkt', Key, UploadId, PartNumber: 1, Body: one, ChecksumAlgorithm: alg }));
    expect(p1[field]).toBe(sum(alg, one));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'sum-source', Body: '0123456789' }));
    const p2 = await s3.send(
      new UploadPartCopyCommand({ Bucket: 'bkt', Key, UploadId, PartNumber: 2, CopySource: 'bkt/sum-source', CopySourceRange: 'bytes=2-5' }),
    );
    expect(p2.CopyPartResult?.[field]).toBe(sum(alg, Buffer.from('2345')));
    const listed = await s3.send(new ListPartsCommand({ Bucket: 'bkt', Key, UploadId }));
    expect(listed.Parts?.map((p) => p[field])).toEqual([sum(alg, one), sum(alg, Buffer.from('2345'))]);
    expect(listed.ChecksumAlgorithm).toBe(alg);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'bkt',
        Key,
        UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag, [field]: p1[field] },
            { PartNumber: 2, ETag: p2.CopyPartResult!.ETag, [field]: p2.CopyPartResult![field] },
          ],
        },
      }),
    );
    const whole = Buffer.concat([one, Buffer.from('2345')]);
    const expected =
      type === 'FULL_OBJECT' ? sum(alg, whole) : `${sum(alg, Buffer.from(sum(alg, one), 'base64'), Buffer.from(sum(alg, Buffer.from('2345')), 'base64'))}-2`;
    expect(done[field]).toBe(expected);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key, ChecksumMode: 'ENABLED' }));
    expect([head[field], head.ChecksumType]).toEqual([expected, type]);
  });

  it('a part with another algorithm than the upload is refused', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mixed', ChecksumAlgorithm: 'SHA256' }));
    expect(
      await failure(s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'mixed', UploadId, PartNumber: 1, Body: 'x', ChecksumAlgorithm: 'CRC32' }))),
    ).toEqual({ name: 'InvalidRequest', status: 400 });
  });
});
