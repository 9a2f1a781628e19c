// aws-chunked decoder properties: any chunking and any input split decode the same; any single-byte corruption is caught before the payload is fully released.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAwsChunkedDecoder, type AwsChunkedMode, type ChunkSigning } from '../../../src/body/chunked.js';
import { CHECKSUM_ALGORITHMS, checksumHeaderName } from '../../../src/s3/checksums.js';
import { isS3Error } from '../../../src/s3/errors.js';
import { deriveSigningKey, encodeAwsChunked, runStage, splitAt } from '../../helpers/aws-chunked-encode.js';

const SIGNING: ChunkSigning = {
  signingKey: deriveSigningKey('fuzz-secret', '20250601', 'eu-west-1'),
  timestamp: '20250601T120000Z',
  scope: '20250601/eu-west-1/s3/aws4_request',
  seedSignature: 'c0ffee'.padEnd(64, '0'),
};
const MODES: AwsChunkedMode[] = ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'];
// Bounded so the suite stays fast; raise with FUZZ_RUNS for a longer hunt.
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

/** A payload, how to chunk it, a mode and a trailer algorithm (or none). */
const bodyArb = (minLength: number) =>
  fc
    .record({
      payload: fc.uint8Array({ minLength, maxLength: 400 }).map((a) => Buffer.from(a)),
      cuts: fc.array(fc.nat(400), { maxLength: 12 }),
      mode: fc.constantFrom(...MODES),
      alg: fc.option(fc.constantFrom(...CHECKSUM_ALGORITHMS), { nil: undefined }),
    })
    .map(({ payload, cuts, mode, alg }) => {
      const sizes = splitAt(payload, cuts).map((p) => p.length);
      const trailer = mode === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' || alg === undefined ? undefined : checksumHeaderName(alg);
      const body = encodeAwsChunked(payload, { chunkSizes: sizes, mode, signing: SIGNING, trailer: trailer ? { name: trailer } : undefined });
      return { payload, mode, trailer, body };
    });

const decoderFor = (mode: AwsChunkedMode, trailer: string | undefined, decodedLength: number) =>
  createAwsChunkedDecoder({ mode, signing: mode === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' ? undefined : SIGNING, decodedLength, trailer });

describe('aws-chunked decoder properties', () => {
  it('any chunking, fed in any pieces, decodes to the payload', async () => {
    await fc.assert(
      fc.asyncProperty(bodyArb(0), fc.array(fc.nat(1200), { maxLength: 30 }), async ({ payload, mode, trailer, body }, feedCuts) => {
        const decoder = decoderFor(mode, trailer, payload.length);
        const { output, error } = await runStage(decoder, splitAt(body, feedCuts));
        expect(error).toBeUndefined();
        expect(output.equals(payload)).toBe(true);
        expect(Object.keys(decoder.trailers)).toEqual(trailer ? [trailer] : []);
      }),
      { numRuns: RUNS },
    );
  });

  // Every byte of a signed body is covered by a chunk signature or checked by the framing;
  // in the unsigned mode the trailing checksum and decoded length cover the rest. A
  // case-only change of a letter is no corruption (hex digits and header names are
  // case-insensitive), so it is excluded.
  const protectedBody = bodyArb(1).filter(({ mode, trailer }) => mode !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' || trailer !== undefined);

  it('any single-byte corruption is detected, and the payload is never fully released', async () => {
    await fc.assert(
      fc.asyncProperty(protectedBody, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.array(fc.nat(1200), { maxLength: 30 }), async (b, at, delta, feedCuts) => {
        const pos = at % b.body.length;
        const corrupted = Buffer.from(b.body);
        corrupted[pos] = (corrupted[pos]! + delta) & 0xff;
        const before = String.fromCharCode(b.body[pos]!);
        fc.pre(String.fromCharCode(corrupted[pos]!).toLowerCase() !== before.toLowerCase());

        const { output, error } = await runStage(decoderFor(b.mode, b.trailer, b.payload.length), splitAt(corrupted, feedCuts));
        expect(isS3Error(error)).toBe(true);
        expect(output.length).toBeLessThan(b.payload.length);
      }),
      { numRuns: RUNS },
    );
  });

  it('any truncation is detected, and the payload is never fully released', async () => {
    await fc.assert(
      fc.asyncProperty(bodyArb(1), fc.nat(), fc.array(fc.nat(1200), { maxLength: 30 }), async (b, at, feedCuts) => {
        // Dropping only the closing CRLF is accepted on purpose (everything is verified by then).
        const cut = at % (b.body.length - 2);
        const { output, error } = await runStage(decoderFor(b.mode, b.trailer, b.payload.length), splitAt(b.body.subarray(0, cut), feedCuts));
        expect(isS3Error(error)).toBe(true);
        expect(output.length).toBeLessThan(b.payload.length);
      }),
      { numRuns: RUNS },
    );
  });
});
