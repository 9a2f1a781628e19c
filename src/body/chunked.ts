// Body stage, aws-chunked bodies: removes the framing and verifies chunk signatures, trailer signature, decoded length and trailing checksum (aws-chunked.md §3–§4, §8).
import { createHash, type Hash } from 'node:crypto';
import type { TransformCallback } from 'node:stream';
import { HoldBack } from './hold-back.js';
import { isAwsChunkedMode, type AwsChunkedMode } from '../s3/payload.js';
import { S3Error } from '../s3/errors.js';
import { algorithmFromHeader, createChecksum, decodeDigest, digestMismatch, type Checksum, type ChecksumAlgorithm } from '../s3/checksums.js';
import { LineReader, PendingChunk, malformed, parseChunkHeader, parseTrailerLine } from './chunked-framing.js';
import { UNBOUNDED, type ByteBudget } from './budget.js';
import { chunkStringToSign, trailerStringToSign, type ChunkSigning } from './chunked-signature.js';
import { EMPTY_SHA256, hmacSha256Hex, secretsEqual } from '../s3/hash.js';

export type { ChunkSigning } from './chunked-signature.js';

export type { AwsChunkedMode } from '../s3/payload.js';

export interface AwsChunkedOptions {
  /** The x-amz-content-sha256 value. */
  mode: AwsChunkedMode;
  /** Required for the two signed modes. */
  signing?: ChunkSigning;
  /** x-amz-decoded-content-length; enforced both ways (IncompleteBody). */
  decodedLength?: number;
  /** x-amz-trailer value, e.g. 'x-amz-checksum-crc32'. Not allowed in the non-trailer signed mode. */
  trailer?: string;
  /** Largest signed chunk held for verification; default 16 MiB. Bigger declared size → InvalidRequest before any allocation. Unsigned chunks are streamed, so not limited. */
  maxChunkSize?: number;
  /** Shared bound on bytes held before verification across all requests (security.md §6); over it → SlowDown. */
  budget?: ByteBudget;
}

export const DEFAULT_MAX_CHUNK_SIZE = 16 * 1024 * 1024;

type State = 'header' | 'data' | 'dataCr' | 'dataLf' | 'trailer' | 'end';

/**
 * Error codes: bad chunk or trailer signature → SignatureDoesNotMatch; body ends early,
 * decoded bytes ≠ decodedLength (either way), announced trailer or trailer signature
 * missing → IncompleteBody; malformed framing, bytes after the end, unannounced or
 * duplicate trailer, chunk over maxChunkSize, undecodable trailer value → InvalidRequest;
 * trailing checksum mismatch → BadDigest.
 *
 * Release rule: decoded bytes go downstream only once verified (signed chunks after
 * their signature; unsigned data as it arrives), and the most recently released piece is
 * always held back until the whole body — last chunk, trailer, trailer signature,
 * checksum, no extra bytes — has been checked at end of input. A downstream upload with
 * Content-Length = decodedLength therefore never receives its last byte from a bad body.
 */
export class AwsChunkedDecoder extends HoldBack {
  readonly #signing: ChunkSigning | undefined;
  readonly #hasTrailerSection: boolean;
  readonly #decodedLength: number | undefined;
  readonly #maxChunkSize: number;
  readonly #trailerName: string | undefined;
  readonly #trailerAlg: ChecksumAlgorithm | undefined;
  readonly #checksum: Checksum | undefined;
  readonly #line = new LineReader();
  readonly #pending = new PendingChunk();
  readonly #budget: ByteBudget;
  /** Bytes of the current signed chunk taken from the budget and not yet verified. */
  #pendingBytes = 0;
  #state: State = 'header';
  #remaining = 0;
  #decoded = 0;
  #previousSignature = '';
  #chunkSignature = '';
  #chunkHash: Hash | undefined;
  #trailers: Record<string, string> = {};
  #canonicalTrailer = '';
  #trailerSignature: string | undefined;
  #verifiedChecksum: { alg: ChecksumAlgorithm; base64: string } | undefined;

