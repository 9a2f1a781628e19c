// Embedded store, on disk: the one file format for objects and parts (data, then a JSON record, then an 8-byte footer), written in the temp area and renamed into place only when whole and synced.
//
// Data and record in one file means one rename commits both: two writers of one key can never leave one's bytes
// with the other's metadata, and a reader that opened the file keeps a consistent version even if it is replaced.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Footer: uint32 BE length of the JSON record, then this magic. */
const MAGIC = Buffer.from('S3B1', 'latin1');
const FOOTER = 8;
/** One read at open time covers the footer and a typical record. */
const TAIL_READ = 16 * 1024;
/** Bytes queued before the sink asks the body to wait; big enough that writev batches socket chunks. */
const SINK_HIGH_WATER = 1024 * 1024;
/** Sync dirty pages this often while writing, so the final fsync has little left to wait for. */
const SYNC_EVERY = 64 * 1024 * 1024;

export interface Digest {
  update(chunk: Buffer): unknown;
}

/** A file being written in the temp area. Either seal() + commit (rename) it, or discard() it. */
export class TempBlob {
  size = 0;
  #handle: FileHandle | undefined;
  #syncing: Promise<void> = Promise.resolve();
  #unsynced = 0;

  private constructor(
    readonly path: string,
    handle: FileHandle,
  ) {
    this.#handle = handle;
  }

  static async create(path: string): Promise<TempBlob> {
    return new TempBlob(path, await open(path, 'wx', 0o600));
  }

  /** Appends a whole stream, feeding every byte to the digests. Rejects (and writes nothing more) if the stream fails. */
  async append(source: Readable | readonly Readable[], digests: Digest[]): Promise<void> {
    const streams = Array.isArray(source) ? source : [source as Readable];
    await pipeline([...streams, this.#sink(digests)]);
  }

  #sink(digests: Digest[]): Writable {
    const write = async (chunks: Buffer[]): Promise<void> => {
      for (const c of chunks) for (const d of digests) d.update(c);
      let bytes = 0;
      for (const c of chunks) bytes += c.length;
      let position = this.size;
      let pending = chunks;
      // writev may write less than asked (a full disk, a signal): continue from where it stopped.
      while (pending.length > 0) {
        const { bytesWritten } = await this.#handle!.writev(pending, position);
        position += bytesWritten;
        pending = skip(pending, bytesWritten);
      }
      this.size += bytes;
      this.#unsynced += bytes;
      if (this.#unsynced >= SYNC_EVERY) {
        this.#unsynced = 0;
        const handle = this.#handle!;
        this.#syncing = this.#syncing.then(() => handle.datasync()).catch(() => undefined);
      }
    };
    return new Writable({
      highWaterMark: SINK_HIGH_WATER,
      writev(chunks, callback) {
        write(chunks.map((c) => c.chunk as Buffer)).then(() => callback(), callback);
      },
      write(chunk: Buffer, _enc, callback) {
        write([chunk]).then(() => callback(), callback);
      },
    });
  }

  /** Appends the record and footer, syncs the data to disk and closes the file: ready to be renamed into place. */
  async seal(record: unknown): Promise<void> {
    const json = Buffer.from(JSON.stringify(record), 'utf8');
    const footer = Buffer.alloc(FOOTER);
    footer.writeUInt32BE(json.length, 0);
    MAGIC.copy(footer, 4);
    const handle = this.#handle!;
    await handle.writev([json, footer], this.size);
    await this.#syncing;
    await handle.datasync();
    this.#handle = undefined;
    await handle.close();
  }

  /** Moves the sealed file to its final name (atomic on one filesystem). */
  async commit(finalPath: string): Promise<void> {
    await rename(this.path, finalPath);
  }

  /** Closes and removes the file; safe to call in any state, any number of times. */
  async discard(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
    await unlink(this.path).catch(() => undefined);
  }
}

function skip(chunks: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const c of chunks) {
    if (n >= c.length) {
      n -= c.length;
    } else {
      out.push(n > 0 ? c.subarray(n) : c);
      n = 0;
    }
  }
  return out;
}

/** A committed file, open: its record and data length. The handle stays valid even if the file is replaced or deleted. */
export interface OpenBlob<R> {
  handle: FileHandle;
  dataSize: number;
  record: R;
}

export class CorruptBlobError extends Error {
  constructor(path: string) {
    super(`${path}: not a store file (bad footer)`);
  }
}

/** Opens a committed file and reads its record; undefined if there is no such file. The caller closes the handle. */
export async function openBlob<R>(path: string): Promise<OpenBlob<R> | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size < FOOTER) throw new CorruptBlobError(path);
    let tailLength = Math.min(size, TAIL_READ);
    let tail = Buffer.allocUnsafe(tailLength);
    await readFully(handle, tail, size - tailLength);
    if (!tail.subarray(tailLength - 4).equals(MAGIC)) throw new CorruptBlobError(path);
    const jsonLength = tail.readUInt32BE(tailLength - FOOTER);
    if (jsonLength + FOOTER > size) throw new CorruptBlobError(path);
    if (jsonLength + FOOTER > tailLength) {
      tailLength = jsonLength + FOOTER;
      tail = Buffer.allocUnsafe(tailLength);
      await readFully(handle, tail, size - tailLength);
    }
    const json = tail.subarray(tailLength - FOOTER - jsonLength, tailLength - FOOTER);
    return { handle, dataSize: size - FOOTER - jsonLength, record: JSON.parse(json.toString('utf8')) as R };
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
}

async function readFully(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await handle.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) throw new Error('unexpected end of file');
    done += bytesRead;
  }
}

/** A stream of data bytes [start, end] of an open blob; it closes the handle when it ends or is destroyed. */
export function blobStream(blob: OpenBlob<unknown>, start: number, end: number): Readable {
  // An empty span: fs streams cannot express it, and there is nothing to read.
  if (end < start) {
    void blob.handle.close().catch(() => undefined);
    return new Readable({
      read() {
        this.push(null);
      },
    });
  }
  return blob.handle.createReadStream({ start, end, highWaterMark: 1024 * 1024 });
}

let lastMs = 0;
let sequence = 0;

/**
 * A unique id for a new write: ties later tag changes to it, and is its version id in a versioned bucket. 24 hex
 * digits: the time in ms, a sequence within the ms, then random, so that ids sort in the order they were made.
 */
export function newVersionId(): string {
  const now = Date.now();
  sequence = now === lastMs ? (sequence + 1) & 0xffff : 0;
  lastMs = now;
  return now.toString(16).padStart(12, '0') + sequence.toString(16).padStart(4, '0') + randomBytes(4).toString('hex');
}
