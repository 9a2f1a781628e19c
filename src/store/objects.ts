// Embedded store, on disk: objects of a bucket and their versions — open one, commit a sealed temp file as the new current version, delete (or leave a delete marker), set tags or an ACL.
//
// The current version of a key lives at objectPath (what an unversioned bucket has, and all it has); a versioned
// bucket moves the version it replaces to versions/<h>/<versionId> under the bucket lock, so a reader of the current
// version never looks further. https://docs.aws.amazon.com/AmazonS3/latest/userguide/versioning-workflows.html
import { link, mkdir, readFile, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { S3Error } from '../s3/errors.js';
import type { Bucket } from './buckets.js';
import { writeFileAtomic } from './buckets.js';
import { TempBlob, newVersionId, openBlob, type OpenBlob } from './disk/blob.js';
import type { Layout } from './disk/layout.js';
import { indexEntry } from './key-index.js';
import type { AclRecord, GrantRecord, LockRecord, LockSideRecord, ObjectRecord, TagsRecord } from './records.js';

export interface OpenObject extends OpenBlob<ObjectRecord> {
  /** Where the version is: its side files (tags, ACL) are this path + ".tags" / ".acl". */
  path: string;
}

export interface CommitHooks {
  /** Sees the current version (undefined when there is none or it is a delete marker) and may throw. */
  check?: (current: ObjectRecord | undefined) => void;
  before?: () => Promise<void>;
  after?: () => Promise<void>;
}

/** What a DeleteObject did, for its x-amz-version-id and x-amz-delete-marker answer. */
export interface Deleted {
  versionId?: string;
  deleteMarker?: boolean;
}

/** Called with a version's lock state before it is deleted by id; throws to keep it (Object Lock). */
export type DeleteGuard = (lock: LockRecord | undefined) => void;

/** The id a version is known by. */
export const versionIdOf = (record: ObjectRecord): string => record.versionId ?? 'null';

const SIDES = ['.tags', '.acl', '.lock'];

/** Filesystems without hard links: the version moves instead (a crash in the window can then lose the current one). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK', 'ENOSYS']);

/**
 * Keeps the version at `from` as `to` too (a hard link), before a rename replaces `from`: whatever the moment of a
 * crash, the key keeps a current version, at worst listed twice (versions() drops the copy). Its side files move.
 */
async function keepAs(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true, mode: 0o700 });
  await rm(to, { force: true }); // a copy an earlier crash left
  try {
    await link(from, to);
  } catch (err) {
    if (!NO_LINKS.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    await rename(from, to);
  }
  await Promise.all(SIDES.map((side) => rename(from + side, to + side).catch(() => undefined)));
}

/** Removes a version's side files (tags, ACL, lock) together: each is usually absent, and each try is a trip to the fs thread pool. */
async function rmSides(path: string): Promise<void> {
  await Promise.all(SIDES.map((side) => rm(path + side, { force: true })));
}

async function rmWithSides(path: string): Promise<void> {
  await rm(path, { force: true });
  await rmSides(path);
}

export class Objects {
  constructor(private readonly layout: Layout) {}

