// aws-chunked decoder: malformed, tampered and truncated bodies, and what reaches downstream before the error.
import { describe, expect, it } from 'vitest';
import { createAwsChunkedDecoder, type AwsChunkedMode, type AwsChunkedOptions, type ChunkSigning } from '../../../src/body/chunked.js';
import { trailerStringToSign } from '../../../src/body/chunked-signature.js';
import { hmacSha256Hex as signHex } from '../../../src/s3/hash.js';
import { CHECKSUM_ALGORITHMS, checksumHeaderName } from '../../../src/s3/checksums.js';
import { isS3Error } from '../../../src/s3/errors.js';
import { deriveSigningKey, encodeAwsChunked, runStage, splitAt } from '../../helpers/aws-chunked-encode.js';

const SIGNED: AwsChunkedMode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
const SIGNED_TRAILER: AwsChunkedMode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
const UNSIGNED: AwsChunkedMode = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

const SIGNING: ChunkSigning = {
  signingKey: deriveSigningKey('test-secret-key', '20250101', 'us-east-1'),
  timestamp: '20250101T000000Z',
  scope: '20250101/us-east-1/s3/aws4_request',
  seedSignature: '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
};

/** 8192 + 8192 + 100 bytes that differ from chunk to chunk. */
const SIZES = [8192, 8192, 100];
const PAYLOAD = Buffer.from(Array.from({ length: 16484 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
const HELLO = Buffer.from('Hello World');

const signedBody = (mode: AwsChunkedMode = SIGNED, trailer?: { name: string; value?: string }) =>
  encodeAwsChunked(PAYLOAD, { chunkSizes: SIZES, mode, signing: SIGNING, trailer });
const unsignedBody = (text: string) => Buffer.from(text, 'latin1');

/** Replaces the n-th (0-based) occurrence of `search`. */
function replace(body: Buffer, search: string, replacement: string, n = 0): Buffer {
  let at = -1;
  for (let i = 0; i <= n; i++) at = body.indexOf(search, at + 1, 'latin1');
  if (at === -1) throw new Error(`'${search}' not found`);
  return Buffer.concat([body.subarray(0, at), Buffer.from(replacement, 'latin1'), body.subarray(at + search.length)]);
}

/** Swaps the hex digit `offset` bytes after the n-th `marker` for another one. */
function flipAfter(body: Buffer, marker: string, offset: number, n = 0): Buffer {
  let at = -1;
  for (let i = 0; i <= n; i++) at = body.indexOf(marker, at + 1, 'latin1');
  const copy = Buffer.from(body);
  const pos = at + marker.length + offset;
  copy[pos] = copy[pos] === 0x30 ? 0x31 : 0x30;
  return copy;
}

const badSignature = (body: Buffer, n: number) => flipAfter(body, 'chunk-signature=', 10, n);

interface BadCase {
  name: string;
  opts: Omit<AwsChunkedOptions, 'signing'>;
  body: Buffer;
  code: string;
  message?: string;
  /** Most bytes downstream may have received: nothing unverified. */
  maxOutput: number;
}

const pl = PAYLOAD.length;
const signedOpts = { mode: SIGNED, decodedLength: pl };
const unsignedOpts = { mode: UNSIGNED, decodedLength: 11, trailer: 'x-amz-checksum-crc32' };

const badCases: BadCase[] = [
  { name: 'wrong signature on the middle chunk', opts: signedOpts, body: badSignature(signedBody(), 1), code: 'SignatureDoesNotMatch', maxOutput: 8192 },
  {
    name: 'wrong signature on the first chunk (bad seed chain)',
    opts: signedOpts,
    body: badSignature(signedBody(), 0),
    code: 'SignatureDoesNotMatch',
    maxOutput: 0,
  },
  {
    name: 'wrong signature on the final 0-size chunk',
    opts: signedOpts,
    body: badSignature(signedBody(), 3),
    code: 'SignatureDoesNotMatch',
    maxOutput: pl - 1,
  },
  {
    name: 'data byte changed in the last chunk',
    opts: signedOpts,
    body: (() => {
      const b = Buffer.from(signedBody());
      b[b.length - 120] = b[b.length - 120]! ^ 1;
      return b;
    })(),
    code: 'SignatureDoesNotMatch',
    maxOutput: 16384,
  },
  {
    name: 'missing chunk-signature in signed mode',
    opts: signedOpts,
    body: replace(signedBody(), ';chunk-signature=', ';chunk-signaturX='),
    code: 'InvalidRequest',
    maxOutput: 0,
  },
  { name: 'truncated inside chunk data', opts: signedOpts, body: signedBody().subarray(0, 9000), code: 'IncompleteBody', maxOutput: 8192 },
  { name: 'truncated inside a chunk header', opts: signedOpts, body: signedBody().subarray(0, 8192 + 88 + 2 + 40), code: 'IncompleteBody', maxOutput: 8192 },
  {
    name: 'missing final chunk',
    opts: { mode: SIGNED },
    body: (() => {
      const b = signedBody();
      return b.subarray(0, b.indexOf('0;chunk-signature=', b.length - 100, 'latin1'));
    })(),
    code: 'IncompleteBody',
    maxOutput: pl - 1,
  },
  { name: 'chunk size not hex', opts: signedOpts, body: replace(signedBody(), '2000;', '2g00;'), code: 'InvalidRequest', maxOutput: 0 },
  { name: 'chunk size with 0x prefix', opts: signedOpts, body: replace(signedBody(), '2000;', '0x2000;'), code: 'InvalidRequest', maxOutput: 0 },
  { name: 'negative chunk size', opts: unsignedOpts, body: unsignedBody('-b\r\nHello World\r\n0\r\n\r\n'), code: 'InvalidRequest', maxOutput: 0 },
  { name: 'chunk header line without CR', opts: unsignedOpts, body: unsignedBody('b\nHello World\r\n0\r\n\r\n'), code: 'InvalidRequest', maxOutput: 0 },
  { name: 'chunk data not followed by CRLF', opts: unsignedOpts, body: unsignedBody('a\r\nHello World\r\n0\r\n\r\n'), code: 'InvalidRequest', maxOutput: 9 },
  {
    name: 'chunk header longer than 4 KiB',
    opts: unsignedOpts,
    body: unsignedBody(`b;${'x'.repeat(5000)}\r\nHello World\r\n0\r\n\r\n`),
    code: 'InvalidRequest',
    maxOutput: 0,
  },
  { name: 'signed chunk over maxChunkSize', opts: { ...signedOpts, maxChunkSize: 8191 }, body: signedBody(), code: 'InvalidRequest', maxOutput: 0 },
  { name: 'decoded length larger than the data', opts: { mode: SIGNED, decodedLength: pl + 1 }, body: signedBody(), code: 'IncompleteBody', maxOutput: pl - 1 },
  { name: 'decoded length smaller than the data', opts: { mode: SIGNED, decodedLength: pl - 1 }, body: signedBody(), code: 'IncompleteBody', maxOutput: 16384 },
  {
    name: 'unsigned: decoded length smaller than the data',
    opts: { ...unsignedOpts, decodedLength: 10 },
    body: unsignedBody('b\r\nHello World\r\n0\r\n\r\n'),
    code: 'IncompleteBody',
    maxOutput: 0,
  },
  { name: 'bytes after the end', opts: signedOpts, body: Buffer.concat([signedBody(), Buffer.from('x')]), code: 'InvalidRequest', maxOutput: pl - 1 },
  {
    name: 'an extra CRLF after the end',
    opts: unsignedOpts,
    body: unsignedBody('b\r\nHello World\r\n0\r\nx-amz-checksum-crc32:ShexVg==\r\n\r\n\r\n'),
    code: 'InvalidRequest',
    maxOutput: 10,
  },
  {
    name: 'trailer lines in the non-trailer signed mode',
    opts: signedOpts,
    body: Buffer.concat([signedBody().subarray(0, -2), Buffer.from('x-amz-checksum-crc32:AAAAAA==\r\n\r\n')]),
    code: 'InvalidRequest',
    maxOutput: pl - 1,
  },
  {
    name: 'trailer checksum wrong (unsigned)',
    opts: unsignedOpts,
    body: unsignedBody('b\r\nHello World\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'),
    code: 'BadDigest',
    message: 'The CRC32 you specified did not match the calculated checksum.',
    maxOutput: 10,
  },
  {
    name: 'trailer checksum wrong but correctly signed',
    opts: { mode: SIGNED_TRAILER, decodedLength: pl, trailer: 'x-amz-checksum-sha256' },
    body: signedBody(SIGNED_TRAILER, { name: 'x-amz-checksum-sha256', value: Buffer.alloc(32).toString('base64') }),
    code: 'BadDigest',
    message: 'The SHA256 you specified did not match the calculated checksum.',
    maxOutput: pl - 1,
  },
  {
    name: 'trailer value changed after signing',
    opts: { mode: SIGNED_TRAILER, decodedLength: pl, trailer: 'x-amz-checksum-crc32' },
    body: replace(signedBody(SIGNED_TRAILER, { name: 'x-amz-checksum-crc32', value: 'AAAAAA==' }), 'AAAAAA==', 'AAAAAQ=='),
    code: 'SignatureDoesNotMatch',
    maxOutput: pl - 1,
  },
  {
    name: 'trailer signature wrong',
    opts: { mode: SIGNED_TRAILER, decodedLength: pl, trailer: 'x-amz-checksum-crc32' },
    body: flipAfter(signedBody(SIGNED_TRAILER, { name: 'x-amz-checksum-crc32' }), 'x-amz-trailer-signature:', 20),
    code: 'SignatureDoesNotMatch',
    maxOutput: pl - 1,
  },
  {
    name: 'trailer signature malformed',
    opts: { mode: SIGNED_TRAILER, decodedLength: pl, trailer: 'x-amz-checksum-crc32' },
    body: replace(signedBody(SIGNED_TRAILER, { name: 'x-amz-checksum-crc32' }), 'x-amz-trailer-signature:', 'x-amz-trailer-signature:0123'),
    code: 'InvalidRequest',
    maxOutput: pl - 1,
  },
  {
    name: 'trailer signature missing',
    opts: { mode: SIGNED_TRAILER, decodedLength: pl, trailer: 'x-amz-checksum-crc32' },
    body: (() => {
      const b = signedBody(SIGNED_TRAILER, { name: 'x-amz-checksum-crc32' });
      return Buffer.concat([b.subarray(0, b.indexOf('x-amz-trailer-signature', 0, 'latin1')), Buffer.from('\r\n')]);
    })(),
    code: 'IncompleteBody',
    maxOutput: pl - 1,
  },
  { name: 'announced trailer missing', opts: unsignedOpts, body: unsignedBody('b\r\nHello World\r\n0\r\n\r\n'), code: 'IncompleteBody', maxOutput: 10 },
  {
    name: 'announced trailer missing, no closing line',
    opts: unsignedOpts,
    body: unsignedBody('b\r\nHello World\r\n0\r\n'),
    code: 'IncompleteBody',
    maxOutput: 10,
  },
  {
    name: 'trailer not announced',
    opts: { mode: UNSIGNED, decodedLength: 11 },
    body: unsignedBody('b\r\nHello World\r\n0\r\nx-amz-checksum-crc32:ShexVg==\r\n\r\n'),
    code: 'InvalidRequest',
    maxOutput: 10,
  },
  {
    name: 'a different trailer than announced',
    opts: { ...unsignedOpts, trailer: 'x-amz-checksum-crc32c' },
    body: unsignedBody('b\r\nHello World\r\n0\r\nx-amz-checksum-crc32:ShexVg==\r\n\r\n'),
    code: 'InvalidRequest',
    maxOutput: 10,
  },
  {
    name: 'trailer sent twice',
    opts: unsignedOpts,
    body: unsignedBody('b\r\nHello World\r\n0\r\nx-amz-checksum-crc32:ShexVg==\r\nx-amz-checksum-crc32:ShexVg==\r\n\r\n'),
    code: 'InvalidRequest',
    maxOutput: 10,
  },
  {
    name: 'trailer value of the wrong length',
    opts: unsignedOpts,
    body: unsignedBody('b\r\nHello World\r\n0\r\nx-amz-checksum-crc32:ShexVgAA\r\n\r\n'),
    code: 'InvalidRequest',
    maxOutput: 10,
  },
  {
    name: 'trailer value not canonical base64',
    opts: unsignedOpts,
    body: unsignedBody('b\r\nHello World\r\n0\r\nx-amz-checksum-crc32:ShexVh==\r\n\r\n'),
    code: 'InvalidRequest',
    maxOutput: 10,
  },
  {
    name: 'trailer line without colon',
    opts: unsignedOpts,
    body: unsignedBody('b\r\nHello World\r\n0\r\nx-amz-checksum-crc32 ShexVg==\r\n\r\n'),
    code: 'InvalidRequest',
    maxOutput: 10,
  },
  {
    name: 'trailer signature in unsigned mode',
    opts: unsignedOpts,
    body: unsignedBody(`b\r\nHello World\r\n0\r\nx-amz-checksum-crc32:ShexVg==\r\nx-amz-trailer-signature:${'0'.repeat(64)}\r\n\r\n`),
    code: 'InvalidRequest',
    maxOutput: 10,
  },
  {
    name: 'truncated inside the trailer',
    opts: unsignedOpts,
    body: unsignedBody('b\r\nHello World\r\n0\r\nx-amz-checksum-crc32:She'),
    code: 'IncompleteBody',
    maxOutput: 10,
  },
  { name: 'empty body', opts: unsignedOpts, body: Buffer.alloc(0), code: 'IncompleteBody', maxOutput: 0 },
];

const feeds = [
  { feed: 'whole', split: (b: Buffer) => [b] },
  {
    feed: '4096-byte pieces',
    split: (b: Buffer) =>
      splitAt(
        b,
        Array.from({ length: Math.ceil(b.length / 4096) }, (_, i) => i * 4096),
      ),
  },
  {
    feed: '1-byte pieces',
    split: (b: Buffer) =>
      splitAt(
        b,
        Array.from({ length: b.length }, (_, i) => i),
      ),
  },
];

describe('bad bodies are rejected and never fully released', () => {
  it.each(badCases.flatMap((c) => feeds.map((f) => ({ ...c, ...f }))))('$name ($feed) → $code', async (c) => {
    const decoder = createAwsChunkedDecoder({ ...c.opts, signing: c.opts.mode === UNSIGNED ? undefined : SIGNING });
    const { output, error } = await runStage(decoder, c.split(c.body));
    expect(isS3Error(error)).toBe(true);
    expect((error as { code: string }).code).toBe(c.code);
    if (c.message) expect((error as Error).message).toBe(c.message);
    expect(output.length).toBeLessThanOrEqual(c.maxOutput);
    // Whatever was released is a verified prefix of the payload.
    const source = c.opts.mode === UNSIGNED ? HELLO : PAYLOAD;
    expect(output.equals(source.subarray(0, output.length))).toBe(true);
  });

  it('releases verified chunks before a later bad one, but not the bad chunk', async () => {
    const { output, error } = await runStage(
      createAwsChunkedDecoder({ ...signedOpts, signing: SIGNING }),
      splitAt(
        badSignature(signedBody(), 1),
        Array.from({ length: 20 }, (_, i) => i * 4096),
      ),
    );
    expect((error as { code: string }).code).toBe('SignatureDoesNotMatch');
    expect(output.length).toBeGreaterThan(0);
    expect(output.length).toBeLessThan(8192);
  });

  it('rejects a huge declared chunk size without allocating it', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const body = Buffer.from(`fffffffffff;chunk-signature=${'0'.repeat(64)}\r\nabc`);
    const { error } = await runStage(createAwsChunkedDecoder({ mode: SIGNED, signing: SIGNING }), [body]);
    expect((error as { code: string }).code).toBe('InvalidRequest');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
  });
});

describe('options that cannot work are refused up front', () => {
  it.each([
    { name: 'unknown checksum algorithm in x-amz-trailer', opts: { mode: UNSIGNED, trailer: 'x-amz-checksum-md5' }, code: 'InvalidRequest' },
    { name: 'non-checksum x-amz-trailer', opts: { mode: UNSIGNED, trailer: 'x-custom' }, code: 'InvalidRequest' },
    {
      name: 'x-amz-trailer with the non-trailer signed mode',
      opts: { mode: SIGNED, signing: SIGNING, trailer: 'x-amz-checksum-crc32' },
      code: 'InvalidRequest',
    },
  ] as Array<{ name: string; opts: AwsChunkedOptions; code: string }>)('$name → $code', ({ opts, code }) => {
    expect(() => createAwsChunkedDecoder(opts)).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    { name: 'signed mode without signing', opts: { mode: SIGNED } },
    { name: 'negative decodedLength', opts: { mode: UNSIGNED, decodedLength: -1 } },
    { name: 'unknown mode', opts: { mode: 'UNSIGNED-PAYLOAD' } },
  ] as Array<{ name: string; opts: AwsChunkedOptions }>)('$name is a programming error', ({ opts }) => {
    expect(() => createAwsChunkedDecoder(opts)).toThrow(TypeError);
  });
});

describe('liberal where senders differ (aws-chunked.md §3)', () => {
  const crcTrailer = 'x-amz-checksum-crc32:ShexVg==';
  it.each([
    { name: 'uppercase hex size', body: `B\r\nHello World\r\n0\r\n${crcTrailer}\r\n\r\n` },
    { name: 'leading zeros in the size', body: `0000b\r\nHello World\r\n0000\r\n${crcTrailer}\r\n\r\n` },
    { name: 'chunk extensions', body: `6;foo=bar\r\nHello \r\n5 ;x\r\nWorld\r\n0;last\r\n${crcTrailer}\r\n\r\n` },
    { name: 'whitespace around the trailer colon', body: 'b\r\nHello World\r\n0\r\nx-amz-checksum-crc32 :\t ShexVg== \r\n\r\n' },
    { name: 'trailer name in mixed case', body: 'b\r\nHello World\r\n0\r\nX-Amz-Checksum-CRC32:ShexVg==\r\n\r\n' },
    { name: 'no closing empty line', body: `b\r\nHello World\r\n0\r\n${crcTrailer}\r\n` },
  ])('unsigned: $name', async ({ body }) => {
    const decoder = createAwsChunkedDecoder(unsignedOpts);
    const { output, error } = await runStage(decoder, splitAt(Buffer.from(body), [1, 5, 9, 20, 30]));
    expect(error).toBeUndefined();
    expect(output.toString()).toBe('Hello World');
    expect(decoder.trailers).toEqual({ 'x-amz-checksum-crc32': 'ShexVg==' });
  });

  it('unsigned-trailer mode without x-amz-trailer and without a trailer', async () => {
    const { output, error } = await runStage(createAwsChunkedDecoder({ mode: UNSIGNED, decodedLength: 11 }), [Buffer.from('b\r\nHello World\r\n0\r\n\r\n')]);
    expect(error).toBeUndefined();
    expect(output.toString()).toBe('Hello World');
  });

  it.each([
    { name: 'signed', mode: SIGNED, trailer: undefined },
    { name: 'signed with trailer', mode: SIGNED_TRAILER, trailer: { name: 'x-amz-checksum-crc32' } },
    { name: 'unsigned with trailer', mode: UNSIGNED, trailer: { name: 'x-amz-checksum-crc32' } },
  ])('empty object, $name', async ({ mode, trailer }) => {
    const body = encodeAwsChunked(Buffer.alloc(0), { chunkSizes: 1, mode, signing: SIGNING, trailer });
    const decoder = createAwsChunkedDecoder({ mode, signing: mode === UNSIGNED ? undefined : SIGNING, decodedLength: 0, trailer: trailer?.name });
    const { output, error } = await runStage(decoder, [body]);
    expect(error).toBeUndefined();
    expect(output.length).toBe(0);
    if (trailer) expect(decoder.trailers).toEqual({ 'x-amz-checksum-crc32': 'AAAAAA==' });
  });

  it.each(['', '\n'])('signed trailer mode with no trailer lines, canonical trailer %j', async (canonical) => {
    const noTrailer = encodeAwsChunked(HELLO, { chunkSizes: 11, mode: SIGNED, signing: SIGNING });
    // Re-sign the end: the trailer signature chains after the last chunk signature.
    const lastSig = noTrailer.toString('latin1').match(/0;chunk-signature=([0-9a-f]{64})/)![1]!;
    const sig = signHex(SIGNING.signingKey, trailerStringToSign(SIGNING, lastSig, canonical));
    const body = Buffer.concat([noTrailer.subarray(0, noTrailer.length - 2), Buffer.from(`x-amz-trailer-signature:${sig}\r\n\r\n`)]);
    const { output, error } = await runStage(createAwsChunkedDecoder({ mode: SIGNED_TRAILER, signing: SIGNING, decodedLength: 11 }), [body]);
    expect(error).toBeUndefined();
    expect(output.toString()).toBe('Hello World');
  });

  it.each(CHECKSUM_ALGORITHMS)('trailing %s checksum verified in both trailer modes', async (alg) => {
    const name = checksumHeaderName(alg);
    for (const mode of [UNSIGNED, SIGNED_TRAILER]) {
      const body = encodeAwsChunked(PAYLOAD, { chunkSizes: SIZES, mode, signing: SIGNING, trailer: { name } });
      const decoder = createAwsChunkedDecoder({ mode, signing: mode === UNSIGNED ? undefined : SIGNING, decodedLength: pl, trailer: name });
      const { output, error } = await runStage(decoder, [body]);
      expect(error).toBeUndefined();
      expect(output.equals(PAYLOAD)).toBe(true);
      expect(decoder.verifiedChecksum?.alg).toBe(alg);
    }
  });
});
