// The embedded store's GetObjectAttributes, with the JS SDK: each attribute asked for, parts paged for a multipart object with checksums, and the refusals.
import { createHash } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, startTestStore, type TestStore } from '../helpers/store.js';

let store: TestStore;
let s3: S3Client;
const Bucket = 'attrs';

beforeAll(async () => {
  store = await startTestStore();
  s3 = store.client();
  await s3.send(new CreateBucketCommand({ Bucket }));
});
afterAll(() => store?.stop());

describe('GetObjectAttributes', () => {
  it('a plain object: ETag without quotes, its checksum, size and storage class; no parts', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'plain', Body: 'hello', ChecksumAlgorithm: 'SHA256', StorageClass: 'STANDARD_IA' }));
    const got = await s3.send(
      new GetObjectAttributesCommand({ Bucket, Key: 'plain', ObjectAttributes: ['ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize'] }),
    );
    expect(got.ETag).toBe(put.ETag!.replace(/"/g, ''));
    expect(got.Checksum).toEqual({ ChecksumSHA256: createHash('sha256').update('hello').digest('base64'), ChecksumType: 'FULL_OBJECT' });
    expect([got.ObjectSize, got.StorageClass, got.ObjectParts]).toEqual([5, 'STANDARD_IA', undefined]);
    expect(got.LastModified).toBeInstanceOf(Date);
    const only = await s3.send(new GetObjectAttributesCommand({ Bucket, Key: 'plain', ObjectAttributes: ['ObjectSize'] }));
    expect([only.ObjectSize, only.ETag, only.Checksum]).toEqual([5, undefined, undefined]);
  });

  it('a multipart object: its parts with their checksums, paged', async () => {
    const parts = ['a'.repeat(1024), 'b'.repeat(1024), 'c'];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp', ChecksumAlgorithm: 'CRC32' }));
    const done = [];
    for (const [i, Body] of parts.entries()) {
      const p = await s3.send(new UploadPartCommand({ Bucket, Key: 'mp', UploadId, PartNumber: i + 1, Body, ChecksumAlgorithm: 'CRC32' }));
      done.push({ PartNumber: i + 1, ETag: p.ETag, ChecksumCRC32: p.ChecksumCRC32 });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'mp', UploadId, MultipartUpload: { Parts: done } }));
    const first = await s3.send(new GetObjectAttributesCommand({ Bucket, Key: 'mp', ObjectAttributes: ['ObjectParts', 'ObjectSize'], MaxParts: 2 }));
    expect(first.ObjectSize).toBe(2049);
    expect(first.ObjectParts).toMatchObject({ TotalPartsCount: 3, MaxParts: 2, IsTruncated: true, NextPartNumberMarker: '2' });
    expect(first.ObjectParts?.Parts).toEqual(done.slice(0, 2).map((p, i) => ({ PartNumber: i + 1, Size: 1024, ChecksumCRC32: p.ChecksumCRC32 })));
    const rest = await s3.send(new GetObjectAttributesCommand({ Bucket, Key: 'mp', ObjectAttributes: ['ObjectParts'], PartNumberMarker: '2' }));
    expect(rest.ObjectParts).toMatchObject({ IsTruncated: false, Parts: [{ PartNumber: 3, Size: 1, ChecksumCRC32: done[2]!.ChecksumCRC32 }] });
  });

  it('refusals: no attribute, an unknown one, a missing key, an SSE-C object without its key', async () => {
    expect(await failure(s3.send(new GetObjectAttributesCommand({ Bucket, Key: 'plain', ObjectAttributes: [] })))).toEqual({
      name: 'InvalidRequest',
      status: 400,
    });
    expect(await failure(s3.send(new GetObjectAttributesCommand({ Bucket, Key: 'plain', ObjectAttributes: ['Colour' as never] })))).toEqual({
      name: 'InvalidArgument',
      status: 400,
    });
    expect(await failure(s3.send(new GetObjectAttributesCommand({ Bucket, Key: 'none', ObjectAttributes: ['ETag'] })))).toEqual({
      name: 'NoSuchKey',
      status: 404,
    });
    const key = Buffer.alloc(32, 7);
    await s3.send(new PutObjectCommand({ Bucket, Key: 'ssec', Body: 'x', SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64') }));
    expect(await failure(s3.send(new GetObjectAttributesCommand({ Bucket, Key: 'ssec', ObjectAttributes: ['ETag'] })))).toEqual({
      name: 'InvalidRequest',
      status: 400,
    });
  });
});
