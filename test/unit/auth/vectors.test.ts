// Every positive vector of test/fixtures/sigv4 (AWS doc examples, botocore-derived cases, real SDK captures) through the signing core and verifyRequest.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { KeyStore } from '../../../src/auth/keys.js';
import { createPayloadHashCheck } from '../../../src/body/payload-hash.js';
import { canonicalRequest, deriveSigningKey, stringToSign } from '../../../src/auth/sigv4.js';
import { hmacSha256Hex as hmacHex } from '../../../src/s3/hash.js';
import { verifyRequest, type AuthResult } from '../../../src/auth/verify.js';
import {
  bodyOf,
  caught,
  client,
  exists,
  header,
  listDirs,
  queryParam,
  readJson,
  readText,
  splitUrl,
  toSignedRequest,
  type FixtureRequest,
  type Vector,
} from './fixtures.js';

const vectors = readJson<Vector[]>('vectors.json');
/** Kinds that are whole requests: header auth (incl. aws-chunked seeds) and presigned URLs. */
const REQUEST_KINDS = new Set(['header', 'presigned', 'aws-chunked-signed', 'aws-chunked-signed-trailer']);
const requestVectors = vectors.filter((v) => REQUEST_KINDS.has(v.kind));

interface SigningInputs {
  signedHeaders: string[];
  payloadHash: string;
  timestamp: string;
  scope: string;
  date: string;
  presigned: boolean;
}

