// Requests signed by an independent implementation (@smithy/signature-v4, what the AWS JS SDK uses) verify; tampering with any signed part fails. Also KeyStore.
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { KeyStore } from '../../../src/auth/keys.js';
import { createPayloadHashCheck } from '../../../src/body/payload-hash.js';
import { deriveSigningKey } from '../../../src/auth/sigv4.js';
import { sha256Hex } from '../../../src/s3/hash.js';
import { verifyRequest, type SignedRequest } from '../../../src/auth/verify.js';
import { caught, client } from './fixtures.js';

const AKID = 'AKIDSMITHYTEST';
const SECRET = 'smithy/secret+key';
const keys = new KeyStore([client(AKID, SECRET)]);
const NOW = new Date('2024-02-29T12:34:56Z');
const opts = { regions: ['us-east-1'], now: NOW };

function signer(region = 'us-east-1'): SignatureV4 {
  // uriEscapePath false: S3 does not double-encode (sigv4.md §3.2).
  return new SignatureV4({ service: 's3', region, credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, sha256: Sha256, uriEscapePath: false });
}

const strict = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The parts of a signed smithy request we read. */
interface SmithySigned {
  method: string;
  path: string;
  query?: Record<string, string | Array<string | null> | null>;
  headers: Record<string, string>;
}

