// The embedded store's versioning, with the JS SDK: version ids, delete markers, reading, copying, tagging and deleting by version, ListObjectVersions paging, Suspended's "null" version, and all of it over a restart.
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { link } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Layout } from '../../src/store/disk/layout.js';
import { raw, tag } from '../helpers/store-raw.js';
import { failure, startTestStore, type TestStore } from '../helpers/store.js';

let store: TestStore;
let s3: S3Client;

const body = async (Bucket: string, Key: string, VersionId?: string) =>
  (await s3.send(new GetObjectCommand({ Bucket, Key, ...(VersionId ? { VersionId } : {}) }))).Body!.transformToString();

/** Every version and marker of a bucket as [key, versionId, isLatest, marker?], walked one per page. */
async function allVersions(Bucket: string, MaxKeys = 1): Promise<Array<[string, string, boolean, boolean]>> {
  const out: Array<[string, string, boolean, boolean]> = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (let page = 0; page < 100; page++) {
    const r = await s3.send(new ListObjectVersionsCommand({ Bucket, MaxKeys, KeyMarker, VersionIdMarker }));
    const items = [...(r.Versions ?? []).map((v) => ({ ...v, marker: false })), ...(r.DeleteMarkers ?? []).map((m) => ({ ...m, marker: true }))];
    // The SDK splits the two kinds; the document interleaves them by key, newest first.
    items.sort((a, b) => (a.Key! < b.Key! ? -1 : a.Key! > b.Key! ? 1 : b.LastModified!.getTime() - a.LastModified!.getTime()));
    for (const v of items) out.push([v.Key!, v.VersionId!, v.IsLatest!, v.marker]);
    if (!r.IsTruncated) return out;
    KeyMarker = r.NextKeyMarker;
    VersionIdMarker = r.NextVersionIdMarker;
  }
  throw new Error('listing never ended');
}

beforeAll(async () => {
  store = await startTestStore();
  s3 = store.client();
});
afterAll(() => store?.stop());

