// The embedded store's disk layer: paths (src/store/disk/layout.ts) never leave the data folder; the object file format (src/store/disk/blob.ts) commits whole files only.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { S3Error } from '../../../src/s3/errors.js';
import { bucketNameProblem } from '../../../src/store/buckets.js';
import { CorruptBlobError, TempBlob, blobStream, openBlob } from '../../../src/store/disk/blob.js';
import { Layout, checkUploadId, newUploadId } from '../../../src/store/disk/layout.js';
import { tempDir } from '../../helpers/bridge.js';

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !rel.split(sep).includes('..');
};

describe('Layout', () => {
  const layout = new Layout('/data/store');

  it.each(['../x', '..\\x', '..', '.', '%2e%2e/x', 'a/../../b', '/etc/passwd', 'a\\..\\..\\b', 'key/', '', 'ü/../\u0000'])(
    'object key %j stays inside the folder, two levels under objects/',
    (key) => {
      const p = layout.objectPath('bkt', key);
      expect(inside(layout.root, p)).toBe(true);
      expect(relative(layout.objectsDir('bkt'), p).split(sep)).toHaveLength(2);
      expect(inside(layout.root, layout.tagsPath('bkt', key))).toBe(true);
    },
  );

  it('any key maps inside the folder (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (key) => inside(layout.root, layout.objectPath('bkt', key))));
  });

  it.each(['bkt', 'a.b-c', '..', '../../etc', 'x/y'])('bucket %j is a hex folder under buckets/', (bucket) => {
    const dir = layout.bucketDir(bucket);
    expect(relative(layout.buckets, dir)).toMatch(/^[0-9a-f]+$/);
    expect(Layout.bucketFromDirName(relative(layout.buckets, dir))).toBe(bucket);
  });

  it('only upload ids of the shape it issues become paths', () => {
    const id = newUploadId();
    expect(checkUploadId(id)).toBe(id);
    expect(inside(layout.root, layout.uploadDir('bkt', id))).toBe(true);
    for (const bad of ['../../x', '', 'a'.repeat(42), `${id.slice(0, 42)}.`, `${id}x`, '..'.padEnd(43, 'a')]) {
      expect(() => layout.uploadDir('bkt', bad)).toThrow(S3Error);
    }
  });

  it('part paths are zero-padded numbers 1…10000', () => {
    const id = newUploadId();
    expect(layout.partPath('bkt', id, 7).endsWith(`${id}${sep}00007`)).toBe(true);
    expect(() => layout.partPath('bkt', id, 0)).toThrow(RangeError);
    expect(() => layout.partPath('bkt', id, 10001)).toThrow(RangeError);
  });
});

describe('bucket names (S3 general purpose rules)', () => {
  it.each<[string, boolean]>([
    ['abc', true],
    ['my-bucket.2024', true],
    ['a'.repeat(63), true],
    ['ab', false],
    ['a'.repeat(64), false],
    ['Upper', false],
    ['under_score', false],
    ['-start', false],
    ['end-', false],
    ['a..b', false],
    ['192.168.0.1', false],
    ['xn--abc', false],
    ['abc-s3alias', false],
  ])('%j valid: %s', (name, valid) => {
    expect(bucketNameProblem(name) === undefined).toBe(valid);
  });
});

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('TempBlob / openBlob', () => {
  it('data and record travel in one file; ranges read back; the handle survives replacement', async () => {
    const dir = tempDir();
    const blob = await TempBlob.create(join(dir, 'tmp1'));
    await blob.append(Readable.from([Buffer.from('hello '), Buffer.from('world')]), []);
    await blob.seal({ key: 'k', n: 1 });
    await blob.commit(join(dir, 'obj'));
    const open = await openBlob<{ key: string; n: number }>(join(dir, 'obj'));
    expect(open).toMatchObject({ dataSize: 11, record: { key: 'k', n: 1 } });
    // Replace the file while it is open: the reader keeps its version.
    const next = await TempBlob.create(join(dir, 'tmp2'));
    await next.append(Readable.from([Buffer.from('other')]), []);
    await next.seal({ key: 'k', n: 2 });
    await next.commit(join(dir, 'obj'));
    expect((await readAll(blobStream(open!, 6, 10))).toString()).toBe('world');
    const again = await openBlob<{ n: number }>(join(dir, 'obj'));
    expect(again!.record.n).toBe(2);
    expect((await readAll(blobStream(again!, 0, again!.dataSize - 1))).toString()).toBe('other');
    expect(readdirSync(dir)).toEqual(['obj']);
  });

  it('a big record (longer than the first tail read) is read whole', async () => {
    const dir = tempDir();
    const blob = await TempBlob.create(join(dir, 't'));
    await blob.append(Readable.from([Buffer.alloc(10, 1)]), []);
    const big = 'x'.repeat(100_000);
    await blob.seal({ big });
    await blob.commit(join(dir, 'o'));
    const open = await openBlob<{ big: string }>(join(dir, 'o'));
    expect(open!.record.big).toBe(big);
    expect(open!.dataSize).toBe(10);
    await open!.handle.close();
  });

  it('an empty object has an empty stream', async () => {
    const dir = tempDir();
    const blob = await TempBlob.create(join(dir, 't'));
    await blob.append(Readable.from([]), []);
    await blob.seal({});
    await blob.commit(join(dir, 'o'));
    const open = await openBlob(join(dir, 'o'));
    expect(open!.dataSize).toBe(0);
    expect((await readAll(blobStream(open!, 0, -1))).length).toBe(0);
  });

  it('a body that fails midway leaves nothing after discard, and the old object as it was', async () => {
    const dir = tempDir();
    const good = await TempBlob.create(join(dir, 't1'));
    await good.append(Readable.from([Buffer.from('old')]), []);
    await good.seal({ v: 'old' });
    await good.commit(join(dir, 'obj'));
    const src = new PassThrough();
    const bad = await TempBlob.create(join(dir, 't2'));
    const done = bad.append(src, []);
    src.write(Buffer.alloc(100_000, 2));
    src.destroy(new Error('client went away'));
    await expect(done).rejects.toThrow('client went away');
    await bad.discard();
    expect(readdirSync(dir)).toEqual(['obj']);
    const open = await openBlob<{ v: string }>(join(dir, 'obj'));
    expect(open!.record.v).toBe('old');
    await open!.handle.close();
  });

  it('missing → undefined; not a store file → CorruptBlobError', async () => {
    const dir = tempDir();
    expect(await openBlob(join(dir, 'none'))).toBeUndefined();
    expect(await openBlob(join(dir, 'none', 'deeper'))).toBeUndefined();
    writeFileSync(join(dir, 'junk'), 'not a store file at all');
    await expect(openBlob(join(dir, 'junk'))).rejects.toBeInstanceOf(CorruptBlobError);
    mkdirSync(join(dir, 'd'));
    expect(existsSync(join(dir, 'd'))).toBe(true);
  });
});
