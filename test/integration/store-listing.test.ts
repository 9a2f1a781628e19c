// The embedded store on the wire, with raw aws4-signed requests: listings (pages, delimiters, encodings, markers) and DeleteObjects.
import { createHash } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, tag, type RawOptions } from '../helpers/store-raw.js';
import { startTestStore, type TestStore } from '../helpers/store.js';

let store: TestStore;
let s3: S3Client;
const send = (opts: RawOptions) => raw(store.endpoint, store, opts);

beforeAll(async () => {
  store = await startTestStore();
  s3 = store.client();
  await s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
  await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'digits', Body: '0123456789' }));
});
afterAll(() => store?.stop());

describe('listings', () => {
  // In UTF-8 binary order: "ü" (0xC3 0xBC) after "zz".
  const KEYS = ['a b', 'a+b', 'dir/1', 'dir/2', 'dir/sub/3', 'tilde~', 'x\ry', 'zz', 'ü'];
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'list' }));
    for (const Key of KEYS) await s3.send(new PutObjectCommand({ Bucket: 'list', Key, Body: Key }));
  });

  /** Every page of a listing, following NextContinuationToken (v2) or NextMarker / the last key (v1). */
  async function pages(v: 1 | 2, query: string): Promise<Array<{ keys: string[]; prefixes: string[]; truncated: boolean; raw: string }>> {
    const out = [];
    let next = '';
    for (let i = 0; i < 20; i++) {
      const r = await send({ method: 'GET', path: `/list?${v === 2 ? 'list-type=2&' : ''}${query}${next}` });
      expect(r.status).toBe(200);
      const keys = [...r.text.matchAll(/<Contents><Key>([^<]*)<\/Key>/g)].map((m) => m[1]!);
      const prefixes = [...r.text.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1]!);
      const truncated = tag(r.text, 'IsTruncated') === 'true';
      out.push({ keys, prefixes, truncated, raw: r.text });
      if (!truncated) break;
      const token = v === 2 ? tag(r.text, 'NextContinuationToken')! : (tag(r.text, 'NextMarker') ?? keys[keys.length - 1]!);
      const marker = query.includes('encoding-type=url') ? decodeURIComponent(token.replace(/\+/g, ' ')) : token.replace(/&#13;/g, '\r');
      next = `&${v === 2 ? 'continuation-token' : 'marker'}=${encodeURIComponent(v === 2 ? token : marker)}`;
    }
    return out;
  }

  it.each([1, 2] as const)('v%i pages of 2 with encoding-type=url give every key once, in UTF-8 order', async (v) => {
    const all = await pages(v, 'max-keys=2&encoding-type=url');
    expect(all.length).toBe(5);
    const keys = all.flatMap((p) => p.keys).map((k) => decodeURIComponent(k.replace(/\+/g, ' ')));
    expect(keys).toEqual(KEYS);
    expect(all[0]!.raw).toContain('<EncodingType>url</EncodingType>');
    expect(all.flatMap((p) => p.keys)).toContain('a+b'); // "a b", form-encoded
    expect(all.flatMap((p) => p.keys)).toContain('x%0Dy');
  });

  it.each([1, 2] as const)('v%i with a delimiter: common prefixes count as keys, and pages never repeat', async (v) => {
    const all = await pages(v, 'delimiter=/&max-keys=2');
    expect(all.flatMap((p) => p.keys)).toEqual(['a b', 'a+b', 'tilde~', 'x&#13;y', 'zz', 'ü']);
    expect(all.flatMap((p) => p.prefixes)).toEqual(['dir/']);
  });

  it('prefix and delimiter inside a folder', async () => {
    const [page] = await pages(2, 'prefix=dir/&delimiter=/');
    expect(page).toMatchObject({ keys: ['dir/1', 'dir/2'], prefixes: ['dir/sub/'], truncated: false });
  });

  it('v2: start-after, fetch-owner, KeyCount; v1 always names the owner', async () => {
    const r = await send({ method: 'GET', path: '/list?list-type=2&start-after=dir/2&fetch-owner=true' });
    expect([...r.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1])[0]).toBe('dir/sub/3');
    expect(tag(r.text, 'KeyCount')).toBe('5');
    expect(r.text).toContain('<Owner><ID>');
    expect((await send({ method: 'GET', path: '/list?list-type=2' })).text).not.toContain('<Owner>');
    expect((await send({ method: 'GET', path: '/list' })).text).toContain('<Owner><ID>');
  });

  it.each([
    ['/list?list-type=2&continuation-token=forged', 'InvalidArgument'],
    ['/list?max-keys=-1', 'InvalidArgument'],
    ['/list?encoding-type=base64', 'InvalidArgument'],
    ['/nope?list-type=2', 'NoSuchBucket'],
  ])('%s → %s', async (path, code) => {
    const r = await send({ method: 'GET', path });
    expect(tag(r.text, 'Code')).toBe(code);
  });
});