describe('versioning', () => {
  it('a bucket starts unversioned; Enabled and Suspended are kept', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'states' }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'states' }))).Status).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'states', VersioningConfiguration: { Status: 'Enabled' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'states' }))).Status).toBe('Enabled');
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'states', VersioningConfiguration: { Status: 'Suspended' } }));
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: 'states' }))).Status).toBe('Suspended');
    const bad = await raw(store.endpoint, store, {
      method: 'PUT',
      path: '/states?versioning',
      body: '<VersioningConfiguration><Status>On</Status></VersioningConfiguration>',
    });
    expect([bad.status, tag(bad.text, 'Code')]).toEqual([400, 'MalformedXML']);
  });

  it('keeps every version; a delete leaves a marker; deleting by version id promotes the newest one left', async () => {
    const Bucket = 'vers';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const before = await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'zero' }));
    expect(before.VersionId).toBeUndefined();
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'one' }))).VersionId!;
    const v2 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'two' }))).VersionId!;
    expect(v1).toMatch(/^[0-9a-f]{24}$/);
    expect(v2).not.toBe(v1);
    expect([await body(Bucket, 'k'), await body(Bucket, 'k', v1), await body(Bucket, 'k', 'null')]).toEqual(['two', 'one', 'zero']);
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'k' }))).VersionId).toBe(v2);
    expect(await allVersions(Bucket)).toEqual([
      ['k', v2, true, false],
      ['k', v1, false, false],
      ['k', 'null', false, false],
    ]);

    const del = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
    expect(del.DeleteMarker).toBe(true);
    const marker = del.VersionId!;
    const gone = await raw(store.endpoint, store, { method: 'GET', path: `/${Bucket}/k` });
    expect([gone.status, tag(gone.text, 'Code'), gone.headers['x-amz-delete-marker'], gone.headers['x-amz-version-id']]).toEqual([
      404,
      'NoSuchKey',
      'true',
      marker,
    ]);
    const byId = await raw(store.endpoint, store, { method: 'GET', path: `/${Bucket}/k?versionId=${marker}` });
    expect([byId.status, tag(byId.text, 'Code')]).toEqual([405, 'MethodNotAllowed']);
    expect((await s3.send(new ListObjectsV2Command({ Bucket }))).KeyCount).toBe(0);
    expect(await body(Bucket, 'k', v1)).toBe('one');
    expect(await failure(s3.send(new DeleteBucketCommand({ Bucket })))).toEqual({ name: 'BucketNotEmpty', status: 409 });

    // Removing the marker brings v2 back; removing v2 (current) brings v1.
    expect((await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: marker }))).DeleteMarker).toBe(true);
    expect(await body(Bucket, 'k')).toBe('two');
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: v2 }));
    expect(await body(Bucket, 'k')).toBe('one');
    expect((await s3.send(new ListObjectsV2Command({ Bucket }))).Contents?.map((c) => [c.Key, c.Size])).toEqual([['k', 3]]);
    // A non-current one goes without touching the current.
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: 'null' }));
    expect(await allVersions(Bucket, 1000)).toEqual([['k', v1, true, false]]);
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: v1 }));
    expect(await allVersions(Bucket)).toEqual([]);
    await s3.send(new DeleteBucketCommand({ Bucket }));
  });

  it('unknown and malformed version ids', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'ids' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'ids', VersioningConfiguration: { Status: 'Enabled' } }));
    await s3.send(new PutObjectCommand({ Bucket: 'ids', Key: 'k', Body: 'x' }));
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'ids', Key: 'k', VersionId: '0'.repeat(24) })))).toEqual({
      name: 'NoSuchVersion',
      status: 404,
    });
    expect(await failure(s3.send(new GetObjectCommand({ Bucket: 'ids', Key: 'k', VersionId: '../../etc' })))).toEqual({ name: 'InvalidArgument', status: 400 });
    expect(await failure(s3.send(new GetObjectTaggingCommand({ Bucket: 'ids', Key: 'k', VersionId: 'null' })))).toEqual({ name: 'NoSuchVersion', status: 404 });
  });

  it('Suspended writes the "null" version, replacing the old "null" one and keeping the others', async () => {
    const Bucket = 'susp';
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'one' }))).VersionId!;
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Suspended' } }));
    expect((await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'n1' }))).VersionId).toBeUndefined();
    expect((await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'n2' }))).VersionId).toBeUndefined();
    // The PUT answer leaves the "null" version unnamed; reads name it.
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'k' }))).VersionId).toBe('null');
    expect(await allVersions(Bucket)).toEqual([
      ['k', 'null', true, false],
      ['k', v1, false, false],
    ]);
    expect(await body(Bucket, 'k')).toBe('n2');
    const del = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }));
    expect([del.DeleteMarker, del.VersionId]).toEqual([true, 'null']);
    expect(await allVersions(Bucket)).toEqual([
      ['k', 'null', true, true],
      ['k', v1, false, false],
    ]);
  });

  it('copies, tags and multipart uploads name their versions', async () => {
    const Bucket = 'vcopy';
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'src', Body: 'first' }))).VersionId!;
    await s3.send(new PutObjectCommand({ Bucket, Key: 'src', Body: 'second' }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket, Key: 'dst', CopySource: `${Bucket}/src?versionId=${v1}` }));
    expect(copy.CopySourceVersionId).toBe(v1);
    expect(copy.VersionId).toMatch(/^[0-9a-f]{24}$/);
    expect(await body(Bucket, 'dst')).toBe('first');

    await s3.send(new PutObjectTaggingCommand({ Bucket, Key: 'src', VersionId: v1, Tagging: { TagSet: [{ Key: 'old', Value: '1' }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'src', VersionId: v1 }))).TagSet).toEqual([{ Key: 'old', Value: '1' }]);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket, Key: 'src' }))).TagSet).toEqual([]);

    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp' }));
    const part = await s3.send(new UploadPartCommand({ Bucket, Key: 'mp', UploadId, PartNumber: 1, Body: 'parts' }));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket, Key: 'mp', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }),
    );
    expect(done.VersionId).toMatch(/^[0-9a-f]{24}$/);
    expect((await s3.send(new HeadObjectCommand({ Bucket, Key: 'mp' }))).VersionId).toBe(done.VersionId);
  });

  it('DeleteObjects by key and by version id answers what it did', async () => {
    const Bucket = 'vmulti';
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const a = (await s3.send(new PutObjectCommand({ Bucket, Key: 'a', Body: 'a' }))).VersionId!;
    await s3.send(new PutObjectCommand({ Bucket, Key: 'b', Body: 'b' }));
    const r = await s3.send(new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'a', VersionId: a }, { Key: 'b' }] } }));
    const byKey = Object.fromEntries((r.Deleted ?? []).map((d) => [d.Key, d]));
    expect(byKey.a).toMatchObject({ Key: 'a', VersionId: a });
    expect(byKey.b).toMatchObject({ Key: 'b', DeleteMarker: true });
    expect(byKey.b!.DeleteMarkerVersionId).toMatch(/^[0-9a-f]{24}$/);
    expect((await allVersions(Bucket)).map(([k, , latest, marker]) => [k, latest, marker])).toEqual([
      ['b', true, true],
      ['b', false, false],
    ]);
  });

  it('ListObjectVersions pages by max-keys across keys and versions, with prefix and delimiter', async () => {
    const Bucket = 'vpages';
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    for (const Key of ['a', 'a', 'b/1', 'b/2', 'c', 'c', 'c']) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
    const whole = await allVersions(Bucket, 1000);
    expect(whole.map(([k]) => k)).toEqual(['a', 'a', 'b/1', 'b/2', 'c', 'c', 'c']);
    for (const size of [1, 2, 3]) expect(await allVersions(Bucket, size)).toEqual(whole);
    const rolled = await s3.send(new ListObjectVersionsCommand({ Bucket, Delimiter: '/' }));
    expect([rolled.CommonPrefixes?.map((p) => p.Prefix), rolled.Versions?.length]).toEqual([['b/'], 5]);
    const under = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'b/' }));
    expect(under.Versions?.map((v) => v.Key)).toEqual(['b/1', 'b/2']);
  });

  it('versions, markers and the versioning state are all there after a restart', async () => {
    const Bucket = 'vrestart';
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'one' }))).VersionId!;
    const marker = (await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k' }))).VersionId!;
    const listed = await allVersions(Bucket);
    await store.stop({ keep: true });
    store = await startTestStore({ dir: store.dir });
    s3 = store.client();
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
    expect(await allVersions(Bucket)).toEqual(listed);
    expect(listed).toEqual([
      ['k', marker, true, true],
      ['k', v1, false, false],
    ]);
    // The index rebuilt from disk knows the bucket is not empty, though nothing is listed.
    expect((await s3.send(new ListObjectsV2Command({ Bucket }))).KeyCount).toBe(0);
    expect(await failure(s3.send(new DeleteBucketCommand({ Bucket })))).toEqual({ name: 'BucketNotEmpty', status: 409 });
    expect(await body(Bucket, 'k', v1)).toBe('one');
  });

  it('a crash between keeping the replaced version and committing the new one leaves the key whole, listed once', async () => {
    const Bucket = 'vcrash';
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    const v1 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'one' }))).VersionId!;
    const v2 = (await s3.send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'two' }))).VersionId!;
    // What a crash right after the hard link of a third PUT leaves: the current version also among the others.
    const layout = new Layout(store.dir);
    await store.stop({ keep: true });
    await link(layout.objectPath(Bucket, 'k'), layout.versionPath(Bucket, 'k', v2)!);
    store = await startTestStore({ dir: store.dir });
    s3 = store.client();
    expect(await allVersions(Bucket)).toEqual([
      ['k', v2, true, false],
      ['k', v1, false, false],
    ]);
    expect(await body(Bucket, 'k')).toBe('two');
    // The next write and a delete of the current version by id tidy it up.
    await s3.send(new DeleteObjectCommand({ Bucket, Key: 'k', VersionId: v2 }));
    expect(await allVersions(Bucket)).toEqual([['k', v1, true, false]]);
    expect(await body(Bucket, 'k')).toBe('one');
  });
});
