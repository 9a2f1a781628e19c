// The embedded store driven directly by @aws-sdk/client-s3 with its default settings: buckets, objects, metadata, tags, ACLs, copies, multipart, checksums.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteBucketCommand, DeleteObjectCommand, DeleteObjectTaggingCommand, GetBucketAclCommand, GetBucketLocationCommand, GetObjectAclCommand,
  GetObjectCommand, GetObjectTaggingCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand, ListMultipartUploadsCommand,
  ListObjectsV2Command, ListPartsCommand, PutBucketAclCommand, PutObjectAclCommand, PutObjectCommand, PutObjectTaggingCommand,
  UploadPartCommand, UploadPartCopyCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChecksum, type ChecksumAlgorithm } from '../../src/s3/checksums.js';
import { startTestStore, type TestStore } from '../helpers/store.js';

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
async function failure(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the request to fail');
}

describe('buckets', () => {
  it('CreateBucket, HeadBucket, ListBuckets, GetBucketLocation, DeleteBucket', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'life-cycle' }));
    const head = await s3.send(new HeadBucketCommand({ Bucket: 'life-cycle' }));
    expect(head.BucketRegion).toBe('us-east-1');
    const list = await s3.send(new ListBucketsCommand({}));
    expect(list.Buckets?.map((b) => b.Name)).toEqual(expect.arrayContaining(['bkt', 'life-cycle']));
    expect(list.Owner?.DisplayName).toBe('s3bridge');
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'life-cycle' }))).LocationConstraint).toBeUndefined();
    await s3.send(new DeleteBucketCommand({ Bucket: 'life-cycle' }));
    expect(await failure(s3.send(new HeadBucketCommand({ Bucket: 'life-cycle' })))).toEqual({ name: 'NotFound', status: 404 });
  });

  it('keeps a LocationConstraint', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'located', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'located' }))).LocationConstraint).toBe('eu-west-1');
  });

  it.each<[string, () => Promise<unknown>, string, number]>([
    ['creating an existing bucket', () => s3.send(new CreateBucketCommand({ Bucket: 'bkt' })), 'BucketAlreadyOwnedByYou', 409],
    ['an invalid bucket name', () => s3.send(new CreateBucketCommand({ Bucket: 'no_underscores' })), 'InvalidBucketName', 400],
    ['deleting a bucket with objects', async () => {
      await s3.send(new CreateBucketCommand({ Bucket: 'full' }));
      await s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'k', Body: 'x' }));
      return s3.send(new DeleteBucketCommand({ Bucket: 'full' }));
    }, 'BucketNotEmpty', 409],
    ['deleting a missing bucket', () => s3.send(new DeleteBucketCommand({ Bucket: 'never-made' })), 'NoSuchBucket', 404],
    ['an object in a missing bucket', () => s3.send(new PutObjectCommand({ Bucket: 'never-made', Key: 'k', Body: 'x' })), 'NoSuchBucket', 404],
  ])('%s → %s', async (_what, call, name, status) => {
    expect(await failure(call())).toEqual({ name, status });
  });

  it('a deleted bucket can be made again, empty', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'again' }));
    await s3.send(new PutObjectCommand({ Bucket: 'again', Key: 'k', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'again', Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'again' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'again' }));
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'again' }))).KeyCount).toBe(0);
  });
});

