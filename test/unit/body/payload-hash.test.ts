// createPayloadHashCheck: passes bytes through, withholds the last chunk until the SHA-256 matched, respects backpressure.
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createPayloadHashCheck } from '../../../src/body/payload-hash.js';
import { S3Error } from '../../../src/s3/errors.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Pipes chunks through the check into a collecting sink; resolves with what the sink saw and the error, if any. */
async function run(chunks: Buffer[], expected: string): Promise<{ received: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      parts.push(c);
      cb();
    },
  });
  try {
    await pipeline(Readable.from(chunks), createPayloadHashCheck(expected), sink);
    return { received: Buffer.concat(parts) };
  } catch (error) {
    return { received: Buffer.concat(parts), error };
  }
}

describe('createPayloadHashCheck', () => {
  const data = Buffer.from('The quick brown fox jumps over the lazy dog, several times over.');
  const pieces = [data.subarray(0, 10), data.subarray(10, 11), data.subarray(11, 40), data.subarray(40)];

  it.each([
    ['one chunk', [data]],
    ['several chunks', pieces],
    ['one byte at a time', [...data].map((b) => Buffer.from([b]))],
    ['with empty chunks in between and at the end', [pieces[0]!, Buffer.alloc(0), pieces[1]!, pieces[2]!, pieces[3]!, Buffer.alloc(0)]],
  ])('match, %s: every byte passes, in order', async (_name, chunks) => {
    const { received, error } = await run(chunks, sha(data));
    expect(error).toBeUndefined();
    expect(received.equals(data)).toBe(true);
  });

  it('uppercase expected hex still matches', async () => {
    expect((await run(pieces, sha(data).toUpperCase())).error).toBeUndefined();
  });

  it('empty body against the empty hash', async () => {
    const { received, error } = await run([], 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(error).toBeUndefined();
    expect(received.length).toBe(0);
  });

  it.each([
    ['last byte changed', [...pieces.slice(0, 3), Buffer.concat([pieces[3]!.subarray(0, -1), Buffer.from('!')])]],
    ['body truncated', pieces.slice(0, 3)],
    ['one byte body', [Buffer.from('x')]],
  ])('mismatch, %s: XAmzContentSHA256Mismatch and the last chunk never reaches the sink', async (_name, chunks) => {
    const sent = Buffer.concat(chunks);
    const { received, error } = await run(chunks, sha(data));
    expect(error).toBeInstanceOf(S3Error);
    expect(error).toMatchObject({
      code: 'XAmzContentSHA256Mismatch',
      status: 400,
      elements: { ClientComputedContentSHA256: sha(data), S3ComputedContentSHA256: sha(sent) },
    });
    expect(received.length).toBe(sent.length - chunks[chunks.length - 1]!.length);
    expect(received.equals(sent.subarray(0, received.length))).toBe(true);
  });

  it('mismatch on an empty body', async () => {
    const { error } = await run([], sha(data));
    expect(error).toMatchObject({ code: 'XAmzContentSHA256Mismatch' });
  });

  it('respects backpressure: a slow consumer keeps the producer only a few chunks ahead', async () => {
    const CHUNK = 16 * 1024;
    const COUNT = 128; // 2 MiB in all
    let produced = 0;
    let consumed = 0;
    let maxAhead = 0;
    const source = new Readable({
      highWaterMark: CHUNK,
      read() {
        if (produced === COUNT) {
          this.push(null);
          return;
        }
        const chunk = Buffer.alloc(CHUNK, produced % 251);
        produced++;
        maxAhead = Math.max(maxAhead, produced - consumed);
        this.push(chunk);
      },
    });
    // Hash of the whole source, computed up front from the same bytes.
    const expected = createHash('sha256');
    for (let i = 0; i < COUNT; i++) expected.update(Buffer.alloc(CHUNK, i % 251));
    const sink = new Writable({
      highWaterMark: CHUNK,
      async write(c: Buffer, _e, cb) {
        await sleep(1); // a slow consumer on purpose: backpressure must reach the source
        consumed += c.length / CHUNK;
        cb();
      },
    });
    await pipeline(source, createPayloadHashCheck(expected.digest('hex')), sink);
    expect(consumed).toBe(COUNT);
    // Source, transform (both sides), held chunk and sink buffers: a handful of chunks, never the whole body.
    expect(maxAhead).toBeLessThanOrEqual(8);
  });
});
