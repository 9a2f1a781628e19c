// Browser POST uploads, body stage: finds where the file part's data ends, so the file streams on without a per-byte parser (post-object.md §6).

/**
 * Splits the bytes after the start of the file part's data into the file's data and what follows it, the
 * delimiter `CRLF--boundary` that ends the part (RFC 7578 / RFC 2046 §5.1.1: no delimiter occurs inside a part's
 * data). The search is Buffer#indexOf (native) per chunk; the last bytes of a chunk that could begin a delimiter
 * are carried over to the next one, so a delimiter split between chunks is found and never passed on as data.
 * Once found, `rest` is everything from the delimiter on: the form's parser reads that again (closing delimiter,
 * fields after the file, a second file), so the form's rules stay in one place.
 */
export class FileDataScanner {
  private readonly delimiter: Buffer;
  private carry: Buffer = Buffer.alloc(0);
  private found = false;

  constructor(boundary: string) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  /** The file's data in `chunk` (in order), and `rest` once the delimiter has been seen. */
  push(chunk: Buffer): { data: Buffer[]; rest?: Buffer } {
    if (this.found) return { data: [], rest: chunk };
    const d = this.delimiter;
    const data: Buffer[] = [];
    if (this.carry.length > 0 && chunk.length < d.length - 1) {
      // Too short to settle whether the carried bytes begin a delimiter: read them as one piece with it.
      const joined = Buffer.concat([this.carry, chunk]);
      this.carry = Buffer.alloc(0);
      return this.push(joined);
    }
    if (this.carry.length > 0) {
      // A delimiter that starts in the carried bytes: look at them with just enough of the new chunk.
      const probe = Buffer.concat([this.carry, chunk.subarray(0, d.length - 1)]);
      const at = probe.indexOf(d);
      if (at >= 0 && at < this.carry.length) {
        this.found = true;
        if (at > 0) data.push(this.carry.subarray(0, at));
        const rest = Buffer.concat([this.carry.subarray(at), chunk]);
        this.carry = Buffer.alloc(0);
        return { data, rest };
      }
      data.push(this.carry);
      this.carry = Buffer.alloc(0);
    }
    const at = chunk.indexOf(d);
    if (at >= 0) {
      this.found = true;
      if (at > 0) data.push(chunk.subarray(0, at));
      return { data, rest: chunk.subarray(at) };
    }
    // Keep back the longest tail that is a proper prefix of the delimiter; the rest is data for sure.
    const keep = partialMatchAtEnd(chunk, d);
    if (chunk.length > keep) data.push(keep > 0 ? chunk.subarray(0, chunk.length - keep) : chunk);
    // A copy: the carry is small, and must not pin the whole chunk.
    if (keep > 0) this.carry = Buffer.from(chunk.subarray(chunk.length - keep));
    return { data };
  }
}

/** The length of the longest suffix of `chunk` that is a proper prefix of `needle` (0 when none). */
export function partialMatchAtEnd(chunk: Buffer, needle: Buffer): number {
  // The needle starts with CR, which is rare in a suffix: try only the positions where one is.
  const from = Math.max(0, chunk.length - needle.length + 1);
  for (let i = chunk.indexOf(needle[0]!, from); i >= 0; i = chunk.indexOf(needle[0]!, i + 1)) {
    const n = chunk.length - i;
    if (chunk.compare(needle, 0, n, i, chunk.length) === 0) return n;
  }
  return 0;
}
