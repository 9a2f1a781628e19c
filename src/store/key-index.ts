// Embedded store, listings: one bucket's keys in UTF-8 binary order, kept in memory (keys are hashed on disk, so disk order says nothing).
import { lowerBound, utf8, type Keyed } from './listing.js';
import type { ObjectRecord } from './records.js';

export interface IndexEntry extends Keyed {
  size: number;
  etag: string;
  lastModified: number;
  storageClass: string;
  checksumAlgorithm?: string;
  checksumType?: string;
}

export function indexEntry(r: ObjectRecord): IndexEntry {
  const e: IndexEntry = {
    key: r.key,
    keyBytes: utf8(r.key),
    size: r.size,
    etag: r.etag,
    lastModified: r.lastModified,
    storageClass: r.headers['x-amz-storage-class'] ?? 'STANDARD',
  };
  if (r.checksum) {
    e.checksumAlgorithm = r.checksum.alg;
    e.checksumType = r.checksum.type;
  }
  return e;
}

export class KeyIndex {
  /** Sorted by keyBytes; listings binary-search it. Current versions only, never a delete marker. */
  readonly sorted: IndexEntry[] = [];
  /** Keys with non-current versions or a delete marker as current version (ListObjectVersions, DeleteBucket). */
  readonly versioned = new Set<string>();
  readonly #byKey = new Map<string, IndexEntry>();

  get size(): number {
    return this.sorted.length;
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  upsert(entry: IndexEntry): void {
    const old = this.#byKey.get(entry.key);
    this.#byKey.set(entry.key, entry);
    const at = lowerBound(this.sorted, entry.keyBytes);
    if (old) this.sorted[at] = entry;
    else this.sorted.splice(at, 0, entry);
  }

  remove(key: string): void {
    const old = this.#byKey.get(key);
    if (!old) return;
    this.#byKey.delete(key);
    this.sorted.splice(lowerBound(this.sorted, old.keyBytes), 1);
  }
}