describe('objects', () => {
  it('PutObject keeps the body, content headers, user metadata and tags', async () => {
    const body = randomBytes(70_000);
    const put = await s3.send(new PutObjectCommand({
      Bucket: 'bkt', Key: 'docs/a.bin', Body: body, ContentType: 'application/x-test', ContentEncoding: 'gzip',
      ContentDisposition: 'attachment; filename="a.bin"', ContentLanguage: 'en', CacheControl: 'max-age=60',
      Expires: new Date('2094-12-01T16:00:00Z'), Metadata: { color: 'blue', 'two-words': 'a b' }, Tagging: 'team=storage&tier=hot',
    }));
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'docs/a.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got).toMatchObject({
      ContentType: 'application/x-test', ContentEncoding: 'gzip', ContentDisposition: 'attachment; filename="a.bin"', ContentLanguage: 'en',
      CacheControl: 'max-age=60', Metadata: { color: 'blue', 'two-words': 'a b' }, TagCount: 2, ContentLength: body.length, ETag: put.ETag,
      AcceptRanges: 'bytes',
    });
    expect(got.ExpiresString).toBe('Wed, 01 Dec 2094 16:00:00 GMT');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'docs/a.bin' }));
    expect(head).toMatchObject({ ContentLength: body.length, ContentType: 'application/x-test', Metadata: { color: 'blue' } });
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'docs/a.bin' }))).TagSet).toEqual([{ Key: 'team', Value: 'storage' }, { Key: 'tier', Value: 'hot' }]);
  });

  it('an empty object, and a stream body (aws-chunked with a CRC32 trailer)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'empty', Body: '' }));
    const empty = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'empty' }));
    expect(empty.ContentLength).toBe(0);
    const body = randomBytes(300_000);
    const pieces = [body.subarray(0, 100_000), body.subarray(100_000)];
    const put = await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'streamed', Body: Readable.from(pieces), ContentLength: body.length }));
    expect(put.ETag).toBe(`"${md5(body)}"`);
    expect(put.ChecksumCRC32).toBe(sum('CRC32', body));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'streamed', ChecksumMode: 'ENABLED' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got.ChecksumCRC32).toBe(sum('CRC32', body));
  });

  it('response-content-* overrides the stored headers on GET', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'override', Body: 'x', ContentType: 'text/plain' }));
    const got = await s3.send(new GetObjectCommand({
      Bucket: 'bkt', Key: 'override', ResponseContentType: 'application/json', ResponseContentDisposition: 'inline',
      ResponseCacheControl: 'no-store', ResponseContentLanguage: 'fr', ResponseContentEncoding: 'identity', ResponseExpires: new Date('2030-01-01T00:00:00Z'),
    }));
    expect(got).toMatchObject({ ContentType: 'application/json', ContentDisposition: 'inline', CacheControl: 'no-store', ContentLanguage: 'fr', ContentEncoding: 'identity' });
    expect(got.ExpiresString).toBe('Tue, 01 Jan 2030 00:00:00 GMT');
  });

  it('DeleteObject: gone afterwards, and 204 for a key that never existed', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'doomed', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'doomed' }));
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'doomed' })))).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'doomed' })))).toEqual({ name: 'NotFound', status: 404 });
    const out = await s3.send(new DeleteObjectCommand({ Bucket: 'bkt', Key: 'never-there' }));
    expect(out.$metadata.httpStatusCode).toBe(204);
  });

  it('PutObjectTagging replaces the tag set, DeleteObjectTagging empties it, a new version brings its own', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'tagged', Body: 'v1', Tagging: 'a=1' }));
    await s3.send(new PutObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged', Tagging: { TagSet: [{ Key: 'b', Value: '2' }, { Key: 'c', Value: '' }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged' }))).TagSet).toEqual([{ Key: 'b', Value: '2' }, { Key: 'c', Value: '' }]);
    expect((await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'tagged' }))).TagCount).toBe(2);
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged' }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged' }))).TagSet).toEqual([]);
    await s3.send(new PutObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged', Tagging: { TagSet: [{ Key: 'old', Value: 'x' }] } }));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'tagged', Body: 'v2', Tagging: 'new=y' }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged' }))).TagSet).toEqual([{ Key: 'new', Value: 'y' }]);
    expect(await failure(s3.send(new PutObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged', Tagging: { TagSet: Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) } }))))
      .toEqual({ name: 'InvalidTag', status: 400 });
    expect(await failure(s3.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'no-such' })))).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('ACLs: the owner with FULL_CONTROL; a private ACL is accepted, a public one is not implemented', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'acl', Body: 'x' }));
    for (const acl of [await s3.send(new GetObjectAclCommand({ Bucket: 'bkt', Key: 'acl' })), await s3.send(new GetBucketAclCommand({ Bucket: 'bkt' }))]) {
      expect(acl.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
      expect(acl.Grants).toEqual([{ Grantee: { Type: 'CanonicalUser', ID: acl.Owner!.ID, DisplayName: 's3bridge' }, Permission: 'FULL_CONTROL' }]);
    }
    await s3.send(new PutObjectAclCommand({ Bucket: 'bkt', Key: 'acl', ACL: 'private' }));
    await s3.send(new PutBucketAclCommand({ Bucket: 'bkt', ACL: 'private' }));
    const owner = (await s3.send(new GetObjectAclCommand({ Bucket: 'bkt', Key: 'acl' }))).Owner!;
    await s3.send(new PutObjectAclCommand({ Bucket: 'bkt', Key: 'acl', AccessControlPolicy: { Owner: owner, Grants: [{ Grantee: { Type: 'CanonicalUser', ID: owner.ID }, Permission: 'FULL_CONTROL' }] } }));
    expect(await failure(s3.send(new PutObjectAclCommand({ Bucket: 'bkt', Key: 'acl', ACL: 'public-read' })))).toEqual({ name: 'NotImplemented', status: 501 });
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'public', Body: 'x', ACL: 'public-read' })))).toEqual({ name: 'NotImplemented', status: 501 });
    expect(await failure(s3.send(new GetObjectAclCommand({ Bucket: 'bkt', Key: 'no-such' })))).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('a key of 1024 bytes is fine, 1025 is KeyTooLongError', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k'.repeat(1024), Body: 'x' }));
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k'.repeat(1025), Body: 'x' })))).toEqual({ name: 'KeyTooLongError', status: 400 });
  });
});

