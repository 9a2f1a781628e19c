// Embedded store, on disk: objects of a bucket — open one, commit a sealed temp file in its place, delete it, set its tags.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { S3Error } from '../s3/errors.js';
import type { Bucket } from './buckets.js';
import { writeFileAtomic } from './buckets.js';
import { openBlob, type OpenBlob, type TempBlob } from './disk/blob.js';
import type { Layout } from './disk/layout.js';
import { indexEntry } from './key-index.js';
import type { ObjectRecord, TagsRecord } from './records.js';

export type OpenObject = OpenBlob<ObjectRecord>;

export interface CommitHooks {
  check?: (current: ObjectRecord | undefined) => void;
  before?: () => Promise<void>;
  after?: () => Promise<void>;
}

export class Objects {
  constructor(private readonly layout: Layout) {}

  /** The object as it is now, open (the caller closes or streams it), or undefined. */
  async open(bucket: string, key: string): Promise<OpenObject | undefined> {
    const blob = await openBlob<ObjectRecord>(this.layout.objectPath(bucket, key));
    // sha256 collisions are not expected; should one happen, the other key is simply not this one.
    if (blob && blob.record.key !== key) {
      await blob.handle.close();
      return undefined;
    }
    return blob;
  }

  /** The record only (HEAD-like reads that need no bytes). */
  async record(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    const blob = await this.open(bucket, key);
    await blob?.handle.close();
    return blob?.record;
  }

  /** Tags of this version: those set later by PutObjectTagging if they name it, else those it was written with. */
  async tags(bucket: string, record: ObjectRecord): Promise<Array<[string, string]>> {
    try {
      const later = JSON.parse(await readFile(this.layout.tagsPath(bucket, record.key), 'utf8')) as TagsRecord;
      if (later.vid === record.vid) return later.tags;
    } catch (err) {
      // None set later (ENOENT), or an unreadable file (a tag write never leaves one; be lenient anyway).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
    }
    return record.tags;
  }

  /**
   * Puts a sealed temp file in the key's place. Inside the lock, `hooks.check` sees the current record (conditional
   * writes) and may throw, `hooks.before` may refuse, `hooks.after` runs once the object is in place (Complete
   * takes its upload away there). The rename is the commit: before it nothing is visible, after it everything is.
   */
  async commit(bucket: Bucket, blob: TempBlob, record: ObjectRecord, hooks: CommitHooks = {}): Promise<void> {
    const path = this.layout.objectPath(bucket.name, record.key);
    await bucket.lock.run(async () => {
      bucket.assertLive();
      if (hooks.check) hooks.check(await this.record(bucket.name, record.key));
      await hooks.before?.();
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await blob.commit(path);
      await rm(this.layout.tagsPath(bucket.name, record.key), { force: true });
      bucket.loadedIndex?.upsert(indexEntry(record));
      await hooks.after?.();
    });
  }

  /** DeleteObject: succeeds whether or not the key exists, as S3 does. */
  async remove(bucket: Bucket, key: string): Promise<void> {
    await bucket.lock.run(async () => {
      bucket.assertLive();
      await rm(this.layout.objectPath(bucket.name, key), { force: true });
      await rm(this.layout.tagsPath(bucket.name, key), { force: true });
      bucket.loadedIndex?.remove(key);
    });
  }

  /** PutObjectTagging / DeleteObjectTagging (tags = []): attached to the version current at commit time. */
  async setTags(bucket: Bucket, key: string, tags: Array<[string, string]>): Promise<void> {
    await bucket.lock.run(async () => {
      bucket.assertLive();
      const current = await this.record(bucket.name, key);
      if (!current) throw new S3Error('NoSuchKey', undefined, { Key: key });
      const record: TagsRecord = { v: 1, vid: current.vid, tags };
      await writeFileAtomic(this.layout, this.layout.tagsPath(bucket.name, key), JSON.stringify(record));
    });
  }
}