/** What Node would hand us for the signed request: header values as latin1 chars of their UTF-8 bytes. */
function toWire(r: SmithySigned): SignedRequest {
  const rawQuery = Object.entries(r.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${strict(k)}=${strict(x ?? '')}`))
    .join('&');
  const rawHeaders = Object.entries(r.headers).flatMap(([k, v]) => [k, Buffer.from(v, 'utf8').toString('latin1')]);
  return { method: r.method, rawPath: r.path, rawQuery, rawHeaders };
}

const body = Buffer.from('Hello, S3 ✓\n', 'utf8');

function putRequest(payloadHash = sha256Hex(body)): HttpRequest {
  return new HttpRequest({
    method: 'PUT',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 9000,
    path: '/bkt/dir/a%20b%2Bc%C3%A9%2A.txt',
    query: { 'x-id': 'PutObject', tagging: 'k=v w' },
    headers: {
      host: '127.0.0.1:9000',
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(body.length),
      'x-amz-meta-note': '  café   au  lait ',
      'x-amz-content-sha256': payloadHash,
    },
    body,
  });
}

describe('@smithy/signature-v4 requests', () => {
  it('header auth PUT with a signed payload verifies, and its body passes the hash check', async () => {
    const signed = await signer().sign(putRequest(), { signingDate: NOW });
    const result = verifyRequest(toWire(signed), keys, opts);
    expect(result).toMatchObject({
      accessKeyId: AKID,
      presigned: false,
      payload: { kind: 'sha256', hash: sha256Hex(body) },
      timestamp: '20240229T123456Z',
      scope: '20240229/us-east-1/s3/aws4_request',
    });
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([body]),
      createPayloadHashCheck(sha256Hex(body)),
      new Writable({
        write(c: Buffer, _e, cb) {
          out.push(c);
          cb();
        },
      }),
    );
    expect(Buffer.concat(out).equals(body)).toBe(true);
  });

  it('UNSIGNED-PAYLOAD', async () => {
    const signed = await signer().sign(putRequest('UNSIGNED-PAYLOAD'), { signingDate: NOW });
    expect(verifyRequest(toWire(signed), keys, opts).payload).toEqual({ kind: 'unsigned' });
  });

  it('an uppercase hex payload hash is accepted and reported lowercase', async () => {
    const signed = await signer().sign(putRequest(sha256Hex(body).toUpperCase()), { signingDate: NOW });
    expect(verifyRequest(toWire(signed), keys, opts).payload).toEqual({ kind: 'sha256', hash: sha256Hex(body) });
  });

  it('x-amz-content-sha256 may be left unsigned', async () => {
    const signed = await signer().sign(putRequest(), { signingDate: NOW, unsignableHeaders: new Set(['x-amz-content-sha256']) });
    expect(signed.headers.authorization).not.toContain('x-amz-content-sha256');
    expect(verifyRequest(toWire(signed), keys, opts).payload.kind).toBe('sha256');
  });

  it("another configured region verifies with that region's key; an unconfigured one does not", async () => {
    const signed = await signer('eu-west-1').sign(putRequest(), { signingDate: NOW });
    const result = verifyRequest(toWire(signed), keys, { regions: ['us-east-1', 'eu-west-1'], now: NOW });
    expect(result.signingKey.equals(deriveSigningKey(SECRET, '20240229', 'eu-west-1', 's3'))).toBe(true);
    expect(caught(() => verifyRequest(toWire(signed), keys, opts))).toMatchObject({ code: 'AuthorizationHeaderMalformed', elements: { Region: 'us-east-1' } });
  });

  it('presigned GET (as the S3 presigner builds it) verifies until it expires', async () => {
    const req = new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname: 'bkt.s3.example.com',
      path: '/photos/2013%20spring/x.jpg',
      query: { 'response-content-disposition': 'attachment; filename="x y.jpg"', versionId: 'v/1+2' },
      headers: { host: 'bkt.s3.example.com', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-acl': 'private' },
    });
    const signed = await signer().presign(req, { signingDate: NOW, expiresIn: 900 });
    expect(signed.query?.['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
    const wire = toWire(signed);
    const result = verifyRequest(wire, keys, opts);
    expect(result).toMatchObject({ presigned: true, payload: { kind: 'unsigned' } });
    const later = { regions: ['us-east-1'], now: new Date(NOW.getTime() + 900_000) };
    expect(caught(() => verifyRequest(wire, keys, later))).toMatchObject({ code: 'AccessDenied', message: 'Request has expired' });
  });

  it.each([
    ['method', (r: SignedRequest) => ({ ...r, method: 'POST' })],
    ['path', (r: SignedRequest) => ({ ...r, rawPath: r.rawPath.replace('a%20b', 'a%20c') })],
    ['query value', (r: SignedRequest) => ({ ...r, rawQuery: r.rawQuery.replace('PutObject', 'GetObject') })],
    ['extra query parameter', (r: SignedRequest) => ({ ...r, rawQuery: `${r.rawQuery}&acl` })],
    ['signed header value', (r: SignedRequest) => ({ ...r, rawHeaders: r.rawHeaders.map((v) => (v === 'text/plain; charset=utf-8' ? 'text/html' : v)) })],
    ['metadata bytes', (r: SignedRequest) => ({ ...r, rawHeaders: r.rawHeaders.map((v) => v.replace('caf', 'cab')) })],
    ['host port', (r: SignedRequest) => ({ ...r, rawHeaders: r.rawHeaders.map((v) => (v === '127.0.0.1:9000' ? '127.0.0.1:9001' : v)) })],
  ])('tampered %s → SignatureDoesNotMatch', async (_name, tamper) => {
    const signed = await signer().sign(putRequest(), { signingDate: NOW });
    expect(caught(() => verifyRequest(tamper(toWire(signed)), keys, opts))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
  });
});

describe('KeyStore', () => {
  it('looks clients up by access key id', () => {
    expect(keys.lookup(AKID)?.secretAccessKey).toBe(SECRET);
    expect(keys.lookup('nope')).toBeUndefined();
    expect(keys.lookup(AKID.toLowerCase())).toBeUndefined();
  });

  it('derives the sigv4.md §5 key and caches it', () => {
    const store = new KeyStore([client('AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')]);
    const key = store.signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1');
    expect(key.toString('hex')).toBe('dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378');
    expect(store.signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1')).toBe(key);
    expect(store.signingKeyFor(store.lookup('AKIAIOSFODNN7EXAMPLE')!, '20130524', 'us-east-1')).toBe(key);
  });

  it.each([
    ['another secret', 'other', '20130524', 'us-east-1'],
    ['another day', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130525', 'us-east-1'],
    ['another region', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'eu-west-1'],
  ])('%s gives another key', (_name, secret, date, region) => {
    const store = new KeyStore([]);
    const base = store.signingKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1');
    const other = store.signingKey(secret, date, region);
    expect(other.equals(base)).toBe(false);
    expect(other.equals(deriveSigningKey(secret, date, region, 's3'))).toBe(true);
  });

  it('a date/region split cannot collide with another', () => {
    const store = new KeyStore([]);
    expect(store.signingKey('s', '2013', '0524x').equals(store.signingKey('s', '20130524', 'x'))).toBe(false);
  });
});
