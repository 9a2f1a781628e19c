// Embedded store, concurrency: a promise-chain mutex (one per bucket) around the short commit steps, and the folder lock that keeps a second process out.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';

/** Runs critical sections one after another. Only renames and record reads go inside: never a body. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}

/** Whether pid runs; a zombie (killed, not yet reaped by its parent) holds nothing any more. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): kill(0) is all we know
  }
}

/**
 * Takes the data folder for this process: two stores on one folder would each trust their own in-memory index
 * and empty each other's temp area at start. A lock left by a process that is gone (kill -9) is taken over.
 * Returns the release function.
 */
export function lockFolder(lockFile: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) unlinkSync(lockFile);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(lockFile, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new Error(`${lockFile} is held by process ${owner}: another s3bridge uses this data folder (remove the file if that process is not s3bridge)`);
      }
      unlinkSync(lockFile); // stale: its process is gone
    }
  }
  throw new Error(`cannot take ${lockFile}`);
}
