// The embedded store driven directly by @aws-sdk/client-s3 with its default settings: buckets, objects, metadata, tags, ACLs, copies (multipart and checksums: store-multipart.test.ts).
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChecksum, type ChecksumAlgorithm } from '../../src/s3/checksums.js';
import { raw, type RawOptions } from '../helpers/store-raw.js';
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
const send = (opts: RawOptions) => raw(store.endpoint, store, opts);

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

  it('re-creating a bucket one owns in us-east-1 answers 200 and resets its ACL, keeping its objects (S3 legacy behaviour)', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'recreated', ACL: 'public-read' }));
    await s3.send(new PutObjectCommand({ Bucket: 'recreated', Key: 'kept', Body: 'x' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'recreated' }));
    expect((await s3.send(new GetBucketAclCommand({ Bucket: 'recreated' }))).Grants?.map((g) => g.Permission)).toEqual(['FULL_CONTROL']);
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'recreated', Key: 'kept' }))).ContentLength).toBe(1);
  });

  it('keeps a LocationConstraint', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'located', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    expect((await s3.send(new GetBucketLocationCommand({ Bucket: 'located' }))).LocationConstraint).toBe('eu-west-1');
  });

  it.each<[string, () => Promise<unknown>, string, number]>([
    [
      'creating an existing bucket in another region than us-east-1',
      () => s3.send(new CreateBucketCommand({ Bucket: 'located', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
      'BucketAlreadyOwnedByYou',
      409,
    ],
    ['an invalid bucket name', () => s3.send(new CreateBucketCommand({ Bucket: 'no_underscores' })), 'InvalidBucketName', 400],
    [
      'deleting a bucket with objects',
      async () => {
        await s3.send(new CreateBucketCommand({ Bucket: 'full' }));
        await s3.send(new PutObjectCommand({ Bucket: 'full', Key: 'k', Body: 'x' }));
        return s3.send(new DeleteBucketCommand({ Bucket: 'full' }));
      },
      'BucketNotEmpty',
      409,
    ],
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
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'bkt',
        Key: 'docs/a.bin',
        Body: body,
        ContentType: 'application/x-test',
        ContentEncoding: 'gzip',
        ContentDisposition: 'attachment; filename="a.bin"',
        ContentLanguage: 'en',
        CacheControl: 'max-age=60',
        Expires: new Date('2094-12-01T16:00:00Z'),
        Metadata: { color: 'blue', 'two-words': 'a b' },
        Tagging: 'team=storage&tier=hot',
      }),
    );
    expect(put.ETag).toBe(`"${md5(body)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'docs/a.bin' }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
    expect(got).toMatchObject({
      ContentType: 'application/x-test',
      ContentEncoding: 'gzip',
      ContentDisposition: 'attachment; filename="a.bin"',
      ContentLanguage: 'en',
      CacheControl: 'max-age=60',
      Metadata: { color: 'blue', 'two-words': 'a b' },
      TagCount: 2,
      ContentLength: body.length,
      ETag: put.ETag,
      AcceptRanges: 'bytes',
    });
    expect(got.ExpiresString).toBe('Wed, 01 Dec 2094 16:00:00 GMT');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'docs/a.bin' }));
    expect(head).toMatchObject({ ContentLength: body.length, ContentType: 'application/x-test', Metadata: { color: 'blue' } });
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'docs/a.bin' }))).TagSet).toEqual([
      { Key: 'team', Value: 'storage' },
      { Key: 'tier', Value: 'hot' },
    ]);
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
    const got = await s3.send(
      new GetObjectCommand({
        Bucket: 'bkt',
        Key: 'override',
        ResponseContentType: 'application/json',
        ResponseContentDisposition: 'inline',
        ResponseCacheControl: 'no-store',
        ResponseContentLanguage: 'fr',
        ResponseContentEncoding: 'identity',
        ResponseExpires: new Date('2030-01-01T00:00:00Z'),
      }),
    );
    expect(got).toMatchObject({
      ContentType: 'application/json',
      ContentDisposition: 'inline',
      CacheControl: 'no-store',
      ContentLanguage: 'fr',
      ContentEncoding: 'identity',
    });
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
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: 'bkt',
        Key: 'tagged',
        Tagging: {
          TagSet: [
            { Key: 'b', Value: '2' },
            { Key: 'c', Value: '' },
          ],
        },
      }),
    );
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged' }))).TagSet).toEqual([
      { Key: 'b', Value: '2' },
      { Key: 'c', Value: '' },
    ]);
    expect((await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'tagged' }))).TagCount).toBe(2);
    // HEAD answers it too, as S3 does (the SDK's HeadObject model leaves it out, so read the header).
    expect((await send({ method: 'HEAD', path: '/bkt/tagged' })).headers['x-amz-tagging-count']).toBe('2');
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged' }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged' }))).TagSet).toEqual([]);
    await s3.send(new PutObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged', Tagging: { TagSet: [{ Key: 'old', Value: 'x' }] } }));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'tagged', Body: 'v2', Tagging: 'new=y' }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'tagged' }))).TagSet).toEqual([{ Key: 'new', Value: 'y' }]);
    expect(
      await failure(
        s3.send(
          new PutObjectTaggingCommand({
            Bucket: 'bkt',
            Key: 'tagged',
            Tagging: { TagSet: Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) },
          }),
        ),
      ),
    ).toEqual({ name: 'InvalidTag', status: 400 });
    expect(await failure(s3.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'no-such' })))).toEqual({ name: 'NoSuchKey', status: 404 });
  });

  it('ACLs: the owner with FULL_CONTROL by default; canned ACLs, grant headers and AccessControlPolicy bodies are kept per bucket and per object version', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'acl', Body: 'x' }));
    for (const acl of [await s3.send(new GetObjectAclCommand({ Bucket: 'bkt', Key: 'acl' })), await s3.send(new GetBucketAclCommand({ Bucket: 'bkt' }))]) {
      expect(acl.Owner?.ID).toMatch(/^[0-9a-f]{64}$/);
      expect(acl.Grants).toEqual([{ Grantee: { Type: 'CanonicalUser', ID: acl.Owner!.ID, DisplayName: 's3bridge' }, Permission: 'FULL_CONTROL' }]);
    }
    const owner = (await s3.send(new GetObjectAclCommand({ Bucket: 'bkt', Key: 'acl' }))).Owner!;
    const me = { Grantee: { Type: 'CanonicalUser', ID: owner.ID, DisplayName: 's3bridge' }, Permission: 'FULL_CONTROL' };
    const allUsers = (Permission: string) => ({ Grantee: { Type: 'Group', URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission });
    const objectGrants = async (Key = 'acl') => (await s3.send(new GetObjectAclCommand({ Bucket: 'bkt', Key }))).Grants;

    await s3.send(new PutObjectAclCommand({ Bucket: 'bkt', Key: 'acl', ACL: 'public-read' }));
    expect(await objectGrants()).toEqual([me, allUsers('READ')]);
    // s3cmd's way: write back what GetObjectAcl gave.
    await s3.send(
      new PutObjectAclCommand({
        Bucket: 'bkt',
        Key: 'acl',
        AccessControlPolicy: { Owner: owner, Grants: [{ Grantee: { Type: 'CanonicalUser', ID: owner.ID }, Permission: 'FULL_CONTROL' }] },
      }),
    );
    expect(await objectGrants()).toEqual([me]);
    await s3.send(new PutBucketAclCommand({ Bucket: 'bkt', GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"' }));
    expect((await s3.send(new GetBucketAclCommand({ Bucket: 'bkt' }))).Grants).toEqual([allUsers('READ')]);
    await s3.send(new PutBucketAclCommand({ Bucket: 'bkt', ACL: 'private' }));
    expect((await s3.send(new GetBucketAclCommand({ Bucket: 'bkt' }))).Grants).toEqual([me]);

    // An ACL given at upload is the object's; a new version starts from its own request, not the old version's ACL.
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'public', Body: 'x', ACL: 'public-read-write' }));
    expect(await objectGrants('public')).toEqual([me, allUsers('READ'), allUsers('WRITE')]);
    await s3.send(new PutObjectAclCommand({ Bucket: 'bkt', Key: 'public', ACL: 'public-read' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'public', Body: 'y' }));
    expect(await objectGrants('public')).toEqual([me]);
    await s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'copied', CopySource: 'bkt/public', ACL: 'public-read' }));
    expect(await objectGrants('copied')).toEqual([me, allUsers('READ')]);

    expect(await failure(s3.send(new PutObjectAclCommand({ Bucket: 'bkt', Key: 'acl', ACL: 'world' as never })))).toEqual({
      name: 'InvalidArgument',
      status: 400,
    });
    expect(await failure(s3.send(new PutObjectAclCommand({ Bucket: 'bkt', Key: 'acl', GrantRead: 'id="someone-else"' })))).toEqual({
      name: 'InvalidArgument',
      status: 400,
    });
    expect(await failure(s3.send(new GetObjectAclCommand({ Bucket: 'bkt', Key: 'no-such' })))).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(await failure(s3.send(new PutObjectAclCommand({ Bucket: 'bkt', Key: 'no-such', ACL: 'private' })))).toEqual({ name: 'NoSuchKey', status: 404 });
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
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'bkt',
        Key: 'copy-replace',
        CopySource: 'bkt/src',
        MetadataDirective: 'REPLACE',
        ContentType: 'application/new',
        Metadata: { n: '2' },
        TaggingDirective: 'REPLACE',
        Tagging: 'x=9&y=8',
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'copy-replace' }));
    expect(got).toMatchObject({ ContentType: 'application/new', Metadata: { n: '2' }, TagCount: 2 });
  });

  it('onto itself only with REPLACE; across buckets; errors', async () => {
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'src', CopySource: 'bkt/src' })))).toEqual({
      name: 'InvalidRequest',
      status: 400,
    });
    await s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'src', CopySource: 'bkt/src', MetadataDirective: 'REPLACE', Metadata: { m: 'changed' } }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'src' }))).Metadata).toEqual({ m: 'changed' });
    await s3.send(new CreateBucketCommand({ Bucket: 'other' }));
    await s3.send(new CopyObjectCommand({ Bucket: 'other', Key: 'from-bkt', CopySource: 'bkt/src' }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'other', Key: 'from-bkt' }))).Body!.transformToString()).toBe('source bytes');
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'x', CopySource: 'bkt/no-such' })))).toEqual({ name: 'NoSuchKey', status: 404 });
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'x', CopySource: 'no-bucket/src' })))).toEqual({
      name: 'NoSuchBucket',
      status: 404,
    });
    expect(await failure(s3.send(new CopyObjectCommand({ Bucket: 'bkt', Key: 'x', CopySource: 'bkt/src', MetadataDirective: 'MOVE' as 'COPY' })))).toEqual({
      name: 'InvalidArgument',
      status: 400,
    });
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
