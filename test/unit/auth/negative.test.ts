// Every case of test/fixtures/sigv4/negative.json: header/query verification, then the body stage the verdict selects (payload hash or aws-chunked decoder).
import { Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createAwsChunkedDecoder } from '../../../src/body/chunked.js';
import { KeyStore } from '../../../src/auth/keys.js';
import { createPayloadHashCheck } from '../../../src/body/payload-hash.js';
import { verifyRequest } from '../../../src/auth/verify.js';
import { S3Error } from '../../../src/s3/errors.js';
import { bodyOf, client, header, readJson, toSignedRequest, type NegativeCase } from './fixtures.js';

const cases = readJson<NegativeCase[]>('negative.json');

/** Runs the request through verification and then its body stage, as the proxy does; returns the first S3Error. */
async function run(c: NegativeCase): Promise<S3Error | undefined> {
  const keys = new KeyStore(c.server.credentials.map((k) => client(k.accessKeyId, k.secretAccessKey)));
  let result: ReturnType<typeof verifyRequest>;
  try {
    result = verifyRequest(toSignedRequest(c.request), keys, { regions: [c.server.region], now: new Date(c.now) });
  } catch (err) {
    if (err instanceof S3Error) return err;
    throw err;
  }
  const body = bodyOf(c.request);
  let stage: Transform;
  if (result.payload.kind === 'sha256') {
    stage = createPayloadHashCheck(result.payload.hash);
  } else if (result.payload.kind === 'streaming') {
    const decoded = header(c.request, 'x-amz-decoded-content-length');
    stage = createAwsChunkedDecoder({
      mode: result.payload.mode,
      signing: { signingKey: result.signingKey, timestamp: result.timestamp, scope: result.scope, seedSignature: result.signature },
      decodedLength: decoded === undefined ? undefined : Number(decoded),
      trailer: header(c.request, 'x-amz-trailer'),
    });
  } else {
    return undefined;
  }
  try {
    await pipeline(Readable.from([body]), stage, new Writable({ write: (_chunk, _enc, cb) => cb() }));
  } catch (err) {
    if (err instanceof S3Error) return err;
    throw err;
  }
  return undefined;
}

describe('negative.json', () => {
  it('holds 22 negative and 3 positive-control cases', () => {
    expect(cases.filter((c) => !c.expect.valid)).toHaveLength(22);
    expect(cases.filter((c) => c.expect.valid)).toHaveLength(3);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', async (_id, c) => {
    const err = await run(c);
    if (c.expect.valid) {
      expect(err).toBeUndefined();
      return;
    }
    expect(err).toBeInstanceOf(S3Error);
    expect({ code: err!.code, status: err!.status }).toEqual({ code: c.expect.code, status: c.expect.status });
    if (c.expect.message !== undefined) expect(err!.message).toBe(c.expect.message);
    if (c.expect.messageContains !== undefined) expect(err!.message).toContain(c.expect.messageContains);
    if (c.expect.elements !== undefined) {
      for (const [name, value] of Object.entries(c.expect.elements)) expect(String(err!.elements[name]), name).toBe(value);
    }
  });

  it('errors never carry the provided signature', async () => {
    for (const c of cases.filter((x) => !x.expect.valid)) {
      const err = await run(c);
      const provided = /Signature=([0-9a-f]{64})/i.exec(header(c.request, 'authorization') ?? c.request.rawQuery)?.[1];
      if (provided === undefined || err === undefined) continue;
      const text = `${err.message} ${JSON.stringify(err.elements)}`;
      expect(text, c.id).not.toContain(provided);
    }
  });
});