/** Reads the signing inputs the way a client states them (test-side parsing, independent of src/auth/verify-parse.ts). */
function inputsOf(r: FixtureRequest): SigningInputs {
  const presigned = queryParam(r.rawQuery, 'X-Amz-Algorithm') !== undefined;
  if (presigned) {
    const credential = queryParam(r.rawQuery, 'X-Amz-Credential')!;
    const timestamp = queryParam(r.rawQuery, 'X-Amz-Date')!;
    return {
      presigned,
      timestamp,
      date: timestamp.slice(0, 8),
      scope: credential.split('/').slice(1).join('/'),
      signedHeaders: queryParam(r.rawQuery, 'X-Amz-SignedHeaders')!.split(';'),
      payloadHash: queryParam(r.rawQuery, 'X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD',
    };
  }
  const auth = header(r, 'authorization')!;
  const credential = /Credential=([^,]+)/.exec(auth)![1]!;
  const timestamp = header(r, 'x-amz-date')!;
  return {
    presigned,
    timestamp,
    date: timestamp.slice(0, 8),
    scope: credential.split('/').slice(1).join('/'),
    signedHeaders: /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(';'),
    payloadHash: header(r, 'x-amz-content-sha256')!,
  };
}

function carriesSessionToken(r: FixtureRequest): boolean {
  return header(r, 'x-amz-security-token') !== undefined || queryParam(r.rawQuery, 'X-Amz-Security-Token') !== undefined;
}

async function drain(body: Buffer, hash: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from([body]),
    createPayloadHashCheck(hash),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        parts.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(parts);
}

describe('vectors.json: signing core', () => {
  it('holds the expected vector kinds', () => {
    expect(requestVectors.length).toBe(36);
    expect(vectors.filter((v) => !REQUEST_KINDS.has(v.kind)).map((v) => v.kind)).toEqual(['trailer-signature-only']);
  });

  it.each(requestVectors.map((v) => [v.id, v] as const))('%s', (_id, v) => {
    const r = v.request!;
    const inputs = inputsOf(r);
    const cr = canonicalRequest({
      method: r.method,
      rawPath: r.rawPath,
      rawQuery: r.rawQuery,
      rawHeaders: r.headers.flat(),
      signedHeaders: inputs.signedHeaders,
      payloadHash: inputs.payloadHash,
      presigned: inputs.presigned,
    });
    expect(cr).toBe(v.canonicalRequest);
    const sts = stringToSign(inputs.timestamp, inputs.scope, cr);
    if (v.stringToSign !== undefined) expect(sts).toBe(v.stringToSign);
    const key = deriveSigningKey(v.credentials.secretAccessKey, inputs.date, v.region, v.service);
    if (v.signingKeyHex !== undefined) expect(key.toString('hex')).toBe(v.signingKeyHex);
    expect(hmacHex(key, sts)).toBe(v.signature);
  });

  it('aws-c-auth/trailing-headers-signature: the primitives reproduce the trailer signature', () => {
    const v = vectors.find((x) => x.kind === 'trailer-signature-only')!;
    const key = deriveSigningKey(v.credentials.secretAccessKey, '20130524', v.region, v.service);
    expect(hmacHex(key, v.stringToSign!)).toBe(v.signature);
  });
});

describe('vectors.json: verifyRequest', () => {
  it.each(requestVectors.map((v) => [v.id, v] as const))('%s', async (_id, v) => {
    const r = v.request!;
    const keys = new KeyStore([client(v.credentials.accessKeyId, v.credentials.secretAccessKey)]);
    const opts = { regions: [v.region], now: new Date(v.now) };
    if (carriesSessionToken(r)) {
      // Configured clients have no session tokens: a token is one we did not issue (see verify.ts lookupClient).
      expect(caught(() => verifyRequest(toSignedRequest(r), keys, opts))).toMatchObject({ code: 'InvalidToken', status: 400 });
      return;
    }
    const result: AuthResult = verifyRequest(toSignedRequest(r), keys, opts);
    const inputs = inputsOf(r);
    expect(result).toMatchObject({
      accessKeyId: v.credentials.accessKeyId,
      presigned: inputs.presigned,
      timestamp: inputs.timestamp,
      scope: inputs.scope,
      signature: v.signature,
    });
    expect(result.client.accessKeyId).toBe(v.credentials.accessKeyId);
    expect(result.signingKey.toString('hex')).toBe(deriveSigningKey(v.credentials.secretAccessKey, inputs.date, v.region, 's3').toString('hex'));

    if (inputs.payloadHash.startsWith('STREAMING-')) {
      expect(result.payload).toEqual({ kind: 'streaming', mode: inputs.payloadHash });
      if (v.seedSignature !== undefined) expect(result.signature).toBe(v.seedSignature);
    } else if (inputs.payloadHash === 'UNSIGNED-PAYLOAD') {
      expect(result.payload).toEqual({ kind: 'unsigned' });
    } else {
      expect(result.payload).toEqual({ kind: 'sha256', hash: inputs.payloadHash });
      // The body the client sent passes the payload check untouched.
      const body = bodyOf(r);
      expect((await drain(body, inputs.payloadHash)).equals(body)).toBe(true);
    }
  });

  it('the same request with a tampered signature is refused', () => {
    const v = requestVectors.find((x) => x.id === 'derived-botocore/get-object-reserved-chars')!;
    const r = structuredClone(v.request!);
    const auth = r.headers.find(([n]) => n === 'Authorization')!;
    auth[1] = auth[1].replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    const keys = new KeyStore([client(v.credentials.accessKeyId, v.credentials.secretAccessKey)]);
    expect(caught(() => verifyRequest(toSignedRequest(r), keys, { regions: ['us-east-1'], now: new Date(v.now) }))).toMatchObject({
      code: 'SignatureDoesNotMatch',
      status: 403,
    });
  });
});

describe('sdk-captures folders', () => {
  const captures = listDirs('sdk-captures');
  const byId = new Map(vectors.map((v) => [v.id, v]));

  it('has 15 captures, all also in vectors.json', () => {
    expect(captures).toHaveLength(15);
    for (const c of captures) expect(byId.has(`sdk-captures/${c}`)).toBe(true);
  });

  it.each(captures)('%s: canonical request from the captured request, then verifyRequest', (name) => {
    const v = byId.get(`sdk-captures/${name}`)!;
    let r: FixtureRequest;
    if (exists(`sdk-captures/${name}/request.json`)) {
      r = readJson<{ request: FixtureRequest }>(`sdk-captures/${name}/request.json`).request;
    } else {
      // Presigned captures keep only the URL; the request is a GET/PUT of it with its Host.
      const url = readText(`sdk-captures/${name}/url.txt`).trim();
      r = { method: v.request!.method, ...splitUrl(url), headers: [['Host', /^https?:\/\/([^/]+)/.exec(url)![1]!]] };
    }
    const inputs = inputsOf(r);
    const cr = canonicalRequest({
      method: r.method,
      rawPath: r.rawPath,
      rawQuery: r.rawQuery,
      rawHeaders: r.headers.flat(),
      signedHeaders: inputs.signedHeaders,
      payloadHash: inputs.payloadHash,
      presigned: inputs.presigned,
    });
    expect(cr).toBe(readText(`sdk-captures/${name}/canonical-request.txt`));

    const keys = new KeyStore([client(v.credentials.accessKeyId, v.credentials.secretAccessKey)]);
    const result = verifyRequest(toSignedRequest(r), keys, { regions: ['us-east-1'], now: new Date(v.now) });
    expect(result.signature).toBe(v.signature);
    const mode = header(r, 'x-amz-content-sha256');
    if (mode?.startsWith('STREAMING-')) {
      // aws-chunked uploads: the decoder continues the chain from this seed.
      expect(result.payload).toEqual({ kind: 'streaming', mode });
      expect(result.signature).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
