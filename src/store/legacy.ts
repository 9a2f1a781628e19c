// Embedded store, start-up: checks the data folder is ours (or empty), and imports a folder written by the s3rver-based embedded backend of s3bridge ≤ 0.1 once.
//
// s3rver kept `<dir>/<bucket>/<key>._S3rver_object` with `.md5`, `._S3rver_metadata.json` and
// `._S3rver_tagging.xml` beside it. On the first start on such a folder its buckets are moved into
// `<dir>/s3rver-legacy/` and every object is copied into this store's layout; the legacy folder stays for the user
// to delete. Unfinished multipart uploads and bucket configurations (CORS, website) are not carried over.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { lstat, mkdir, readFile, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { bucketNameProblem, writeFileAtomic } from './buckets.js';
import { TempBlob, newVersionId } from './disk/blob.js';
import type { Layout } from './disk/layout.js';
import { STORED_HEADERS } from './metadata.js';
import type { BucketRecord, ObjectRecord } from './records.js';
import { parseTagging } from './xml-docs.js';

const OURS = new Set(['store.json', 'store.lock', 'tmp', 'buckets', 'lost+found']);
const LEGACY = 's3rver-legacy';
const OBJECT_SUFFIX = '._S3rver_object';

/** Throws if the folder holds something that is neither this store nor s3rver data; imports s3rver data. */
export async function prepareFolder(layout: Layout, log: Logger): Promise<void> {
  if (existsSync(layout.marker)) return;
  const foreign = (await readdir(layout.root)).filter((n) => !OURS.has(n) && n !== LEGACY);
  const legacyDir = join(layout.root, LEGACY);
  if (foreign.length === 0 && !existsSync(legacyDir)) return; // a new, empty folder
  for (const name of foreign) {
    const isDir = (await lstat(join(layout.root, name))).isDirectory();
    if (!isDir || bucketNameProblem(name) !== undefined) {
      throw new Error(`${layout.root} is neither empty nor an s3bridge data folder (it holds "${name}"); give the embedded backend an empty folder`);
    }
  }
  await mkdir(legacyDir, { recursive: true, mode: 0o700 });
  for (const name of foreign) await rename(join(layout.root, name), join(legacyDir, name));
  await mkdir(layout.tmp, { recursive: true, mode: 0o700 });
  let objects = 0;
  for (const bucket of await readdir(legacyDir)) {
    if (bucketNameProblem(bucket) !== undefined) continue;
    objects += await importBucket(layout, join(legacyDir, bucket), bucket);
  }
  log.info('embedded store: imported the s3rver data folder', { dir: layout.root, objects, legacyCopy: legacyDir });
}

async function importBucket(layout: Layout, from: string, name: string): Promise<number> {
  const dir = layout.bucketDir(name);
  await mkdir(join(dir, 'objects'), { recursive: true, mode: 0o700 });
  await mkdir(join(dir, 'uploads'), { recursive: true, mode: 0o700 });
  if (!existsSync(layout.bucketFile(name))) {
    const record: BucketRecord = { v: 1, name, created: (await stat(from)).birthtimeMs || Date.now() };
    await writeFileAtomic(layout, layout.bucketFile(name), JSON.stringify(record));
  }
  let count = 0;
  for await (const file of walk(from, '')) {
    if (!file.endsWith(OBJECT_SUFFIX)) continue;
    await importObject(layout, name, join(from, file), file.slice(0, -OBJECT_SUFFIX.length));
    count++;
  }
  return count;
}

/** Relative paths ('/'-separated) of the files under dir; s3rver's upload folders are skipped. */
async function* walk(root: string, rel: string): AsyncGenerator<string> {
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory() && entry.name !== '._S3rver_uploads') yield* walk(root, path);
    else if (entry.isFile()) yield path;
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function importObject(layout: Layout, bucket: string, objectPath: string, key: string): Promise<void> {
  const base = objectPath.slice(0, -'object'.length);
  const stored = JSON.parse((await readOptional(`${base}metadata.json`)) ?? '{}') as Record<string, string>;
  const headers: Record<string, string> = {};
  const meta: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(stored)) {
    if ((STORED_HEADERS as readonly string[]).includes(name)) headers[name] = String(value);
    else if (name.startsWith('x-amz-meta-')) meta.push([name.slice('x-amz-meta-'.length), String(value)]);
  }
  headers['content-type'] ??= 'binary/octet-stream';
  const tagging = await readOptional(`${base}tagging.xml`);
  let tags: Array<[string, string]> = [];
  try {
    if (tagging) tags = parseTagging(tagging);
  } catch {
    // an unreadable tag document: the object is worth more than its tags
  }
  const blob = await TempBlob.create(layout.tempPath());
  try {
    const md5 = createHash('md5');
    await blob.append(createReadStream(objectPath), [md5]);
    const record: ObjectRecord = {
      v: 1,
      key,
      vid: newVersionId(),
      size: blob.size,
      etag: md5.digest('hex'),
      lastModified: (await stat(objectPath)).mtimeMs,
      headers,
      meta,
      tags,
    };
    await blob.seal(record);
    const target = layout.objectPath(bucket, key);
    await mkdir(join(target, '..'), { recursive: true, mode: 0o700 });
    await blob.commit(target);
  } finally {
    await blob.discard();
  }
}
