// aws-chunked decoder and signature chain against the AWS documentation vectors and real SDK captures.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createAwsChunkedDecoder, type AwsChunkedMode, type ChunkSigning } from '../../../src/body/chunked.js';
import { chunkStringToSign, trailerStringToSign } from '../../../src/body/chunked-signature.js';
import { hmacSha256Hex as signHex, sha256Hex } from '../../../src/s3/hash.js';

/** Canonical trailer block (aws-chunked.md §4): `name:value\n` per trailer line, LF only. */
const canonicalTrailer = (lines: ReadonlyArray<readonly [string, string]>) => lines.map(([n, v]) => `${n.toLowerCase()}:${v.trim()}\n`).join('');
import { requestChecksums } from '../../../src/s3/checksums.js';
import { deriveSigningKey, encodeAwsChunked, runStage, splitAt } from '../../helpers/aws-chunked-encode.js';

const fixture = (path: string) => readFileSync(new URL(`../../fixtures/chunked/${path}`, import.meta.url));
const text = (path: string) => fixture(path).toString('utf8');

interface Vector {
  id: string;
  credentials: { secretAccessKey: string };
  region: string;
  now: string;
  request: { headers: Array<[string, string]>; bodyFile?: string; bodyBase64?: string };
  signingKeyHex?: string;
  seedSignature?: string;
  chunks?: Array<{ size: number; stringToSign: string; signature: string; header: string }>;
  trailer?: { trailerLines: string[]; canonicalTrailerBytes: string; stringToSign: string; signature: string };
  previousSignature?: string;
  trailerLines?: string[];
  canonicalTrailerBytes?: string;
  stringToSign: string;
  signature: string;
}

const vectors = JSON.parse(text('vectors.json')) as Vector[];
const vector = (id: string) => vectors.find((v) => v.id === id)!;
const SCOPE = '20130524/us-east-1/s3/aws4_request';
const TIMESTAMP = '20130524T000000Z';
const PAYLOAD = Buffer.alloc(66560, 'a');

function docSigning(v: Vector): ChunkSigning {
  return { signingKey: Buffer.from(v.signingKeyHex!, 'hex'), timestamp: TIMESTAMP, scope: SCOPE, seedSignature: v.seedSignature! };
}

const header = (v: Vector, name: string) => v.request.headers.find(([n]) => n.toLowerCase() === name)?.[1];

describe('signature chain (aws-chunked.md §4)', () => {
  it('derives the documented signing key', () => {
    const v = vector('aws-s3-docs/chunked-upload-signed');
    expect(deriveSigningKey(v.credentials.secretAccessKey, '20130524', 'us-east-1').toString('hex')).toBe(v.signingKeyHex);
  });

  const chunkCases = ['aws-s3-docs/chunked-upload-signed', 'aws-s3-docs/chunked-upload-signed-trailer'].flatMap((id) =>
    vector(id).chunks!.map((c, i) => ({ id, i, c })),
  );
  it.each(chunkCases)('$id chunk $i: string to sign and signature', ({ id, i, c }) => {
    const v = vector(id);
    const previous = i === 0 ? v.seedSignature! : v.chunks![i - 1]!.signature;
    const sts = chunkStringToSign(docSigning(v), previous, sha256Hex(PAYLOAD.subarray(0, c.size)));
    expect(sts).toBe(c.stringToSign);
    expect(signHex(docSigning(v).signingKey, sts)).toBe(c.signature);
    expect(text(`${id}/chunk${i + 1}-signature.txt`)).toBe(c.signature);
  });

  it('signed-trailer example: canonical trailer uses LF and gives the documented trailer signature', () => {
    const v = vector('aws-s3-docs/chunked-upload-signed-trailer');
    const canonical = canonicalTrailer([['x-amz-checksum-crc32c', 'sOO8/Q==']]);
    expect(canonical).toBe(v.trailer!.canonicalTrailerBytes);
    const sts = trailerStringToSign(docSigning(v), v.chunks![2]!.signature, canonical);
    expect(sts).toBe(text('aws-s3-docs/chunked-upload-signed-trailer/trailer-string-to-sign.txt'));
    expect(signHex(docSigning(v).signingKey, sts)).toBe(text('aws-s3-docs/chunked-upload-signed-trailer/trailer-signature.txt'));
  });

  it('aws-c-auth trailing headers: three trailers in order', () => {
    const v = vector('aws-c-auth/trailing-headers-signature');
    const lines = v.trailerLines!.map((l) => l.split(':') as [string, string]);
    const canonical = canonicalTrailer(lines);
    expect(canonical).toBe(v.canonicalTrailerBytes);
    const key = deriveSigningKey(v.credentials.secretAccessKey, '20130524', 'us-east-1');
    const sts = trailerStringToSign({ timestamp: TIMESTAMP, scope: SCOPE }, v.previousSignature!, canonical);
    expect(sts).toBe(v.stringToSign);
    expect(signHex(key, sts)).toBe(v.signature);
  });
});

