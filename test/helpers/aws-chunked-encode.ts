// Test helper: builds valid aws-chunked request bodies (aws-chunked.md §3–§4) with real chunk and trailer signatures, and feeds bodies through a stream stage.
import { createHash, createHmac } from 'node:crypto';
import { once } from 'node:events';
import type { Transform } from 'node:stream';
import type { AwsChunkedMode, ChunkSigning } from '../../src/body/chunked.js';
import { algorithmFromHeader, createChecksum } from '../../src/s3/checksums.js';

export interface EncodeAwsChunkedOptions {
  /** Data chunk sizes: a fixed size (last chunk shorter), or every size in order (must sum to data.length, all > 0). */
  chunkSizes: number[] | number;
  mode: AwsChunkedMode;
  /** Required for the signed modes. */
  signing?: ChunkSigning;
  /** One trailer line; for an x-amz-checksum-* name the value defaults to the data's checksum. */
  trailer?: { name: string; value?: string };
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');
const hmacHex = (key: Buffer, s: string) => createHmac('sha256', key).update(s).digest('hex');
const sha256Hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** kSigning of sigv4.md §5, e.g. for ChunkSigning.signingKey. */
export function deriveSigningKey(secretAccessKey: string, date: string, region: string, service = 's3'): Buffer {
  let key = createHmac('sha256', `AWS4${secretAccessKey}`).update(date).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return key;
}

function chunkSizesFor(length: number, sizes: number[] | number): number[] {
  if (typeof sizes === 'number') {
    if (!(sizes > 0)) throw new Error('chunk size must be > 0');
    const out: number[] = [];
    for (let off = 0; off < length; off += sizes) out.push(Math.min(sizes, length - off));
    return out;
  }
  if (sizes.some((s) => !(s > 0)) || sizes.reduce((a, b) => a + b, 0) !== length) {
    throw new Error('chunk sizes must be > 0 and sum to the data length');
  }
  return sizes;
}

/** Encodes `data` as the aws-chunked body a client would send (what the server reads after HTTP de-chunking). */
export function encodeAwsChunked(data: Buffer, opts: EncodeAwsChunkedOptions): Buffer {
  const signed = opts.mode !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
  const signing = opts.signing;
  if (signed && !signing) throw new Error(`${opts.mode} needs signing`);
  let previous = signing?.seedSignature ?? '';
  const sign = (hash: string): string => {
    previous = hmacHex(signing!.signingKey, ['AWS4-HMAC-SHA256-PAYLOAD', signing!.timestamp, signing!.scope, previous, EMPTY_SHA256, hash].join('\n'));
    return previous;
  };
  const parts: Buffer[] = [];
  let offset = 0;
  for (const size of [...chunkSizesFor(data.length, opts.chunkSizes), 0]) {
    const chunk = data.subarray(offset, offset + size);
    offset += size;
    const header = signed ? `${size.toString(16)};chunk-signature=${sign(sha256Hex(chunk))}\r\n` : `${size.toString(16)}\r\n`;
    parts.push(Buffer.from(header, 'latin1'));
    if (size > 0) parts.push(chunk, Buffer.from('\r\n'));
  }
  if (opts.trailer) {
    const name = opts.trailer.name.toLowerCase();
    let value = opts.trailer.value;
    if (value === undefined) {
      const alg = algorithmFromHeader(name);
      if (!alg) throw new Error(`no default value for trailer ${name}`);
      const sum = createChecksum(alg);
      sum.update(data);
      value = sum.digestBase64();
    }
    parts.push(Buffer.from(`${name}:${value}\r\n`, 'latin1'));
    if (signed) {
      const canonical = `${name}:${value}\n`;
      const sig = hmacHex(signing!.signingKey, ['AWS4-HMAC-SHA256-TRAILER', signing!.timestamp, signing!.scope, previous, sha256Hex(canonical)].join('\n'));
      parts.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`, 'latin1'));
    }
  } else if (opts.mode === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER') {
    // No trailer lines: the trailer signature still closes the chain (canonical trailer "").
    const sig = hmacHex(signing!.signingKey, ['AWS4-HMAC-SHA256-TRAILER', signing!.timestamp, signing!.scope, previous, sha256Hex('')].join('\n'));
    parts.push(Buffer.from(`x-amz-trailer-signature:${sig}\r\n`, 'latin1'));
  }
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** Splits `buf` at the given offsets (any order, duplicates and out-of-range ones ignored). */
export function splitAt(buf: Buffer, offsets: number[]): Buffer[] {
  const cuts = [...new Set(offsets.filter((o) => o > 0 && o < buf.length))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, buf.length]) {
    pieces.push(buf.subarray(start, cut));
    start = cut;
  }
  return pieces.filter((p) => p.length > 0);
}

export interface StageResult {
  /** Everything the stage passed downstream. */
  output: Buffer;
  /** The error the stage was destroyed with, if any. */
  error: unknown;
}

/** Writes `pieces` one by one into `stage` (honouring backpressure) and collects its output. */
export async function runStage(stage: Transform, pieces: Buffer[]): Promise<StageResult> {
  const out: Buffer[] = [];
  stage.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<unknown>((resolve) => {
    stage.on('end', () => resolve(undefined));
    stage.on('error', (err) => resolve(err));
  });
  for (const piece of pieces) {
    if (stage.destroyed) break;
    if (!stage.write(piece)) await Promise.race([once(stage, 'drain').catch(() => undefined), done]);
  }
  if (!stage.destroyed) stage.end();
  const error = await done;
  return { output: Buffer.concat(out), error };
}
