// verifyRequest for presigned URLs: the six parameters, X-Amz-Expires limits, the validity window, scope errors and hoisted headers (sigv4.md §7).
import { describe, expect, it } from 'vitest';
import { KeyStore } from '../../../src/auth/keys.js';
import { verifyRequest, type SignedRequest } from '../../../src/auth/verify.js';
import { parseS3Request } from '../../../src/parse/request.js';
import { caught, client, readJson, toSignedRequest, type Vector } from './fixtures.js';

const vectors = readJson<Vector[]>('vectors.json');
const vector = (id: string): Vector => vectors.find((v) => v.id === id)!;
const keys = new KeyStore([client('AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')]);
const T0 = Date.parse('2013-05-24T00:00:00Z');
const at = (offsetMs: number) => ({ regions: ['us-east-1'], now: new Date(T0 + offsetMs) });
const verify = (req: SignedRequest, offsetMs = 0) => caught(() => verifyRequest(req, keys, at(offsetMs)));
const parse = (r: NonNullable<Vector['request']>) => {
  const signed = toSignedRequest(r);
  return parseS3Request(
    { method: signed.method, url: signed.rawQuery ? `${signed.rawPath}?${signed.rawQuery}` : signed.rawPath, rawHeaders: signed.rawHeaders },
    { virtualHostSuffixes: [] },
  );
};

/** A vector's request with query parameters replaced (value) or removed (null). */
function withParams(id: string, replace: Record<string, string | null>): SignedRequest {
  const req = toSignedRequest(vector(id).request!);
  const pieces = req.rawQuery.split('&').flatMap((p) => {
    const name = p.slice(0, p.indexOf('='));
    if (!(name in replace)) return [p];
    return replace[name] === null ? [] : [`${name}=${replace[name]}`];
  });
  return { ...req, rawQuery: pieces.join('&') };
}

const DOC = 'aws-s3-docs/presigned-get-object'; // X-Amz-Expires=86400
const MAX = 'derived-botocore/presigned-put-max-expiry'; // X-Amz-Expires=604800
const QPE = 'AuthorizationQueryParametersError';