  constructor(opts: AwsChunkedOptions) {
    super();
    if (!isAwsChunkedMode(opts.mode)) throw new TypeError('unknown aws-chunked mode');
    const signed = opts.mode !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
    if (signed && !opts.signing) throw new TypeError(`${opts.mode} needs the request's signing context`);
    if (opts.decodedLength !== undefined && !(Number.isSafeInteger(opts.decodedLength) && opts.decodedLength >= 0)) {
      throw new TypeError('decodedLength must be a non-negative integer');
    }
    this.#signing = signed ? opts.signing : undefined;
    this.#previousSignature = this.#signing?.seedSignature.toLowerCase() ?? '';
    this.#hasTrailerSection = opts.mode !== 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
    this.#decodedLength = opts.decodedLength;
    this.#maxChunkSize = opts.maxChunkSize ?? DEFAULT_MAX_CHUNK_SIZE;
    this.#budget = opts.budget ?? UNBOUNDED;
    const trailer = opts.trailer?.trim().toLowerCase();
    if (trailer) {
      if (!this.#hasTrailerSection) throw malformed(`x-amz-trailer cannot be used with x-amz-content-sha256 ${opts.mode}.`);
      this.#trailerAlg = algorithmFromHeader(trailer);
      if (!this.#trailerAlg) throw malformed('The value specified in the x-amz-trailer header is not supported');
      this.#trailerName = trailer;
      this.#checksum = createChecksum(this.#trailerAlg);
    }
  }

  /** Trailing headers received (lowercase names, trimmed values), x-amz-trailer-signature excluded. Complete once the stream ended. */
  get trailers(): Record<string, string> {
    return { ...this.#trailers };
  }

  /** Decoded payload bytes parsed so far (not all of them released yet). */
  get decodedBytes(): number {
    return this.#decoded;
  }

  /** The trailing checksum, once verified against the decoded data (to echo in the response). */
  get verifiedChecksum(): { alg: ChecksumAlgorithm; base64: string } | undefined {
    return this.#verifiedChecksum;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  protected finish(): void {
    // Liberal: a sender that stops right after the last chunk line / last trailer line,
    // without the closing empty line, has still sent everything that is verified.
    if (this.#state === 'trailer' && !this.#line.pending) this.#finish();
    if (this.#state !== 'end') throw new S3Error('IncompleteBody', 'The aws-chunked body ended before its final chunk and trailer.');
  }

  #consume(buf: Buffer): void {
    let pos = 0;
    while (pos < buf.length) {
      switch (this.#state) {
        case 'header':
        case 'trailer': {
          const { line, next } = this.#line.read(buf, pos);
          pos = next;
          if (line === undefined) break;
          if (this.#state === 'header') this.#onChunkHeader(line);
          else this.#onTrailerLine(line);
          break;
        }
        case 'data': {
          const n = Math.min(this.#remaining, buf.length - pos);
          this.#onData(buf.subarray(pos, pos + n));
          pos += n;
          this.#remaining -= n;
          if (this.#remaining === 0) this.#onChunkEnd();
          break;
        }
        case 'dataCr':
        case 'dataLf':
          if (buf[pos++] !== (this.#state === 'dataCr' ? 0x0d : 0x0a)) throw malformed('aws-chunked chunk data is not followed by CRLF.');
          this.#state = this.#state === 'dataCr' ? 'dataLf' : 'header';
          break;
        case 'end':
          throw malformed('Unexpected data after the end of the aws-chunked body.');
      }
    }
  }

  #onChunkHeader(line: string): void {
    const { size, signature } = parseChunkHeader(line, this.#signing !== undefined);
    const expected = this.#decodedLength;
    if (expected !== undefined && this.#decoded + size > expected) {
      throw new S3Error('IncompleteBody', 'The aws-chunked body carries more data than x-amz-decoded-content-length.');
    }
    if (this.#signing && size > this.#maxChunkSize) throw malformed(`An aws-chunked chunk is larger than ${this.#maxChunkSize} bytes.`);
    this.#chunkSignature = signature ?? '';
    if (size > 0) {
      this.#remaining = size;
      this.#chunkHash = this.#signing ? createHash('sha256') : undefined;
      this.#state = 'data';
      return;
    }
    // The 0-size chunk ends the data (§3); it is signed like any other (§4).
    if (this.#signing) this.#verifyChunk(EMPTY_SHA256);
    if (expected !== undefined && this.#decoded !== expected) {
      throw new S3Error('IncompleteBody', 'The aws-chunked body carries less data than x-amz-decoded-content-length.');
    }
    this.#state = 'trailer';
  }

  #onData(piece: Buffer): void {
    this.#decoded += piece.length;
    this.#checksum?.update(piece);
    if (this.#chunkHash) {
      this.#budget.take(piece.length);
      this.#pendingBytes += piece.length;
      this.#chunkHash.update(piece);
      this.#pending.add(piece);
    } else {
      this.release(piece);
    }
  }

  #onChunkEnd(): void {
    if (this.#chunkHash) {
      this.#verifyChunk(this.#chunkHash.digest('hex'));
      this.#chunkHash = undefined;
      this.#giveBack();
      for (const part of this.#pending.take()) this.release(part);
    }
    this.#state = 'dataCr';
  }

  #verifyChunk(dataSha256Hex: string): void {
    const signing = this.#signing!;
    const expected = hmacSha256Hex(signing.signingKey, chunkStringToSign(signing, this.#previousSignature, dataSha256Hex));
    if (!secretsEqual(expected, this.#chunkSignature, true)) throw new S3Error('SignatureDoesNotMatch');
    this.#previousSignature = expected;
  }

  #onTrailerLine(line: string): void {
    if (line === '') return this.#finish();
    if (!this.#hasTrailerSection) throw malformed('Trailing headers are not allowed with x-amz-content-sha256 STREAMING-AWS4-HMAC-SHA256-PAYLOAD.');
    const { name, value } = parseTrailerLine(line);
    if (this.#trailerSignature !== undefined) throw malformed('x-amz-trailer-signature must be the last trailing header.');
    if (name === 'x-amz-trailer-signature') {
      if (!this.#signing) throw malformed('x-amz-trailer-signature is not allowed with STREAMING-UNSIGNED-PAYLOAD-TRAILER.');
      if (!/^[0-9a-fA-F]{64}$/.test(value)) throw malformed('x-amz-trailer-signature is malformed.');
      this.#trailerSignature = value;
      return;
    }
    if (name !== this.#trailerName) throw malformed('A trailing header was sent that x-amz-trailer did not announce.');
    if (this.#trailers[name] !== undefined) throw malformed(`The trailing header ${name} was sent twice.`);
    if (!decodeDigest(this.#trailerAlg!, value)) throw malformed(`Value for ${name} trailing header is invalid.`);
    this.#trailers[name] = value;
    this.#canonicalTrailer += `${name}:${value}\n`;
  }

  /** The empty line after the trailers: verify everything that could only be checked at the end. */
  #finish(): void {
    if (this.#signing && this.#hasTrailerSection) {
      if (this.#trailerSignature === undefined) throw new S3Error('IncompleteBody', 'The aws-chunked body ended without x-amz-trailer-signature.');
      // With no trailer lines, signers differ: "" per §4, "\n" in minio-go; both prove the key.
      const candidates = this.#canonicalTrailer === '' ? ['', '\n'] : [this.#canonicalTrailer];
      const ok = candidates.some((canonical) =>
        secretsEqual(
          hmacSha256Hex(this.#signing!.signingKey, trailerStringToSign(this.#signing!, this.#previousSignature, canonical)),
          this.#trailerSignature!,
          true,
        ),
      );
      if (!ok) throw new S3Error('SignatureDoesNotMatch');
    }
    if (this.#trailerName !== undefined) {
      const value = this.#trailers[this.#trailerName];
      if (value === undefined)
        throw new S3Error('IncompleteBody', `The aws-chunked body ended without the ${this.#trailerName} trailer announced in x-amz-trailer.`);
      if (!this.#checksum!.digest().equals(decodeDigest(this.#trailerAlg!, value)!)) throw digestMismatch(this.#trailerAlg!);
      this.#verifiedChecksum = { alg: this.#trailerAlg!, base64: value };
    }
    this.#state = 'end';
  }

  #giveBack(): void {
    this.#budget.give(this.#pendingBytes);
    this.#pendingBytes = 0;
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    // A failed or abandoned body drops its unverified chunk: its bytes go back to the shared budget.
    this.#giveBack();
    this.#pending.take();
    callback(err);
  }
}

export function createAwsChunkedDecoder(opts: AwsChunkedOptions): AwsChunkedDecoder {
  return new AwsChunkedDecoder(opts);
}
