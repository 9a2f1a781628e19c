// Checksum-verifying pass-through: matching bodies flow through unchanged, bad ones never release their last byte.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createAwsChunkedDecoder } from '../../../src/body/chunked.js';
import { createChecksumCheck } from '../../../src/body/checksum-check.js';
import { CHECKSUM_ALGORITHMS, createChecksum, requestChecksums, type DigestAlgorithm } from '../../../src/s3/checksums.js';
import { encodeAwsChunked, runStage, splitAt } from '../../helpers/aws-chunked-encode.js';

const BODY = Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 7 + 3) & 0xff));
const ALL: DigestAlgorithm[] = [...CHECKSUM_ALGORITHMS, 'MD5'];

function digest(alg: DigestAlgorithm, data: Buffer): string {
  const sum = createChecksum(alg);
  sum.update(data);
  return sum.digestBase64();
}

const feeds = [
  { feed: 'whole', pieces: [BODY] },
  {
    feed: '1000-byte pieces',
    pieces: splitAt(
      BODY,
      Array.from({ length: 20 }, (_, i) => i * 1000),
    ),
  },
  {
    feed: '1-byte pieces',
    pieces: splitAt(
      BODY,
      Array.from({ length: BODY.length }, (_, i) => i),
    ),
  },
];

describe('createChecksumCheck', () => {
  it.each(ALL.flatMap((alg) => feeds.map((f) => ({ alg, ...f }))))('$alg matching, fed $feed: body passes unchanged', async ({ alg, pieces }) => {
    const { output, error } = await runStage(createChecksumCheck([{ alg, base64: digest(alg, BODY) }]), pieces);
    expect(error).toBeUndefined();
    expect(output.equals(BODY)).toBe(true);
  });

  it.each(ALL.flatMap((alg) => feeds.map((f) => ({ alg, ...f }))))(
    '$alg mismatch, fed $feed: BadDigest and the last bytes held back',
    async ({ alg, pieces }) => {
      const wrong = digest(alg, Buffer.from('something else'));
      const { output, error } = await runStage(createChecksumCheck([{ alg, base64: wrong }]), pieces);
      expect(error).toMatchObject({
        code: 'BadDigest',
        message:
          alg === 'MD5' ? 'The Content-MD5 you specified did not match what we received.' : `The ${alg} you specified did not match the calculated checksum.`,
      });
      expect(output.length).toBe(BODY.length - pieces[pieces.length - 1]!.length);
    },
  );

  it('checks every expected digest: a good CRC32 does not excuse a bad Content-MD5', async () => {
    const check = createChecksumCheck([
      { alg: 'CRC32', base64: digest('CRC32', BODY) },
      { alg: 'MD5', base64: digest('MD5', Buffer.from('x')) },
    ]);
    const { error } = await runStage(check, [BODY]);
    expect(error).toMatchObject({ code: 'BadDigest', message: 'The Content-MD5 you specified did not match what we received.' });
  });

  it('empty body: matches the empty checksum, and a mismatch still fails', async () => {
    expect((await runStage(createChecksumCheck([{ alg: 'CRC32', base64: 'AAAAAA==' }]), [])).error).toBeUndefined();
    expect((await runStage(createChecksumCheck([{ alg: 'CRC32', base64: 'ShexVg==' }]), [])).error).toMatchObject({ code: 'BadDigest' });
  });

  it('no expected digests: plain pass-through', async () => {
    const { output, error } = await runStage(createChecksumCheck([]), splitAt(BODY, [5, 500]));
    expect(error).toBeUndefined();
    expect(output.equals(BODY)).toBe(true);
  });

  it('an undecodable expected value fails safe', async () => {
    const { output, error } = await runStage(createChecksumCheck([{ alg: 'SHA256', base64: 'ShexVg==' }]), [BODY]);
    expect(error).toMatchObject({ code: 'InvalidRequest' });
    expect(output.length).toBe(0);
  });

  it('verifies a checksum header over an aws-chunked body after decoding', async () => {
    const headers = { 'x-amz-checksum-sha256': digest('SHA256', BODY), 'x-amz-sdk-checksum-algorithm': 'SHA256' };
    const body = encodeAwsChunked(BODY, { chunkSizes: 3000, mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' });
    const received: Buffer[] = [];
    const sink = new Writable({
      write: (c: Buffer, _e, cb) => {
        received.push(c);
        cb();
      },
    });
    const decoder = createAwsChunkedDecoder({ mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', decodedLength: BODY.length });
    await pipeline(Readable.from(splitAt(body, [100, 7000])), decoder, createChecksumCheck(requestChecksums(headers).expected), sink);
    expect(Buffer.concat(received).equals(BODY)).toBe(true);

    received.length = 0;
    const bad = createChecksumCheck(requestChecksums({ 'x-amz-checksum-sha256': digest('SHA256', Buffer.from('x')) }).expected);
    const decoder2 = createAwsChunkedDecoder({ mode: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', decodedLength: BODY.length });
    await expect(pipeline(Readable.from([body]), decoder2, bad, sink)).rejects.toMatchObject({ code: 'BadDigest' });
    expect(Buffer.concat(received).length).toBeLessThan(BODY.length);
  });
});
