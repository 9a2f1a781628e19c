// Embedded store, on disk: multipart uploads of a bucket — create, look up, commit a part, list, and remove one (abort or after completion).
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Error } from '../s3/errors.js';
import { writeFileAtomic, type Bucket } from './buckets.js';
import { openBlob, type OpenBlob, type TempBlob } from './disk/blob.js';
import { newUploadId, type Layout } from './disk/layout.js';
import type { PartRecord, UploadRecord } from './records.js';

const PART_FILE = /^\d{5}$/;

export class Uploads {
  constructor(private readonly layout: Layout) {}

  /** The upload folder (with upload.json) is assembled in the temp area and renamed into place. */
  async create(bucket: Bucket, record: Omit<UploadRecord, 'uploadId' | 'v'>): Promise<UploadRecord> {
    const full: UploadRecord = { v: 1, ...record, uploadId: newUploadId() };
    const tmp = this.layout.tempPath();
    await mkdir(tmp, { mode: 0o700 });
    try {
      await writeFileAtomic(this.layout, join(tmp, 'upload.json'), JSON.stringify(full));
      await bucket.lock.run(async () => {
        bucket.assertLive();
        await mkdir(this.layout.uploadsDir(bucket.name), { recursive: true, mode: 0o700 });
        await rename(tmp, this.layout.uploadDir(bucket.name, full.uploadId));
      });
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return full;
  }

  /** The upload, or NoSuchUpload (also when it belongs to another key: an id names an upload of one key). */
  async get(bucket: string, uploadId: string | undefined, key: string): Promise<UploadRecord> {
    const noSuchUpload = new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
    let record: UploadRecord;
    try {
      record = JSON.parse(await readFile(join(this.layout.uploadDir(bucket, uploadId ?? ''), 'upload.json'), 'utf8')) as UploadRecord;
    } catch (err) {
      if (err instanceof S3Error || (err as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchUpload;
      throw err;
    }
    if (record.key !== key) throw noSuchUpload;
    return record;
  }

  async exists(bucket: string, uploadId: string): Promise<boolean> {
    try {
      await stat(join(this.layout.uploadDir(bucket, uploadId), 'upload.json'));
      return true;
    } catch {
      return false;
    }
  }

  /** Puts a sealed part in place, unless the upload was aborted or completed meanwhile. */
  async commitPart(bucket: Bucket, uploadId: string, partNumber: number, blob: TempBlob): Promise<void> {
    await bucket.lock.run(async () => {
      bucket.assertLive();
      if (!(await this.exists(bucket.name, uploadId))) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
      await blob.commit(this.layout.partPath(bucket.name, uploadId, partNumber));
    });
  }

  async openPart(bucket: string, uploadId: string, partNumber: number): Promise<OpenBlob<PartRecord> | undefined> {
    return openBlob<PartRecord>(this.layout.partPath(bucket, uploadId, partNumber));
  }

  /** Every part's record, by part number. */
  async parts(bucket: string, uploadId: string): Promise<PartRecord[]> {
    const dir = this.layout.uploadDir(bucket, uploadId);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => PART_FILE.test(n)).sort();
    const out: PartRecord[] = [];
    for (const name of names) {
      const blob = await openBlob<PartRecord>(join(dir, name));
      if (!blob) continue;
      await blob.handle.close();
      out.push(blob.record);
    }
    return out;
  }

  /** Every upload of the bucket (ListMultipartUploads); a folder whose upload.json is missing is skipped. */
  async list(bucket: string): Promise<UploadRecord[]> {
    const dir = this.layout.uploadsDir(bucket);
    const out: UploadRecord[] = [];
    for (const id of await readdir(dir).catch(() => [] as string[])) {
      try {
        out.push(JSON.parse(await readFile(join(this.layout.uploadDir(bucket, id), 'upload.json'), 'utf8')) as UploadRecord);
      } catch {
        // a foreign or half-removed folder: not an upload
      }
    }
    return out;
  }

  /**
   * Takes the upload out of the bucket in one rename (AbortMultipartUpload, or the end of Complete, which runs
   * it inside its own commit). Throws NoSuchUpload if it is already gone.
   */
  async detach(bucket: Bucket, uploadId: string): Promise<string> {
    if (!(await this.exists(bucket.name, uploadId))) throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
    const trash = this.layout.tempPath();
    await rename(this.layout.uploadDir(bucket.name, uploadId), trash);
    return trash;
  }

  async abort(bucket: Bucket, uploadId: string): Promise<void> {
    const trash = await bucket.lock.run(async () => {
      bucket.assertLive();
      return this.detach(bucket, uploadId);
    });
    await rm(trash, { recursive: true, force: true });
  }
}
