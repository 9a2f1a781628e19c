// Embedded store, buckets: the registry (loaded from disk at start), bucket creation and deletion, and each bucket's lazily built key index.
import { mkdir, readdir, readFile, rename, rm, open } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Error } from '../s3/errors.js';
import { openBlob } from './disk/blob.js';
import { Layout } from './disk/layout.js';
import { Mutex } from './disk/lock.js';
import { KeyIndex, indexEntry } from './key-index.js';
import type { AclRecord, BucketRecord, ObjectRecord, TagsRecord } from './records.js';

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (general purpose buckets).
 * Returns undefined when the name is valid, else the reason.
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'Bucket name must be between 3 and 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'Bucket name can consist only of lowercase letters, numbers, periods (.), and hyphens (-)';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'Bucket name must begin and end with a letter or number';
  if (name.includes('..')) return 'Bucket name must not contain two adjacent periods';
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return 'Bucket name must not be formatted as an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name) || /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(name))
    return 'Bucket name uses a reserved prefix or suffix';
  return undefined;
}

export class Bucket {
  /** Serialises commits (renames, record reads for conditional writes, index updates) and deletion. */
  readonly lock = new Mutex();
  deleted = false;
  #index: KeyIndex | undefined;
  #building: Promise<KeyIndex> | undefined;

  constructor(
    record: BucketRecord,
    private readonly layout: Layout,
  ) {
    this.#record = record;
  }

  #record: BucketRecord;

  get record(): BucketRecord {
    return this.#record;
  }

  /** Rewrites bucket.json (ACL, configuration documents) under the lock; the new record is visible once it is on disk. */
  update(change: (record: BucketRecord) => BucketRecord): Promise<void> {
    return this.lock.run(async () => {
      this.assertLive();
      const next = change(this.#record);
      await writeFileAtomic(this.layout, this.layout.bucketFile(this.name), JSON.stringify(next));
      this.#record = next;
    });
  }

  get name(): string {
    return this.record.name;
  }

  /** The index if it was built already (commits keep it current; otherwise they leave it to be built later). */
  get loadedIndex(): KeyIndex | undefined {
    return this.#index;
  }

  /** The key index, built from disk on first use, under the lock so that no commit happens while it is read. */
  index(): Promise<KeyIndex> {
    if (this.#index) return Promise.resolve(this.#index);
    this.#building ??= this.lock.run(async () => {
      const index = await buildIndex(this.layout, this.name);
      this.#index = index;
      return index;
    });
    return this.#building;
  }

  /** Throws NoSuchBucket once the bucket was deleted; called inside the lock before every commit. */
  assertLive(): void {
    if (this.deleted) throw new S3Error('NoSuchBucket', undefined, { BucketName: this.name });
  }
}

async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Reads every object record of a bucket; drops tag, ACL and lock files whose object version is gone. */
async function buildIndex(layout: Layout, bucket: string): Promise<KeyIndex> {
  const index = new KeyIndex();
  const root = layout.objectsDir(bucket);
  for (const shard of await listDir(root)) {
    if (!/^[0-9a-f]{2}$/.test(shard)) continue;
    const names = await listDir(join(root, shard));
    const live = new Map<string, string>();
    for (const name of names) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const blob = await openBlob<ObjectRecord>(join(root, shard, name));
      if (!blob) continue;
      await blob.handle.close();
      if (blob.record.deleteMarker) index.versioned.add(blob.record.key);
      else index.upsert(indexEntry(blob.record));
      live.set(name, blob.record.vid);
    }
    for (const name of names) {
      const side = /^([0-9a-f]{64})\.(tags|acl|lock)$/.exec(name);
      if (!side) continue;
      const path = join(root, shard, name);
      const vid = live.get(side[1]!);
      let later: { vid?: string } | undefined;
      try {
        later = vid === undefined ? undefined : (JSON.parse(await readFile(path, 'utf8')) as TagsRecord | AclRecord);
      } catch {
        later = undefined; // unreadable: as good as absent
      }
      if (vid === undefined || later?.vid !== vid) await rm(path, { force: true });
    }
  }
  // Keys with non-current versions: one record per folder names the key.
  const versions = layout.versionsDir(bucket);
  for (const shard of await listDir(versions)) {
    for (const dir of await listDir(join(versions, shard))) {
      const first = (await listDir(join(versions, shard, dir))).find((n) => !n.includes('.'));
      const blob = first === undefined ? undefined : await openBlob<ObjectRecord>(join(versions, shard, dir, first));
      if (!blob) continue;
      await blob.handle.close();
      index.versioned.add(blob.record.key);
    }
  }
  return index;
}

/** Writes a small file durably: temp file, fsync, rename. */
export async function writeFileAtomic(layout: Layout, finalPath: string, data: string): Promise<void> {
  const tmp = layout.tempPath();
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, finalPath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

export class BucketRegistry {
  readonly #buckets = new Map<string, Bucket>();

  constructor(private readonly layout: Layout) {}

  async load(): Promise<void> {
    for (const dir of await listDir(this.layout.buckets)) {
      const name = Layout.bucketFromDirName(dir);
      if (name === undefined) continue;
      let record: BucketRecord;
      try {
        record = JSON.parse(await readFile(this.layout.bucketFile(name), 'utf8')) as BucketRecord;
      } catch {
        continue; // not a bucket folder of ours
      }
      if (record.name === name) this.#buckets.set(name, new Bucket(record, this.layout));
    }
  }

  get(name: string): Bucket | undefined {
    return this.#buckets.get(name);
  }

  require(name: string): Bucket {
    const bucket = this.#buckets.get(name);
    if (!bucket) throw new S3Error('NoSuchBucket', undefined, { BucketName: name });
    return bucket;
  }

  list(): BucketRecord[] {
    return [...this.#buckets.values()].map((b) => b.record).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** CreateBucket: the folder is assembled in the temp area and renamed into place, so a bucket exists whole or not at all. */
  async create(name: string, location: string | undefined, extra: Pick<BucketRecord, 'acl' | 'objectLock' | 'versioning'> = {}): Promise<void> {
    const problem = bucketNameProblem(name);
    if (problem) throw new S3Error('InvalidBucketName', problem, { BucketName: name });
    if (this.#buckets.has(name)) throw new S3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: name });
    const record: BucketRecord = { v: 1, name, created: Date.now(), ...(location ? { location } : {}), ...extra };
    const tmp = this.layout.tempPath();
    await mkdir(join(tmp, 'objects'), { recursive: true, mode: 0o700 });
    await mkdir(join(tmp, 'uploads'), { mode: 0o700 });
    await writeFileAtomic(this.layout, join(tmp, 'bucket.json'), JSON.stringify(record));
    try {
      await rename(tmp, this.layout.bucketDir(name));
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new S3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: name });
      throw err;
    }
    if (this.#buckets.has(name)) throw new S3Error('BucketAlreadyOwnedByYou', undefined, { BucketName: name });
    this.#buckets.set(name, new Bucket(record, this.layout));
  }

  /** DeleteBucket: refused while it holds objects; its folder (and any unfinished uploads) leave in one rename. */
  async delete(name: string): Promise<void> {
    const bucket = this.require(name);
    const index = await bucket.index();
    const trash = this.layout.tempPath();
    await bucket.lock.run(async () => {
      bucket.assertLive();
      if (index.size > 0 || index.versioned.size > 0) throw new S3Error('BucketNotEmpty', undefined, { BucketName: name });
      await rename(this.layout.bucketDir(name), trash);
      bucket.deleted = true;
      this.#buckets.delete(name);
    });
    await rm(trash, { recursive: true, force: true });
  }
}