describe('decoding the AWS documentation bodies', () => {
  const docCases: Array<{ id: string; mode: AwsChunkedMode; trailer?: string }> = [
    { id: 'aws-s3-docs/chunked-upload-signed', mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' },
    { id: 'aws-s3-docs/chunked-upload-signed-trailer', mode: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', trailer: 'x-amz-checksum-crc32c' },
  ];
  const feeds = [
    { feed: 'whole', split: (b: Buffer) => [b] },
    {
      feed: '1000-byte pieces',
      split: (b: Buffer) =>
        splitAt(
          b,
          Array.from({ length: Math.ceil(b.length / 1000) }, (_, i) => i * 1000),
        ),
    },
    { feed: 'cut inside every header', split: (b: Buffer) => splitAt(b, [3, 50, 65630, 65700, 66740, 66800, 66830, 66900, 66945]) },
  ];

  it.each(docCases.flatMap((c) => feeds.map((f) => ({ ...c, ...f }))))('$id, fed $feed', async ({ id, mode, trailer, split }) => {
    const v = vector(id);
    const body = fixture(`${id}/body.bin`);
    const decoder = createAwsChunkedDecoder({ mode, signing: docSigning(v), decodedLength: Number(header(v, 'x-amz-decoded-content-length')), trailer });
    const { output, error } = await runStage(decoder, split(body));
    expect(error).toBeUndefined();
    expect(output.equals(PAYLOAD)).toBe(true);
    expect(decoder.decodedBytes).toBe(66560);
    if (trailer) {
      expect(decoder.trailers).toEqual({ 'x-amz-checksum-crc32c': 'sOO8/Q==' });
      expect(decoder.verifiedChecksum).toEqual({ alg: 'CRC32C', base64: 'sOO8/Q==' });
    } else {
      expect(decoder.trailers).toEqual({});
    }
  });

  it.each(docCases)('the test encoder reproduces $id byte for byte', ({ id, mode, trailer }) => {
    const v = vector(id);
    const encoded = encodeAwsChunked(PAYLOAD, { chunkSizes: [65536, 1024], mode, signing: docSigning(v), trailer: trailer ? { name: trailer } : undefined });
    expect(encoded.equals(fixture(`${id}/body.bin`))).toBe(true);
  });
});

describe('decoding real SDK aws-chunked bodies (STREAMING-UNSIGNED-PAYLOAD-TRAILER)', () => {
  const captures = ['boto3-put-bytes-https', 'boto3-upload-part-https', 'js-v3-put-stream-http', 'js-v3-put-stream-https'];

  it.each(captures)('%s', async (name) => {
    const req = JSON.parse(text(`sdk-captures/${name}/request.json`)) as { request: { headers: Array<[string, string]> } };
    const headers = Object.fromEntries(req.request.headers.map(([n, v]) => [n.toLowerCase(), v]));
    const body = fixture(`sdk-captures/${name}/body.bin`);
    const checks = requestChecksums(headers);
    expect(checks).toMatchObject({ trailer: 'CRC32', sdkAlgorithm: 'CRC32', expected: [] });

    for (const pieces of [
      [body],
      splitAt(
        body,
        Array.from({ length: body.length }, (_, i) => i),
      ),
    ]) {
      const decoder = createAwsChunkedDecoder({
        mode: headers['x-amz-content-sha256'] as AwsChunkedMode,
        decodedLength: Number(headers['x-amz-decoded-content-length']),
        trailer: headers['x-amz-trailer'],
      });
      const { output, error } = await runStage(decoder, pieces);
      expect(error).toBeUndefined();
      expect(output.toString()).toBe('Hello World');
      expect(decoder.trailers).toEqual({ 'x-amz-checksum-crc32': 'ShexVg==' });
    }
  });
});