describe('the six parameters', () => {
  it.each(['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires'])('missing %s', (name) => {
    // Without X-Amz-Algorithm the request is still a presign attempt (other X-Amz-* auth parameters are there).
    const err = verify(withParams(DOC, { [name]: null }));
    expect(err).toMatchObject({
      code: QPE,
      status: 400,
      message:
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    });
  });

  it.each([
    ['SigV4a algorithm', { 'X-Amz-Algorithm': 'AWS4-ECDSA-P256-SHA256' }, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'],
    ['lowercase algorithm', { 'X-Amz-Algorithm': 'aws4-hmac-sha256' }, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'],
    ['extended ISO date', { 'X-Amz-Date': '2013-05-24T00%3A00%3A00Z' }, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""],
    ['impossible date', { 'X-Amz-Date': '20131324T000000Z' }, 'ISO8601 Long Format'],
    ['Expires not a number', { 'X-Amz-Expires': 'abc' }, 'X-Amz-Expires should be a number'],
    ['Expires with a decimal point', { 'X-Amz-Expires': '1.5' }, 'X-Amz-Expires should be a number'],
    ['negative Expires', { 'X-Amz-Expires': '-1' }, 'X-Amz-Expires must be non-negative'],
    ['zero Expires', { 'X-Amz-Expires': '0' }, 'X-Amz-Expires must be at least 1 second'],
    [
      'Expires over a week',
      { 'X-Amz-Expires': '604801' },
      'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds',
    ],
    ['huge Expires', { 'X-Amz-Expires': '99999999999999999999' }, 'X-Amz-Expires must be less than a week'],
    [
      'credential with 3 parts',
      { 'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1' },
      'Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    ],
    [
      'wrong service',
      { 'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs4%2Faws4_request' },
      'Error parsing the X-Amz-Credential parameter; incorrect service "s4". This endpoint belongs to "s3".',
    ],
    ['wrong terminal', { 'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4' }, 'incorrect terminal "aws4"'],
    [
      'scope date ≠ X-Amz-Date',
      { 'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE%2F20130523%2Fus-east-1%2Fs3%2Faws4_request' },
      'Invalid credential date "20130523". This date is not the same as X-Amz-Date: "20130524".',
    ],
    ['empty SignedHeaders entry', { 'X-Amz-SignedHeaders': 'host%3B' }, 'X-Amz-SignedHeaders is mal-formed.'],
  ])('%s', (_name, replace, message) => {
    const err = verify(withParams(DOC, replace));
    expect(err).toMatchObject({ code: QPE, status: 400 });
    expect(err!.message).toContain(message);
  });

  it('wrong region → AuthorizationQueryParametersError with Region', () => {
    const err = verify(withParams(DOC, { 'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE%2F20130524%2Feu-west-1%2Fs3%2Faws4_request' }));
    expect(err).toMatchObject({
      code: QPE,
      status: 400,
      message: "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
      elements: { Region: 'us-east-1' },
    });
  });

  it('unknown key → InvalidAccessKeyId', () => {
    const err = verify(withParams(DOC, { 'X-Amz-Credential': 'AKIDUNKNOWN%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' }));
    expect(err).toMatchObject({ code: 'InvalidAccessKeyId', status: 403, elements: { AWSAccessKeyId: 'AKIDUNKNOWN' } });
  });

  it('query parameter names are case-sensitive: x-amz-signature is not the signature', () => {
    const req = withParams(DOC, {});
    req.rawQuery = req.rawQuery.replace('X-Amz-Signature=', 'x-amz-signature=');
    expect(verify(req)).toMatchObject({ code: QPE });
  });
});

describe('validity window (X-Amz-Date <= now < X-Amz-Date + X-Amz-Expires)', () => {
  const s = 1000;
  it.each([
    ['at X-Amz-Date', DOC, 0],
    ['last valid second (86399 s)', DOC, 86399 * s],
    ['10 minutes before X-Amz-Date (clock allowance)', DOC, -600 * s],
    ['X-Amz-Expires=604800, last second', MAX, 604799 * s],
  ])('%s: valid', (_name, id, offset) => {
    expect(verify(toSignedRequest(vector(id).request!), offset)).toBeUndefined();
  });

  it.each([
    ['at X-Amz-Date + 86400', DOC, 86400 * s, '86400', '2013-05-25T00:00:00Z', '2013-05-25T00:00:00Z'],
    ['X-Amz-Expires=604800, at the end', MAX, 604800 * s, '604800', '2013-05-31T00:00:00Z', '2013-05-31T00:00:00Z'],
    ['a year later', DOC, 365 * 86400 * s, '86400', '2013-05-25T00:00:00Z', '2014-05-24T00:00:00Z'],
  ])('%s: expired', (_name, id, offset, expires, expiresAt, serverTime) => {
    const err = verify(toSignedRequest(vector(id).request!), offset);
    expect(err).toMatchObject({ code: 'AccessDenied', status: 403, message: 'Request has expired' });
    expect(err!.elements).toEqual({ 'X-Amz-Expires': expires, Expires: expiresAt, ServerTime: serverTime });
  });

  it('more than 15 minutes ahead of the server: not valid yet', () => {
    expect(verify(toSignedRequest(vector(DOC).request!), -(15 * 60 + 1) * s)).toMatchObject({ code: 'AccessDenied', message: 'Request is not valid yet' });
  });

  it('the clock-skew rule does not apply: a URL used an hour after signing is fine', () => {
    expect(verify(toSignedRequest(vector(DOC).request!), 3600 * s)).toBeUndefined();
  });
});

describe('result', () => {
  it('JS v3 presigned PUT: payload from X-Amz-Content-Sha256; its x-amz-* parameters become headers, x-id does not', () => {
    const v = vector('sdk-captures/js-v3-presigned-put');
    const result = verifyRequest(toSignedRequest(v.request!), keys, { regions: ['us-east-1'], now: new Date(v.now) });
    expect(result.presigned).toBe(true);
    expect(result.payload).toEqual({ kind: 'unsigned' });
    const parsed = parse(v.request!);
    expect(parsed.hoisted).toEqual(['x-amz-checksum-crc32', 'x-amz-sdk-checksum-algorithm']);
    expect(parsed.headers).toMatchObject({ 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-sdk-checksum-algorithm': 'CRC32' });
    expect(parsed.params).toEqual([]);
  });

  it('JS v3 presigned GET: x-amz-checksum-mode becomes a header', () => {
    const parsed = parse(vector('sdk-captures/js-v3-presigned-get').request!);
    expect(parsed.hoisted).toEqual(['x-amz-checksum-mode']);
    expect(parsed.headers['x-amz-checksum-mode']).toBe('ENABLED');
  });

  it('a presigned URL without X-Amz-Content-Sha256 covers no payload', () => {
    const result = verifyRequest(toSignedRequest(vector(DOC).request!), keys, at(0));
    expect(result).toMatchObject({
      presigned: true,
      payload: { kind: 'unsigned' },
      timestamp: '20130524T000000Z',
      scope: '20130524/us-east-1/s3/aws4_request',
    });
    expect(parse(vector(DOC).request!).hoisted).toEqual([]);
  });

  it('header auth has nothing to hoist', () => {
    expect(parse(vector('aws-s3-docs/get-object-range').request!).hoisted).toEqual([]);
  });
});