describe('CopyObject', () => {
  beforeAll(async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'src', Body: 'source bytes', ContentType: 'text/plain', Metadata: { m: '1' }, Tagging: 't=1' }));
  });

  it('COPY directives (default): bytes, metadata and tags come along', async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'copy-default', CopySource: 'bkt/src' }));
    expect(r.CopyObjectResult?.ETag).toBe(`"${md5(Buffer.from('source bytes'))}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'copy-default' }));
    expect(await got.Body!.transformToString()).toBe('source bytes');
    expect(got).toMatchObject({ ContentType: 'text/plain', Metadata: { m: '1' }, TagCount: 1 });
  });

  it('REPLACE directives take metadata and tags from the request', async () => {
    await s3.send(new CopyObjectCommand({
      Bucket: 'bkt', Key: 'copy-replace', CopySource: 'bkt/src', MetadataDirective: 'REPLACE', ContentType: 'application/new',
      Metadata: { n: '2' }, TaggingDirective: 'REPLACE', Tagging: 'x=9&y=8',
    }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'copy-replace' }));
    expect(got).toMatchObject({ ContentType: 'application/new', Metadata: { n: '2' }, TagCount: 2 });
  });

  it('onto itself only with REPLACE; across buckets; errors', async () => {
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'src', CopySource: 'bkt/src' })))).toEqual({ name: 'InvalidRequest', status: 400 });
    await s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'src', CopySource: 'bkt/src', MetadataDirective: 'REPLACE', Metadata: { m: 'changed' } }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'src' }))).Metadata).toEqual({ m: 'changed' });
    await s3.send(new CreateBucketCommand({ Bucket: 'other' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'other', Key: 'from-bkt', CopySource: 'bkt/src' }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'other', Key: 'from-bkt' }))).Body!.transformToString()).toBe('source bytes');
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'x', CopySource: 'bkt/no-such' })))).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'x', CopySource: 'no-bucket/src' })))).toEqual({ name: 'NoSuchBucket', status: 404 });
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'x', CopySource: 'bkt/src', MetadataDirective: 'MOVE' as 'COPY' })))).toEqual({ name: 'InvalidArgument', status: 400 });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['if-match equal', { CopySourceIfMatch: 'ETAG' }, 'copied'],
    ['if-match other', { CopySourceIfMatch: '"0000"' }, 'PreconditionFailed'],
    ['if-none-match equal', { CopySourceIfNoneMatch: 'ETAG' }, 'PreconditionFailed'],
    ['if-none-match other', { CopySourceIfNoneMatch: '"0000"' }, 'copied'],
    ['if-modified-since long ago', { CopySourceIfModifiedSince: new Date('2000-01-01T00:00:00Z') }, 'copied'],
    ['if-modified-since later', { CopySourceIfModifiedSince: new Date(Date.now() + 60_000) }, 'copied'],
    ['if-unmodified-since long ago', { CopySourceIfUnmodifiedSince: new Date('2000-01-01T00:00:00Z') }, 'PreconditionFailed'],
    ['if-match true + if-unmodified-since false', { CopySourceIfMatch: 'ETAG', CopySourceIfUnmodifiedSince: new Date('2000-01-01T00:00:00Z') }, 'copied'],
  ])('x-amz-copy-source-%s → %s', async (_what, conditions, expected) => {
    const etag = (await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'src' }))).ETag!;
    const params = Object.fromEntries(Object.entries(conditions).map(([k, v]) => [k, v === 'ETAG' ? etag : v]));
    const call = s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'conditional', CopySource: 'bkt/src', ...params }));
    if (expected === 'copied') expect((await call).CopyObjectResult?.ETag).toBe(etag);
    else expect(await failure(call)).toEqual({ name: expected, status: 412 });
  });
});

describe('multipart uploads', () => {
  it('Create, UploadPart, UploadPartCopy with a range, ListParts, ListMultipartUploads, Complete: "md5-of-md5s-N"', async () => {
    const source = randomBytes(5000);
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'mp-source', Body: source }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mp/target', ContentType: 'video/x', Metadata: { from: 'parts' } }));
    const one = randomBytes(2000);
    const p1 = await s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'mp/target', UploadId, PartNumber: 1, Body: one }));
    const p2 = await s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'mp/target', UploadId, PartNumber: 2, CopySource: 'bkt/mp-source', CopySourceRange: 'bytes=1000-2999' }));
    const p3 = await s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'mp/target', UploadId, PartNumber: 3, CopySource: 'bkt/mp-source' }));
    expect(p1.ETag).toBe(`"${md5(one)}"`);
    expect(p2.CopyPartResult?.ETag).toBe(`"${md5(source.subarray(1000, 3000))}"`);
    const parts = await s3.send(new ListPartsCommand({ Bucket: 'bkt', Key: 'mp/target', UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([[1, 2000, p1.ETag], [2, 2000, p2.CopyPartResult!.ETag], [3, 5000, p3.CopyPartResult!.ETag]]);
    const page = await s3.send(new ListPartsCommand({ Bucket: 'bkt', Key: 'mp/target', UploadId, MaxParts: 2 }));
    expect([page.IsTruncated, page.NextPartNumberMarker, page.Parts?.length]).toEqual([true, '2', 2]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'bkt', Prefix: 'mp/' }));
    expect(uploads.Uploads?.map((u) => [u.Key, u.UploadId])).toEqual([['mp/target', UploadId]]);
    const done = await s3.send(new CompleteMultipartUploadCommand({
      Bucket: 'bkt', Key: 'mp/target', UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.CopyPartResult!.ETag }, { PartNumber: 3, ETag: p3.CopyPartResult!.ETag }] },
    }));
    const etags = [md5(one), md5(source.subarray(1000, 3000)), md5(source)];
    const expected = `"${createHash('md5').update(Buffer.concat(etags.map((e) => Buffer.from(e, 'hex')))).digest('hex')}-3"`;
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
    for (const [i, Body] of parts.entries()) etags.push((await s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: key, UploadId, PartNumber: i + 1, Body }))).ETag!);
    return { UploadId: UploadId!, etags };
  }

  it.each<[string, (etags: string[]) => Array<{ PartNumber: number; ETag: string }>, Buffer[], string]>([
    ['a small part that is not the last', (e) => [{ PartNumber: 1, ETag: e[0]! }, { PartNumber: 2, ETag: e[1]! }], [randomBytes(1000), randomBytes(2000)], 'EntityTooSmall'],
    ['a part never uploaded', (e) => [{ PartNumber: 1, ETag: e[0]! }, { PartNumber: 3, ETag: e[0]! }], [randomBytes(2000), randomBytes(10)], 'InvalidPart'],
    ['a wrong ETag', () => [{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }], [randomBytes(2000)], 'InvalidPart'],
    ['parts out of order', (e) => [{ PartNumber: 2, ETag: e[1]! }, { PartNumber: 1, ETag: e[0]! }], [randomBytes(2000), randomBytes(2000)], 'InvalidPartOrder'],
  ])('Complete with %s → %s, and the upload survives it', async (_what, list, parts, code) => {
    const key = `bad-${code}`;
    const { UploadId, etags } = await uploadWith(parts, key);
    expect(await failure(s3.send(new CompleteMultipartUploadCommand({ Bucket: 'bkt', Key: key, UploadId, MultipartUpload: { Parts: list(etags) } }))))
      .toEqual({ name: code, status: 400 });
    expect((await s3.send(new ListPartsCommand({ Bucket: 'bkt', Key: key, UploadId }))).Parts).toHaveLength(parts.length);
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: key })))).toEqual({ name: 'NotFound', status: 404 });
  });

  it('AbortMultipartUpload removes the upload; its id is then NoSuchUpload everywhere', async () => {
    const { UploadId, etags } = await uploadWith([randomBytes(2000)], 'aborted');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'bkt', Key: 'aborted', UploadId }));
    for (const call of [
      () => s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'aborted', UploadId, PartNumber: 2, Body: 'x' })),
      () => s3.send(new ListPartsCommand({ Bucket: 'bkt', Key: 'aborted', UploadId })),
      () => s3.send(new AbortMultipartUploadCommand({ Bucket: 'bkt', Key: 'aborted', UploadId })),
      () => s3.send(new CompleteMultipartUploadCommand({ Bucket: 'bkt', Key: 'aborted', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etags[0] }] } })),
    ]) expect(await failure(call())).toEqual({ name: 'NoSuchUpload', status: 404 });
  });

  it.each(['not-an-upload-id', '../../../../etc/passwd', 'A'.repeat(43)])('an upload id it did not issue (%j) is NoSuchUpload', async (UploadId) => {
    expect(await failure(s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'k', UploadId, PartNumber: 1, Body: 'x' })))).toEqual({ name: 'NoSuchUpload', status: 404 });
  });

  it('an upload id belongs to its key', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mine' }));
    expect(await failure(s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'not-mine', UploadId, PartNumber: 1, Body: 'x' })))).toEqual({ name: 'NoSuchUpload', status: 404 });
  });

  it('UploadPartCopy: a range past the end is InvalidArgument, a bad part number too', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'range-check' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'ten', Body: '0123456789' }));
    expect(await failure(s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'range-check', UploadId, PartNumber: 1, CopySource: 'bkt/ten', CopySourceRange: 'bytes=5-10' }))))
      .toEqual({ name: 'InvalidArgument', status: 400 });
    expect(await failure(s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'range-check', UploadId, PartNumber: 10001, CopySource: 'bkt/ten' }))))
      .toEqual({ name: 'InvalidArgument', status: 400 });
    expect(await failure(s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key: 'range-check', UploadId, PartNumber: 1, CopySource: 'bkt/ten', CopySourceIfMatch: '"nope"' }))))
      .toEqual({ name: 'PreconditionFailed', status: 412 });
  });
});

describe('checksums', () => {
  it.each<ChecksumAlgorithm>(['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'])('PutObject with %s: verified, stored, returned with ChecksumMode', async (alg) => {
    const body = randomBytes(123_457);
    const field = `Checksum${alg}` as 'ChecksumCRC32';
    const put = await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: `sum-${alg}`, Body: body, ChecksumAlgorithm: alg }));
    expect(put[field]).toBe(sum(alg, body));
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: `sum-${alg}`, ChecksumMode: 'ENABLED' }));
    expect(head[field]).toBe(sum(alg, body));
    expect(head.ChecksumType).toBe('FULL_OBJECT');
    const plain = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: `sum-${alg}` }));
    expect(plain[field]).toBeUndefined();
  });

  it('a wrong checksum or Content-MD5 is BadDigest and stores nothing', async () => {
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'bad-sum', Body: 'abc', ChecksumCRC32: sum('CRC32', Buffer.from('abd')) }))))
      .toEqual({ name: 'BadDigest', status: 400 });
    expect(await failure(s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'bad-sum', Body: 'abc', ContentMD5: createHash('md5').update('abd').digest('base64') }))))
      .toEqual({ name: 'BadDigest', status: 400 });
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'bad-sum' })))).toEqual({ name: 'NotFound', status: 404 });
  });

  it.each<[ChecksumAlgorithm, 'COMPOSITE' | 'FULL_OBJECT']>([['SHA256', 'COMPOSITE'], ['CRC32C', 'COMPOSITE'], ['CRC32', 'FULL_OBJECT'], ['CRC64NVME', 'FULL_OBJECT']])(
    'multipart with %s (%s): part checksums in UploadPart, UploadPartCopy and ListParts; the object checksum',
    async (alg, type) => {
      const field = `Checksum${alg}` as 'ChecksumCRC32';
      const Key = `mp-sum-${alg}`;
      const { UploadId, ChecksumAlgorithm, ChecksumType } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key, ChecksumAlgorithm: alg, ChecksumType: type }));
      expect([ChecksumAlgorithm, ChecksumType]).toEqual([alg, type]);
      const one = randomBytes(3000);
      const p1 = await s3.send(new UploadPartCommand({ Bucket: 'bkt', Key, UploadId, PartNumber: 1, Body: one, ChecksumAlgorithm: alg }));
      expect(p1[field]).toBe(sum(alg, one));
      await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'sum-source', Body: '0123456789' }));
      const p2 = await s3.send(new UploadPartCopyCommand({ Bucket: 'bkt', Key, UploadId, PartNumber: 2, CopySource: 'bkt/sum-source', CopySourceRange: 'bytes=2-5' }));
      expect(p2.CopyPartResult?.[field]).toBe(sum(alg, Buffer.from('2345')));
      const listed = await s3.send(new ListPartsCommand({ Bucket: 'bkt', Key, UploadId }));
      expect(listed.Parts?.map((p) => p[field])).toEqual([sum(alg, one), sum(alg, Buffer.from('2345'))]);
      expect(listed.ChecksumAlgorithm).toBe(alg);
      const done = await s3.send(new CompleteMultipartUploadCommand({
        Bucket: 'bkt', Key, UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag, [field]: p1[field] }, { PartNumber: 2, ETag: p2.CopyPartResult!.ETag, [field]: p2.CopyPartResult![field] }] },
      }));
      const whole = Buffer.concat([one, Buffer.from('2345')]);
      const expected = type === 'FULL_OBJECT' ? sum(alg, whole)
        : `${sum(alg, Buffer.from(sum(alg, one), 'base64'), Buffer.from(sum(alg, Buffer.from('2345')), 'base64'))}-2`;
      expect(done[field]).toBe(expected);
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key, ChecksumMode: 'ENABLED' }));
      expect([head[field], head.ChecksumType]).toEqual([expected, type]);
    },
  );

  it('a part with another algorithm than the upload is refused', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mixed', ChecksumAlgorithm: 'SHA256' }));
    expect(await failure(s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'mixed', UploadId, PartNumber: 1, Body: 'x', ChecksumAlgorithm: 'CRC32' }))))
      .toEqual({ name: 'InvalidRequest', status: 400 });
  });
});