  async #openAt(path: string, key: string): Promise<OpenObject | undefined> {
    const blob = await openBlob<ObjectRecord>(path);
    // sha256 collisions are not expected; should one happen, the other key is simply not this one.
    if (blob && blob.record.key !== key) {
      await blob.handle.close();
      return undefined;
    }
    return blob && { ...blob, path };
  }

  /**
   * A version, open (the caller closes or streams it), or undefined: the current one, or the one named by versionId
   * ("null" included). Delete markers count as absent unless `markers` is set.
   */
  async open(bucket: string, key: string, versionId?: string, opts: { markers?: boolean } = {}): Promise<OpenObject | undefined> {
    let found = await this.#openAt(this.layout.objectPath(bucket, key), key);
    if (versionId !== undefined && found && versionIdOf(found.record) !== versionId) {
      await found.handle.close();
      const path = this.layout.versionPath(bucket, key, versionId);
      found = path === undefined ? undefined : await this.#openAt(path, key);
    }
    if (found?.record.deleteMarker && !opts.markers) {
      await found.handle.close();
      return undefined;
    }
    return found;
  }

  /** The record only (HEAD-like reads that need no bytes). */
  async record(bucket: string, key: string, versionId?: string, opts: { markers?: boolean } = {}): Promise<ObjectRecord | undefined> {
    const blob = await this.open(bucket, key, versionId, opts);
    await blob?.handle.close();
    return blob?.record;
  }

  /** Every version of a key, newest first (the current one first), delete markers included. */
  async versions(bucket: string, key: string): Promise<ObjectRecord[]> {
    const out: ObjectRecord[] = [];
    const current = await this.record(bucket, key, undefined, { markers: true });
    const dir = this.layout.keyVersionsDir(bucket, key);
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of names) {
      if (name.includes('.')) continue; // side files
      const blob = await this.#openAt(`${dir}/${name}`, key);
      if (!blob) continue;
      await blob.handle.close();
      out.push(blob.record);
    }
    out.sort((a, b) => b.lastModified - a.lastModified || (b.vid < a.vid ? -1 : 1));
    if (!current) return out;
    // A copy of the current version that a crash left among the others (keepAs) is not another version.
    return [current, ...out.filter((v) => v.vid !== current.vid)];
  }

  /** A side file (tags or ACL set after the upload) if it names this version. */
  async #side<T extends { vid: string }>(path: string, record: ObjectRecord): Promise<T | undefined> {
    try {
      const later = JSON.parse(await readFile(path, 'utf8')) as T;
      if (later.vid === record.vid) return later;
    } catch (err) {
      // None set later (ENOENT), or an unreadable file (a side write never leaves one; be lenient anyway).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !(err instanceof SyntaxError)) throw err;
    }
    return undefined;
  }

  /**
   * A version's side file: beside `at` (the version's file, when the caller opened it: one read on the GET path), or
   * else next to the current version, then next to its file among the non-current ones.
   */
  async #sideOf<T extends { vid: string }>(bucket: string, record: ObjectRecord, suffix: string, at?: string): Promise<T | undefined> {
    if (at !== undefined) return this.#side<T>(at + suffix, record);
    const current = await this.#side<T>(this.layout.objectPath(bucket, record.key) + suffix, record);
    if (current) return current;
    const path = this.layout.versionPath(bucket, record.key, versionIdOf(record));
    return path === undefined ? undefined : this.#side<T>(path + suffix, record);
  }

  /** Tags of this version: those set later by PutObjectTagging if they name it, else those it was written with. */
  async tags(bucket: string, record: ObjectRecord, at?: string): Promise<Array<[string, string]>> {
    return (await this.#sideOf<TagsRecord>(bucket, record, '.tags', at))?.tags ?? record.tags;
  }

  /** ACL of this version: one set later by PutObjectAcl if it names it, else the one it was written with (absent: the owner's). */
  async acl(bucket: string, record: ObjectRecord): Promise<GrantRecord[] | undefined> {
    return (await this.#sideOf<AclRecord>(bucket, record, '.acl'))?.acl ?? record.acl;
  }

  /**
   * Puts a sealed temp file in the key's place as its current version. Inside the lock, `hooks.check` sees the
   * current record (conditional writes) and may throw, `hooks.before` may refuse, `hooks.after` runs once the object
   * is in place (Complete takes its upload away there). The rename is the commit: before it nothing is visible,
   * after it everything is. In a bucket that was ever versioned the version it replaces is kept unless both are
   * "null" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/AddingObjectstoVersionSuspendedBuckets.html).
   */
  async commit(bucket: Bucket, blob: TempBlob, record: ObjectRecord, hooks: CommitHooks = {}): Promise<void> {
    const path = this.layout.objectPath(bucket.name, record.key);
    await bucket.lock.run(async () => {
      bucket.assertLive();
      const versioned = bucket.record.versioning !== undefined;
      const current = versioned || hooks.check ? await this.record(bucket.name, record.key, undefined, { markers: true }) : undefined;
      if (hooks.check) hooks.check(current?.deleteMarker ? undefined : current);
      await hooks.before?.();
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      const kept = versioned && current !== undefined && (current.versionId !== undefined || record.versionId !== undefined);
      if (kept) await keepAs(path, this.layout.versionPath(bucket.name, record.key, versionIdOf(current))!);
      await blob.commit(path);
      if (!kept) await rmSides(path);
      // A new "null" version replaces the old "null" one wherever it is.
      if (versioned && record.versionId === undefined) await rmWithSides(this.layout.versionPath(bucket.name, record.key, 'null')!);
      const index = bucket.loadedIndex;
      if (record.deleteMarker) index?.remove(record.key);
      else index?.upsert(indexEntry(record));
      if (kept || record.deleteMarker) index?.versioned.add(record.key);
      else if (versioned && !(await this.#hasNonCurrent(bucket.name, record.key))) index?.versioned.delete(record.key);
      await hooks.after?.();
    });
  }

  async #hasNonCurrent(bucket: string, key: string): Promise<boolean> {
    try {
      return (await readdir(this.layout.keyVersionsDir(bucket, key))).some((n) => !n.includes('.'));
    } catch {
      return false;
    }
  }

  /**
   * DeleteObject (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeletingObjectVersions.html): without a
   * version id, an unversioned bucket loses the object and a versioned one gets a delete marker as the current
   * version ("null" while Suspended); with one, that version goes for good. 204 whether or not anything existed.
   */
  async delete(bucket: Bucket, key: string, versionId?: string, guard?: DeleteGuard): Promise<Deleted> {
    if (versionId !== undefined) return this.#deleteVersion(bucket, key, versionId, guard);
    const state = bucket.record.versioning;
    if (state === undefined) {
      await bucket.lock.run(async () => {
        bucket.assertLive();
        await rmWithSides(this.layout.objectPath(bucket.name, key));
        bucket.loadedIndex?.remove(key);
      });
      return {};
    }
    const vid = newVersionId();
    const marker: ObjectRecord = {
      v: 1,
      key,
      vid,
      size: 0,
      etag: '',
      lastModified: Date.now(),
      headers: {},
      meta: [],
      tags: [],
      deleteMarker: true,
      ...(state === 'Enabled' ? { versionId: vid } : {}),
    };
    const blob = await TempBlob.create(this.layout.tempPath());
    try {
      await blob.seal(marker);
      await this.commit(bucket, blob, marker);
    } finally {
      await blob.discard();
    }
    return { versionId: versionIdOf(marker), deleteMarker: true };
  }

  /** Deletes one version; when it was the current one, the newest remaining version becomes current. */
  async #deleteVersion(bucket: Bucket, key: string, versionId: string, guard: DeleteGuard | undefined): Promise<Deleted> {
    return bucket.lock.run(async () => {
      bucket.assertLive();
      const path = this.layout.objectPath(bucket.name, key);
      const current = await this.record(bucket.name, key, undefined, { markers: true });
      const index = bucket.loadedIndex;
      const gone = current && versionIdOf(current) === versionId ? current : await this.record(bucket.name, key, versionId, { markers: true });
      if (gone && guard) guard(await this.lock(bucket.name, gone));
      if (gone && gone === current) {
        // The newest other version replaces it in one rename, so the key is never without a current version.
        const newest = (await this.versions(bucket.name, key))[1];
        await rmWithSides(this.layout.versionPath(bucket.name, key, versionId)!); // a copy a crash may have left
        index?.remove(key);
        if (newest) {
          const from = this.layout.versionPath(bucket.name, key, versionIdOf(newest))!;
          await rename(from, path);
          for (const side of SIDES) {
            await rm(path + side, { force: true });
            await rename(from + side, path + side).catch(() => undefined);
          }
          if (!newest.deleteMarker) index?.upsert(indexEntry(newest));
        } else await rmWithSides(path);
      } else {
        const versionPath = this.layout.versionPath(bucket.name, key, versionId);
        if (versionPath === undefined)
          throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
        await rmWithSides(versionPath);
      }
      const now = await this.record(bucket.name, key, undefined, { markers: true });
      if (!(await this.#hasNonCurrent(bucket.name, key)) && !now?.deleteMarker) {
        index?.versioned.delete(key);
        await rmdir(this.layout.keyVersionsDir(bucket.name, key)).catch(() => undefined);
      }
      return { versionId, ...(gone?.deleteMarker ? { deleteMarker: true } : {}) };
    });
  }

  /** PutObjectTagging / DeleteObjectTagging (tags = []): attached to the version (current, or named) at commit time. */
  setTags(bucket: Bucket, key: string, tags: Array<[string, string]>, versionId?: string): Promise<void> {
    return this.#setSide(bucket, key, versionId, '.tags', (found): TagsRecord => ({ v: 1, vid: found.vid, tags }));
  }

  /** Object Lock state of this version: set later if it names it, else what it was written with. */
  async lock(bucket: string, record: ObjectRecord, at?: string): Promise<LockRecord | undefined> {
    return (await this.#sideOf<LockSideRecord>(bucket, record, '.lock', at))?.lock ?? record.lock;
  }

  /** PutObjectRetention / PutObjectLegalHold: `change` gets the version's lock state and returns the new one (or throws). */
  setLock(bucket: Bucket, key: string, versionId: string | undefined, change: (current: LockRecord | undefined) => LockRecord): Promise<void> {
    return this.#setSide(bucket, key, versionId, '.lock', async (found) => ({ v: 1, vid: found.vid, lock: change(await this.lock(bucket.name, found)) }));
  }

  /** PutObjectAcl: likewise. */
  setAcl(bucket: Bucket, key: string, acl: GrantRecord[], versionId?: string): Promise<void> {
    return this.#setSide(bucket, key, versionId, '.acl', (found): AclRecord => ({ v: 1, vid: found.vid, acl }));
  }

  async #setSide(
    bucket: Bucket,
    key: string,
    versionId: string | undefined,
    suffix: string,
    make: (record: ObjectRecord) => object | Promise<object>,
  ): Promise<void> {
    await bucket.lock.run(async () => {
      bucket.assertLive();
      const found = await this.open(bucket.name, key, versionId);
      await found?.handle.close();
      if (!found) throw versionId === undefined ? new S3Error('NoSuchKey', undefined, { Key: key }) : noSuchVersion(key, versionId);
      await writeFileAtomic(this.layout, found.path + suffix, JSON.stringify(await make(found.record)));
    });
  }
}

export function noSuchVersion(key: string, versionId: string): S3Error {
  return new S3Error('NoSuchVersion', undefined, { Key: key, VersionId: versionId });
}
