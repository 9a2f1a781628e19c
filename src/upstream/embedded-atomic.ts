// Embedded backend (child process): makes s3rver's filesystem store commit an object or part only once its body arrived whole.
// s3rver writes uploads straight to the final path and never notices an aborted request, so an upload that
// s3bridge aborted (failed signature, checksum, client gone) would leave a truncated object behind.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

interface StoredObject { bucket: string; key: string; metadata: unknown; content: Readable | Buffer }
interface FilesystemStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
  putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
  putPart(bucket: string, uploadId: string, partNumber: number, content: Readable): Promise<{ size: number; md5: string }>;
}

/** Writes content to a temporary file beside `finalPath` and renames it into place only when complete. */
export async function writeAtomically(finalPath: string, content: Readable | Buffer): Promise<{ size: number; md5: string }> {
  // The body may fail while the folder is created; pipeline below still sees that (the stream is
  // destroyed), but the error must not go unhandled in between.
  if (!Buffer.isBuffer(content)) content.on('error', () => {});
  await mkdir(dirname(finalPath), { recursive: true });
  const tmp = `${finalPath}.partial-${randomBytes(6).toString('hex')}`;
  const md5 = createHash('md5');
  let size = 0;
  try {
    if (Buffer.isBuffer(content)) {
      md5.update(content);
      size = content.length;
      await pipeline([content], createWriteStream(tmp));
    } else {
      const hash = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          md5.update(chunk);
          size += chunk.length;
          cb(null, chunk);
        },
      });
      // pipeline (unlike .pipe) fails when the request is aborted, so nothing is committed then.
      await pipeline(content, hash, createWriteStream(tmp));
    }
    await rename(tmp, finalPath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { size, md5: md5.digest('hex') };
}

export function makeStoreAtomic(): void {
  const require = createRequire(import.meta.url);
  const Store = require('s3rver/lib/stores/filesystem') as { prototype: FilesystemStore };
  Store.prototype.putObject = async function putObject(this: FilesystemStore, object: StoredObject) {
    const result = await writeAtomically(this.getResourcePath(object.bucket, object.key, 'object'), object.content);
    await this.putMetadata(object.bucket, object.key, object.metadata, result.md5);
    return result;
  };
  Store.prototype.putPart = async function putPart(this: FilesystemStore, bucket: string, uploadId: string, partNumber: number, content: Readable) {
    return writeAtomically(join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber)), content);
  };
}
