// End to end: hand-built aws-chunked PUTs (all three modes), signed with the SDK's signer at the current time, good and bad, through s3bridge to moto and the embedded store.
//
// A bad body must be refused with S3's 4xx code and leave nothing on the backend: each case reads the
// backend directly afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { AwsChunkedMode } from '../../src/body/chunked.js';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { waitFor } from '../helpers/wait.js';
import { DEMO } from '../helpers/bridge.js';
import { backendHas, objectDigest, sha256, startStack, type BackendName, type Stack } from './helpers/stack.js';
import { buildChunkedPut, corruptChunkSignature, errorCode, sendRaw, withoutFinalChunk, type ChunkedPut, type RawRequest } from './helpers/raw-chunked.js';

let moto: MotoServer;
let stack: Stack;

const BACKENDS: Array<[string, BackendName, string]> = [
  ['moto', 'moto-a', 'a-raw'],
  ['moto taking aws-chunked', 'moto-c', 'c-raw'],
  ['embedded store', 'local', 'l-raw'],
];

beforeAll(async () => {
  moto = await startMoto();
  stack = await startStack([moto], { awsChunkedMoto: true });
  const s3 = stack.bridge.client(undefined, undefined, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  for (const [, , Bucket] of BACKENDS) await s3.send(new CreateBucketCommand({ Bucket }));
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await moto?.stop();
});

const SIGNED: AwsChunkedMode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
const SIGNED_TRAILER: AwsChunkedMode = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
const UNSIGNED_TRAILER: AwsChunkedMode = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
const CHUNK = 64 * 1024;
const data = randomBytes(3 * CHUNK + 1000); // four data chunks, the last one short
let seq = 0;

const build = (Bucket: string, put: Omit<ChunkedPut, 'bucket' | 'key' | 'data' | 'chunkSizes'> & Partial<ChunkedPut>) =>
  buildChunkedPut(stack.bridge.s3Url, DEMO, { bucket: Bucket, key: `obj-${++seq}`, data, chunkSizes: CHUNK, ...put });

const keyOf = (req: RawRequest) => req.path.split('/').slice(2).join('/');

describe.each(BACKENDS)('hand-built aws-chunked uploads → %s', (_label, backend, Bucket) => {
  it.each<[AwsChunkedMode, ChunkedPut['trailer']]>([
    [SIGNED, undefined],
    [SIGNED_TRAILER, { name: 'x-amz-checksum-crc32c' }],
    [SIGNED_TRAILER, undefined],
    [UNSIGNED_TRAILER, { name: 'x-amz-checksum-sha1' }],
    [UNSIGNED_TRAILER, { name: 'x-amz-checksum-crc64nvme' }],
  ])('%s with trailer %j is stored byte-exact', async (mode, trailer) => {
    const req = await build(Bucket, { mode, trailer });
    const res = await sendRaw(stack.bridge.s3Url, req);
    expect(res.status, res.body).toBe(200);
    expect(await objectDigest(stack.direct(backend), Bucket, keyOf(req))).toEqual({ sha256: sha256(data), length: data.length });
  });

  // [what is wrong, make the request, status, S3 error code]
  type Case = [string, () => Promise<RawRequest>, number, string];
  const table: Case[] = [
    [
      'wrong chunk signature in the middle chunk',
      async () => {
        const req = await build(Bucket, { mode: SIGNED });
        return { ...req, body: corruptChunkSignature(req.body, 2) };
      },
      403,
      'SignatureDoesNotMatch',
    ],
    [
      'wrong signature on the final 0-size chunk',
      async () => {
        const req = await build(Bucket, { mode: SIGNED });
        return { ...req, body: corruptChunkSignature(req.body, 4) };
      },
      403,
      'SignatureDoesNotMatch',
    ],
    [
      'wrong trailer signature',
      async () => {
        const req = await build(Bucket, { mode: SIGNED_TRAILER, trailer: { name: 'x-amz-checksum-crc32' } });
        const text = req.body.toString('latin1').replace(/(x-amz-trailer-signature:)([0-9a-f])/, (_m, p: string, c: string) => p + (c === '0' ? '1' : '0'));
        return { ...req, body: Buffer.from(text, 'latin1') };
      },
      403,
      'SignatureDoesNotMatch',
    ],
    [
      'truncated body: the client sends part of a data chunk, then ends',
      async () => {
        const req = await build(Bucket, { mode: SIGNED });
        return { ...req, body: req.body.subarray(0, 2 * CHUNK + 500) };
      },
      400,
      'IncompleteBody',
    ],
    [
      'truncated unsigned body: ends inside the last data chunk',
      async () => {
        const req = await build(Bucket, { mode: UNSIGNED_TRAILER, trailer: { name: 'x-amz-checksum-crc32' } });
        return { ...req, body: req.body.subarray(0, req.body.length - 200) };
      },
      400,
      'IncompleteBody',
    ],
    [
      'missing final chunk',
      async () => {
        const req = await build(Bucket, { mode: SIGNED });
        return { ...req, body: withoutFinalChunk(req.body) };
      },
      400,
      'IncompleteBody',
    ],
    [
      'missing trailer signature',
      async () => {
        const req = await build(Bucket, { mode: SIGNED_TRAILER, trailer: { name: 'x-amz-checksum-crc32' } });
        return { ...req, body: Buffer.from(req.body.toString('latin1').replace(/x-amz-trailer-signature:[0-9a-f]{64}\r\n/, ''), 'latin1') };
      },
      400,
      'IncompleteBody',
    ],
    ['decoded length announced larger than the data', () => build(Bucket, { mode: SIGNED, decodedLength: data.length + 1 }), 400, 'IncompleteBody'],
    ['decoded length announced smaller than the data', () => build(Bucket, { mode: SIGNED, decodedLength: data.length - 1 }), 400, 'IncompleteBody'],
    [
      'decoded length smaller, unsigned',
      () => build(Bucket, { mode: UNSIGNED_TRAILER, trailer: { name: 'x-amz-checksum-crc32' }, decodedLength: data.length - 1 }),
      400,
      'IncompleteBody',
    ],
    [
      'wrong trailer checksum (unsigned trailer)',
      () => build(Bucket, { mode: UNSIGNED_TRAILER, trailer: { name: 'x-amz-checksum-crc32', value: 'AAAAAA==' } }),
      400,
      'BadDigest',
    ],
    [
      'wrong trailer checksum, correctly signed trailer',
      () => build(Bucket, { mode: SIGNED_TRAILER, trailer: { name: 'x-amz-checksum-sha256', value: Buffer.alloc(32).toString('base64') } }),
      400,
      'BadDigest',
    ],
    [
      'unknown trailer algorithm',
      () => build(Bucket, { mode: UNSIGNED_TRAILER, trailer: { name: 'x-amz-checksum-md5', value: Buffer.alloc(16).toString('base64') } }),
      400,
      'InvalidRequest',
    ],
    [
      'a trailer that x-amz-trailer did not announce',
      async () => {
        const req = await build(Bucket, { mode: UNSIGNED_TRAILER, trailer: { name: 'x-amz-checksum-crc32' } });
        return { ...req, body: Buffer.from(req.body.toString('latin1').replace('x-amz-checksum-crc32:', 'x-amz-checksum-crc32c:'), 'latin1') };
      },
      400,
      'InvalidRequest',
    ],
    [
      'malformed chunk size line',
      async () => {
        const req = await build(Bucket, { mode: UNSIGNED_TRAILER, trailer: { name: 'x-amz-checksum-crc32' } });
        return { ...req, body: Buffer.concat([Buffer.from('zz\r\n'), req.body]) };
      },
      400,
      'InvalidRequest',
    ],
  ];

  // The function goes last so that the title shows only the description, status and code.
  const cases = table.map(([name, make, status, code]) => [name, status, code, make] as const);
  it.each(cases)('%s → %i %s, nothing stored', async (_name, status, code, make) => {
    const req = await make();
    const res = await sendRaw(stack.bridge.s3Url, req);
    expect(res.error).toBeUndefined();
    expect(res.status, res.body).toBe(status);
    expect(errorCode(res.body)).toBe(code);
    expect(await backendHas(stack.direct(backend), Bucket, keyOf(req))).toBe(false);
  });

  it('a rejected upload leaves the existing object of that key untouched', async () => {
    const good = await build(Bucket, { mode: SIGNED });
    expect((await sendRaw(stack.bridge.s3Url, good)).status).toBe(200);
    const other = randomBytes(data.length);
    const bad = await buildChunkedPut(stack.bridge.s3Url, DEMO, { bucket: Bucket, key: keyOf(good), data: other, chunkSizes: CHUNK, mode: SIGNED });
    const res = await sendRaw(stack.bridge.s3Url, { ...bad, body: corruptChunkSignature(bad.body, 2) });
    expect(res.status).toBe(403);
    expect(await objectDigest(stack.direct(backend), Bucket, keyOf(good))).toEqual({ sha256: sha256(data), length: data.length });
  });

  it('a client that goes away mid-body leaves nothing on the backend', async () => {
    const req = await build(Bucket, { mode: SIGNED });
    const key = keyOf(req);
    const before = stack.bridge.lines.length;
    const res = await sendRaw(stack.bridge.s3Url, {
      ...req,
      body: req.body.subarray(0, 2 * CHUNK + 500),
      contentLength: req.body.length,
      abortAfterBody: true,
    });
    expect(res.status).toBe(0); // no answer: we hung up first
    await waitFor(() => stack.bridge.lines.slice(before).some((l) => l.key === key), 10_000, 'the access-log line of the aborted upload');
    expect(await backendHas(stack.direct(backend), Bucket, key)).toBe(false);
  });
});
