// Request auth, streaming bodies: byte-level pieces of the aws-chunked grammar (aws-chunked.md §3, §8) used by the decoder in chunked.ts.
import { S3Error } from '../s3/errors.js';

/** Longest chunk-size or trailer line accepted, CRLF included (aws-chunked.md §3: "be strict on lengths"). */
export const MAX_LINE_BYTES = 4096;

const CR = 0x0d;
const LF = 0x0a;

export const malformed = (message: string) => new S3Error('InvalidRequest', message);

/**
 * Collects one CRLF-terminated line across input buffers. Bytes are kept as subarrays
 * until the LF arrives, bounded by `max`; a bare LF or an over-long line is an error.
 */
export class LineReader {
  #parts: Buffer[] = [];
  #length = 0;

  constructor(private readonly max: number = MAX_LINE_BYTES) {}

  /** True when a line has started but not ended. */
  get pending(): boolean {
    return this.#length > 0;
  }

  /**
   * Consumes `buf` from `pos` up to and including the next LF. Returns the line without
   * its CRLF (latin1, so every byte is one char and non-ASCII never matches a grammar
   * regex) and the next read position; `line` is undefined when the rest of `buf` was
   * taken and the line continues in the next buffer.
   */
  read(buf: Buffer, pos: number): { line: string | undefined; next: number } {
    const lf = buf.indexOf(LF, pos);
    const end = lf === -1 ? buf.length : lf + 1;
    this.#length += end - pos;
    if (this.#length > this.max) throw malformed('An aws-chunked chunk header or trailer line is too long.');
    if (lf === -1) {
      this.#parts.push(buf.subarray(pos));
      return { line: undefined, next: end };
    }
    const piece = buf.subarray(pos, end);
    const line = this.#parts.length === 0 ? piece : Buffer.concat([...this.#parts, piece]);
    this.#parts = [];
    this.#length = 0;
    if (line.length < 2 || line[line.length - 2] !== CR) throw malformed('An aws-chunked line does not end in CRLF.');
    return { line: line.toString('latin1', 0, line.length - 2), next: end };
  }
}

// §8: strict hex, at most 16 digits; uppercase accepted (§3 "be liberal").
const SIGNED_HEADER = /^([0-9a-fA-F]{1,16});chunk-signature=([0-9a-fA-F]{64})$/;
// Unsigned chunks may carry arbitrary extensions (HTTP/1.1 chunk-ext style), ignored.
const UNSIGNED_HEADER = /^([0-9a-fA-F]{1,16})[ \t]*(?:;.*)?$/;

export interface ChunkHeader {
  size: number;
  /** Claimed chunk signature (signed modes only), as sent. */
  signature?: string;
}

/** Parses `chunk-size [";chunk-signature=" sig64]` (aws-chunked.md §3). */
export function parseChunkHeader(line: string, signed: boolean): ChunkHeader {
  const m = (signed ? SIGNED_HEADER : UNSIGNED_HEADER).exec(line);
  if (!m) throw malformed('An aws-chunked chunk header is malformed.');
  const size = parseInt(m[1]!, 16);
  if (size > Number.MAX_SAFE_INTEGER) throw malformed('An aws-chunked chunk size is too large.');
  return signed ? { size, signature: m[2]! } : { size };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** Parses `header-name ":" header-value`, whitespace around ':' and the value allowed (§3). */
export function parseTrailerLine(line: string): { name: string; value: string } {
  const colon = line.indexOf(':');
  const name =
    colon === -1
      ? ''
      : line
          .slice(0, colon)
          .replace(/^[ \t]+|[ \t]+$/g, '')
          .toLowerCase();
  if (!TOKEN.test(name)) throw malformed('An aws-chunked trailer line is malformed.');
  return { name, value: line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '') };
}

const SMALL_PIECE = 1024;
const BLOCK_SIZE = 16 * 1024;

/**
 * One signed chunk's bytes, held until its signature is verified. Pieces are kept as
 * subarrays of the input (no copy); pieces under 1 KiB are copied into a shared block
 * so a sender writing byte by byte cannot make us keep one Buffer object per byte.
 */
export class PendingChunk {
  #parts: Buffer[] = [];
  #block: Buffer | undefined;
  #blockStart = 0;
  #blockUsed = 0;

  add(piece: Buffer): void {
    if (piece.length >= SMALL_PIECE) {
      this.#seal();
      this.#parts.push(piece);
      return;
    }
    if (!this.#block || this.#block.length - this.#blockUsed < piece.length) {
      this.#seal();
      this.#block = Buffer.allocUnsafe(BLOCK_SIZE);
      this.#blockStart = this.#blockUsed = 0;
    }
    piece.copy(this.#block, this.#blockUsed);
    this.#blockUsed += piece.length;
  }

  /** Hands over the held pieces in order; later small pieces go after them in the block, never over them. */
  take(): Buffer[] {
    this.#seal();
    const parts = this.#parts;
    this.#parts = [];
    return parts;
  }

  #seal(): void {
    if (this.#block && this.#blockUsed > this.#blockStart) {
      this.#parts.push(this.#block.subarray(this.#blockStart, this.#blockUsed));
      this.#blockStart = this.#blockUsed;
    }
  }
}