describe('DeleteObjects', () => {
  const body = (quiet: boolean, keys: string[]) =>
    `<Delete>${quiet ? '<Quiet>true</Quiet>' : ''}${keys.map((k) => `<Object><Key>${k}</Key></Object>`).join('')}<Object><Key>v</Key><VersionId>3</VersionId></Object></Delete>`;
  const md5 = (s: string) => createHash('md5').update(s).digest('base64');

  it.each([false, true])('Quiet %s: deletes, and lists only errors when quiet', async (quiet) => {
    for (const Key of ['d1', 'd 2']) await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key, Body: 'x' }));
    const doc = body(quiet, ['d1', 'd 2', 'never-there']);
    const r = await send({ method: 'POST', path: '/bkt?delete', headers: { 'content-md5': md5(doc) }, body: doc });
    expect(r.status).toBe(200);
    const deleted = [...r.text.matchAll(/<Deleted><Key>([^<]*)<\/Key><\/Deleted>/g)].map((m) => m[1]);
    expect(deleted).toEqual(quiet ? [] : ['d1', 'd 2', 'never-there']);
    expect(r.text).toContain('<Error><Key>v</Key><VersionId>3</VersionId><Code>NoSuchVersion</Code>');
    expect((await send({ method: 'HEAD', path: '/bkt/d1' })).status).toBe(404);
  });

  it('needs Content-MD5 (or a checksum), and refuses a wrong one', async () => {
    const doc = body(false, ['k']);
    expect(tag((await send({ method: 'POST', path: '/bkt?delete', body: doc })).text, 'Code')).toBe('InvalidRequest');
    expect(tag((await send({ method: 'POST', path: '/bkt?delete', headers: { 'content-md5': md5('other') }, body: doc })).text, 'Code')).toBe('BadDigest');
    expect(tag((await send({ method: 'POST', path: '/bkt?delete', headers: { 'content-md5': md5('<Delete>') }, body: '<Delete>' })).text, 'Code')).toBe(
      'MalformedXML',
    );
  });
});

describe('ListMultipartUploads', () => {
  it('pages by key, then by upload, with prefix, delimiter and both markers', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'uploads' }));
    const ids: Record<string, string[]> = {};
    for (const key of ['a/1', 'a/1', 'a/2', 'b', 'c/x']) {
      const r = await send({ method: 'POST', path: `/uploads/${key}?uploads` });
      (ids[key] ??= []).push(tag(r.text, 'UploadId')!);
    }
    const list = async (query: string) => {
      const r = await send({ method: 'GET', path: `/uploads?uploads&${query}` });
      expect(r.status).toBe(200);
      return {
        uploads: [...r.text.matchAll(/<Upload><Key>([^<]*)<\/Key><UploadId>([^<]*)<\/UploadId>/g)].map((m) => [m[1], m[2]]),
        prefixes: [...r.text.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1]),
        truncated: tag(r.text, 'IsTruncated') === 'true',
        nextKey: tag(r.text, 'NextKeyMarker'),
        nextUpload: tag(r.text, 'NextUploadIdMarker'),
      };
    };
    const all = await list('');
    expect(all.uploads.map(([k]) => k)).toEqual(['a/1', 'a/1', 'a/2', 'b', 'c/x']);
    expect(
      all.uploads
        .slice(0, 2)
        .map(([, id]) => id)
        .sort(),
    ).toEqual([...ids['a/1']!].sort()); // one key: by initiation (ms ties either way)
    const first = await list('max-uploads=1');
    expect([first.uploads, first.truncated, first.nextKey, first.nextUpload]).toEqual([[all.uploads[0]], true, 'a/1', all.uploads[0]![1]]);
    const second = await list(`max-uploads=2&key-marker=a/1&upload-id-marker=${first.nextUpload}`);
    expect(second.uploads).toEqual(all.uploads.slice(1, 3));
    expect((await list('key-marker=a/2')).uploads.map(([k]) => k)).toEqual(['b', 'c/x']);
    const folders = await list('delimiter=/');
    expect([folders.uploads.map(([k]) => k), folders.prefixes]).toEqual([['b'], ['a/', 'c/']]);
    expect((await list('prefix=a/')).uploads.map(([k]) => k)).toEqual(['a/1', 'a/1', 'a/2']);
  });
});
