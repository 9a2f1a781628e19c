// verifyRequest on bad input: malformed Authorization headers, clock skew, presigned windows and parameters, keys, regions, unsigned headers.
import { describe, expect, it } from 'vitest';
import { KeyStore } from '../../../src/auth/keys.js';
import { canonicalRequest, deriveSigningKey, stringToSign } from '../../../src/auth/sigv4.js';
import { hmacSha256Hex as hmacHex, sha256Hex } from '../../../src/s3/hash.js';
import { authMechanism, verifyRequest, type SignedRequest } from '../../../src/auth/verify.js';
import { caught, client, readJson, readText, type Vector } from './fixtures.js';

const vectors = readJson<Vector[]>('vectors.json');
const vector = (id: string): Vector => vectors.find((v) => v.id === id)!;
const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const keys = new KeyStore([client(AKID, SECRET)]);
const T0 = Date.parse('2013-05-24T00:00:00Z');
const opts = (offsetMs = 0, regions = ['us-east-1']) => ({ regions, now: new Date(T0 + offsetMs) });
const SIG = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41';
const CRED = `${AKID}/20130524/us-east-1/s3/aws4_request`;
const SIGNED = 'host;range;x-amz-content-sha256;x-amz-date';

/** aws-s3-docs/get-object-range (valid at T0), with optional Authorization value and extra headers. */
function headerReq(
  auth = `AWS4-HMAC-SHA256 Credential=${CRED},SignedHeaders=${SIGNED},Signature=${SIG}`,
  extra: string[] = [],
  drop: string[] = [],
): SignedRequest {
  const rawHeaders = vector('aws-s3-docs/get-object-range')
    .request!.headers.filter(([n]) => !drop.includes(n.toLowerCase()))
    .flatMap(([n, v]) => (n === 'Authorization' ? [n, auth] : [n, v]));
  return { method: 'GET', rawPath: '/test.txt', rawQuery: '', rawHeaders: [...rawHeaders, ...extra] };
}

/** aws-s3-docs/presigned-get-object (valid for 86400 s from T0) with parameters replaced or removed. */
function presignedReq(replace: Record<string, string | null> = {}, extraHeaders: string[] = []): SignedRequest {
  const base = vector('aws-s3-docs/presigned-get-object').request!;
  const pieces = base.rawQuery.split('&').flatMap((p) => {
    const name = p.slice(0, p.indexOf('='));
    if (!(name in replace)) return [p];
    const value = replace[name];
    return value === null ? [] : [`${name}=${value}`];
  });
  for (const [name, value] of Object.entries(replace)) if (value !== null && !base.rawQuery.includes(`${name}=`)) pieces.push(`${name}=${value}`);
  return { method: 'GET', rawPath: '/test.txt', rawQuery: pieces.join('&'), rawHeaders: ['Host', 'examplebucket.s3.amazonaws.com', ...extraHeaders] };
}

const verify = (req: SignedRequest, o = opts()) => caught(() => verifyRequest(req, keys, o));

describe('valid baselines', () => {
  it('header and presigned baselines verify', () => {
    expect(verify(headerReq())).toBeUndefined();
    expect(verify(presignedReq())).toBeUndefined();
  });

  it('accepts the components in any order and with or without spaces', () => {
    expect(verify(headerReq(`AWS4-HMAC-SHA256 Signature=${SIG}, Credential=${CRED},   SignedHeaders=${SIGNED}`))).toBeUndefined();
  });
});

describe('Authorization header variants (sigv4.md §1, §2)', () => {
  const malformed = 'AuthorizationHeaderMalformed';
  it.each([
    [
      'SigV2',
      `AWS ${AKID}:frJIUN8DYpKDtOLCwo//yllqDzg=`,
      400,
      'InvalidRequest',
      'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    ],
    [
      'SigV4a',
      `AWS4-ECDSA-P256-SHA256 Credential=${AKID}/20130524/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-region-set, Signature=3045022100`,
      501,
      'NotImplemented',
      'SigV4a',
    ],
    ['unknown scheme', 'Bearer abc', 400, 'InvalidArgument', 'Unsupported Authorization Type'],
    ['algorithm only', 'AWS4-HMAC-SHA256', 400, malformed, 'requires three components'],
    ['algorithm and a space', 'AWS4-HMAC-SHA256 ', 400, malformed, 'requires three components'],
    ['no Signature', `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=${SIGNED}`, 400, malformed, 'requires three components'],
    ['empty Signature', `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=${SIGNED}, Signature=`, 400, malformed, 'requires three components'],
    ['no SignedHeaders', `AWS4-HMAC-SHA256 Credential=${CRED}, Signature=${SIG}`, 400, malformed, 'requires three components'],
    [
      'duplicate Credential',
      `AWS4-HMAC-SHA256 Credential=${CRED}, Credential=${CRED}, SignedHeaders=${SIGNED}, Signature=${SIG}`,
      400,
      malformed,
      'exactly once',
    ],
    ['unknown component', `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=${SIGNED}, Signature=${SIG}, Foo=bar`, 400, malformed, 'exactly once'],
    ['component without =', `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=${SIGNED}, ${SIG}`, 400, malformed, 'exactly once'],
    ['lowercase component name', `AWS4-HMAC-SHA256 credential=${CRED}, SignedHeaders=${SIGNED}, Signature=${SIG}`, 400, malformed, 'exactly once'],
    [
      'credential with 4 parts',
      `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/aws4_request, SignedHeaders=${SIGNED}, Signature=${SIG}`,
      400,
      malformed,
      'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
    ],
    [
      'credential date not yyyymmdd',
      `AWS4-HMAC-SHA256 Credential=${AKID}/May24/us-east-1/s3/aws4_request, SignedHeaders=${SIGNED}, Signature=${SIG}`,
      400,
      malformed,
      'Credential is mal-formed',
    ],
    [
      'slash in the key id',
      `AWS4-HMAC-SHA256 Credential=AK/ID/20130524/us-east-1/s3/aws4_request, SignedHeaders=${SIGNED}, Signature=${SIG}`,
      400,
      malformed,
      'Credential is mal-formed',
    ],
    [
      'wrong service',
      `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s4/aws4_request, SignedHeaders=${SIGNED}, Signature=${SIG}`,
      400,
      malformed,
      'The authorization header is malformed; incorrect service "s4". This endpoint belongs to "s3".',
    ],
    [
      'wrong terminal',
      `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_reques, SignedHeaders=${SIGNED}, Signature=${SIG}`,
      400,
      malformed,
      'incorrect terminal "aws4_reques". This endpoint uses "aws4_request".',
    ],
    ['empty SignedHeaders entry', `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=host;;range, Signature=${SIG}`, 400, malformed, 'SignedHeaders'],
  ])('%s', (_name, auth, status, code, message) => {
    const err = verify(headerReq(auth));
    expect(err).toMatchObject({ status, code });
    expect(err!.message).toContain(message);
    expect(err!.message).not.toContain(SIG);
  });

  it('two Authorization headers are refused', () => {
    const req = headerReq(undefined, ['Authorization', `AWS4-HMAC-SHA256 Credential=${CRED},SignedHeaders=${SIGNED},Signature=${SIG}`]);
    expect(verify(req)).toMatchObject({ code: 'AuthorizationHeaderMalformed', status: 400 });
  });

  it('SignatureDoesNotMatch carries AWSAccessKeyId and StringToSign only, never the provided signature', () => {
    const bad = SIG.replace(/^f/, 'e');
    const err = verify(headerReq(`AWS4-HMAC-SHA256 Credential=${CRED},SignedHeaders=${SIGNED},Signature=${bad}`));
    expect(err).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    expect(err!.elements).toEqual({ AWSAccessKeyId: AKID, StringToSign: readText('aws-s3-docs/get-object-range/string-to-sign.txt') });
    expect(JSON.stringify(err!.elements) + err!.message).not.toContain(bad);
  });

  it.each([
    ['too short', SIG.slice(0, 63)],
    ['too long', `${SIG}0`],
    ['uppercase hex', SIG.toUpperCase()],
    ['not hex', 'z'.repeat(64)],
  ])('a signature that is %s does not match', (_name, sig) => {
    expect(verify(headerReq(`AWS4-HMAC-SHA256 Credential=${CRED},SignedHeaders=${SIGNED},Signature=${sig}`))).toMatchObject({ code: 'SignatureDoesNotMatch' });
  });
});

describe('timestamp and clock skew (sigv4.md §4, §8)', () => {
  const minutes = (m: number, s = 0) => (m * 60 + s) * 1000;
  it.each([
    ['+14:59', minutes(14, 59)],
    ['-14:59', -minutes(14, 59)],
    ['exactly +15:00', minutes(15)],
  ])('server clock %s: accepted', (_name, offset) => {
    expect(verify(headerReq(), opts(offset))).toBeUndefined();
  });

  it.each([
    ['+16:00', minutes(16), '2013-05-24T00:16:00Z'],
    ['-16:00', -minutes(16), '2013-05-23T23:44:00Z'],
    ['+15:00.001', minutes(15) + 1, '2013-05-24T00:15:00Z'],
  ])('server clock %s: RequestTimeTooSkewed', (_name, offset, serverTime) => {
    const err = verify(headerReq(), opts(offset));
    expect(err).toMatchObject({
      code: 'RequestTimeTooSkewed',
      status: 403,
      message: 'The difference between the request time and the current time is too large.',
    });
    expect(err!.elements).toEqual({ RequestTime: '20130524T000000Z', ServerTime: serverTime, MaxAllowedSkewMilliseconds: 900000 });
  });

  const noDate = 'AWS authentication requires a valid Date or x-amz-date header';
  it.each([
    ['neither x-amz-date nor Date', [] as string[], ['x-amz-date']],
    ['impossible x-amz-date', ['x-amz-date', '20130230T000000Z'], ['x-amz-date']],
    ['extended ISO x-amz-date', ['x-amz-date', '2013-05-24T00:00:00Z'], ['x-amz-date']],
    ['x-amz-date sent twice', ['x-amz-date', '20130524T000000Z'], []],
  ])('%s → AccessDenied', (_name, extra, drop) => {
    expect(verify(headerReq(undefined, extra, drop))).toMatchObject({ code: 'AccessDenied', status: 403, message: noDate });
  });

  /** Signed here with the primitives: no SDK signs with Date alone any more. */
  function dateOnlyRequest(signed: string[], date = 'Fri, 24 May 2013 00:00:00 GMT'): SignedRequest {
    const rawHeaders = ['Host', 'examplebucket.s3.amazonaws.com', 'Date', date, 'x-amz-content-sha256', sha256Hex('')];
    const cr = canonicalRequest({
      method: 'GET',
      rawPath: '/test.txt',
      rawQuery: '',
      rawHeaders,
      signedHeaders: signed,
      payloadHash: sha256Hex(''),
      presigned: false,
    });
    const sig = hmacHex(deriveSigningKey(SECRET, '20130524', 'us-east-1', 's3'), stringToSign('20130524T000000Z', '20130524/us-east-1/s3/aws4_request', cr));
    return {
      method: 'GET',
      rawPath: '/test.txt',
      rawQuery: '',
      rawHeaders: [...rawHeaders, 'Authorization', `AWS4-HMAC-SHA256 Credential=${CRED}, SignedHeaders=${signed.join(';')}, Signature=${sig}`],
    };
  }

  it('Date alone supplies the timestamp, in ISO basic form', () => {
    const result = verifyRequest(dateOnlyRequest(['date', 'host', 'x-amz-content-sha256']), keys, opts());
    expect(result.timestamp).toBe('20130524T000000Z');
  });

  it.each([
    ['RFC 1123 with a numeric zone, as botocore writes it', 'Fri, 24 May 2013 00:00:00 -0000'],
    ['RFC 1123 with +0000', 'Fri, 24 May 2013 00:00:00 +0000'],
    ['RFC 850', 'Friday, 24-May-13 00:00:00 GMT'],
    ['asctime', 'Fri May 24 00:00:00 2013'],
  ])('Date in any HTTP-date form S3 accepts (%s) supplies the timestamp', (_name, date) => {
    expect(verifyRequest(dateOnlyRequest(['date', 'host', 'x-amz-content-sha256'], date), keys, opts()).timestamp).toBe('20130524T000000Z');
  });

  it('Date as the timestamp must be signed', () => {
    expect(verify(dateOnlyRequest(['host', 'x-amz-content-sha256']))).toMatchObject({ code: 'AccessDenied', elements: { HeadersNotSigned: 'date' } });
  });
});

describe('scope, key and token (sigv4.md §4–§6)', () => {
  it('wrong region names the first configured one', () => {
    const err = verify(
      headerReq(`AWS4-HMAC-SHA256 Credential=${AKID}/20130524/eu-west-1/s3/aws4_request,SignedHeaders=${SIGNED},Signature=${SIG}`),
      opts(0, ['us-east-1', 'auto']),
    );
    expect(err).toMatchObject({
      code: 'AuthorizationHeaderMalformed',
      status: 400,
      message: "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
      elements: { Region: 'us-east-1' },
    });
  });

  it('any configured region is accepted, and its own key is used', () => {
    const v = vector('derived-botocore/get-object-eu-west-1');
    const req = { ...v.request!, rawHeaders: v.request!.headers.flat() };
    expect(verifyRequest(req, keys, opts(0, ['us-east-1', 'eu-west-1'])).scope).toBe('20130524/eu-west-1/s3/aws4_request');
  });

  it('unknown access key → InvalidAccessKeyId naming it', () => {
    const err = verify(headerReq(`AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/20130524/us-east-1/s3/aws4_request,SignedHeaders=${SIGNED},Signature=${SIG}`));
    expect(err).toMatchObject({ code: 'InvalidAccessKeyId', status: 403, elements: { AWSAccessKeyId: 'AKIDUNKNOWN' } });
  });

  it('a session token for a configured key → InvalidToken; for an unknown key the key error comes first', () => {
    const signed = 'host;range;x-amz-content-sha256;x-amz-date;x-amz-security-token';
    const token = ['X-Amz-Security-Token', 'FQoGZXIvYXdzEXAMPLE'];
    expect(verify(headerReq(`AWS4-HMAC-SHA256 Credential=${CRED},SignedHeaders=${signed},Signature=${SIG}`, token))).toMatchObject({
      code: 'InvalidToken',
      status: 400,
      message: 'The provided token is malformed or otherwise invalid.',
    });
    expect(
      verify(headerReq(`AWS4-HMAC-SHA256 Credential=AKIDUNKNOWN/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signed},Signature=${SIG}`, token)),
    ).toMatchObject({ code: 'InvalidAccessKeyId' });
    expect(verify(presignedReq({ 'X-Amz-Security-Token': 'FQoGZXIvYXdzEXAMPLE' }))).toMatchObject({ code: 'InvalidToken' });
  });
});

describe('signed headers (sigv4.md §3.4)', () => {
  it('lists every unsigned x-amz-* header, lowercase, once, in wire order', () => {
    const err = verify(headerReq(undefined, ['x-amz-meta-a', '1', 'X-Amz-Acl', 'private', 'X-AMZ-META-A', '2']));
    expect(err).toMatchObject({
      code: 'AccessDenied',
      status: 403,
      message: 'There were headers present in the request which were not signed',
      elements: { HeadersNotSigned: 'x-amz-meta-a,x-amz-acl' },
    });
  });

  it('host must be signed', () => {
    expect(verify(headerReq(`AWS4-HMAC-SHA256 Credential=${CRED},SignedHeaders=range;x-amz-content-sha256;x-amz-date,Signature=${SIG}`))).toMatchObject({
      code: 'AccessDenied',
      elements: { HeadersNotSigned: 'host' },
    });
  });

  it('presigned requests must sign their x-amz-* headers too', () => {
    expect(verify(presignedReq({}, ['x-amz-acl', 'public-read']))).toMatchObject({ code: 'AccessDenied', elements: { HeadersNotSigned: 'x-amz-acl' } });
  });

  it('an unsigned x-amz-content-sha256 is allowed (presigned, stating UNSIGNED-PAYLOAD)', () => {
    expect(verify(presignedReq({}, ['x-amz-content-sha256', 'UNSIGNED-PAYLOAD']))).toBeUndefined();
  });
});

describe('x-amz-content-sha256 values (sigv4.md §3.5)', () => {
  it.each([
    ['SigV4a streaming', 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD', 'NotImplemented', 501],
    ['63 hex chars', 'e'.repeat(63), 'InvalidArgument', 400],
    ['lowercase mode name', 'unsigned-payload', 'InvalidArgument', 400],
  ])('%s is refused before the signature is checked', (_name, value, code, status) => {
    const err = verify(headerReq(undefined, ['x-amz-content-sha256', value], ['x-amz-content-sha256']));
    expect(err).toMatchObject({ code, status });
    if (code === 'InvalidArgument') expect(err!.elements).toEqual({ ArgumentName: 'x-amz-content-sha256', ArgumentValue: value });
  });
});

describe('mechanisms (sigv4.md §1)', () => {
  const table: Array<[string, string, SignedRequest]> = [
    ['Authorization header', 'header', headerReq()],
    ['X-Amz-Algorithm query', 'presigned', presignedReq()],
    ['X-Amz-Credential without algorithm', 'presigned', presignedReq({ 'X-Amz-Algorithm': null })],
    ['SigV2 query', 'presigned', { method: 'GET', rawPath: '/k', rawQuery: 'AWSAccessKeyId=AK&Expires=1&Signature=abc', rawHeaders: ['Host', 'h'] }],
    ['nothing', 'anonymous', { method: 'GET', rawPath: '/k', rawQuery: 'x-amz-signature=lowercase-is-not-a-presign', rawHeaders: ['Host', 'h'] }],
  ];
  it.each(table)('%s → %s', (_name, expected, req) => {
    expect(authMechanism(req)).toBe(expected);
  });

  it('anonymous requests are refused by verifyRequest too', () => {
    expect(verify({ method: 'GET', rawPath: '/k', rawQuery: '', rawHeaders: ['Host', 'h'] })).toMatchObject({ code: 'AccessDenied', status: 403 });
  });

  it.each([
    ['X-Amz-Algorithm', 'X-Amz-Algorithm=AWS4-HMAC-SHA256'],
    ['SigV2 Signature', 'Signature=abc'],
  ])('Authorization header plus %s → InvalidArgument', (_name, rawQuery) => {
    const err = verify({ ...headerReq(), rawQuery });
    expect(err).toMatchObject({ code: 'InvalidArgument', status: 400 });
    expect(err!.message).toContain('Only one auth mechanism allowed');
  });

  it('SigV2 query auth → InvalidRequest', () => {
    const err = verify({ method: 'GET', rawPath: '/k', rawQuery: 'AWSAccessKeyId=AK&Expires=1&Signature=abc', rawHeaders: ['Host', 'h'] });
    expect(err).toMatchObject({
      code: 'InvalidRequest',
      status: 400,
      message: 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
    });
  });

  it('a broken escape in the path → InvalidURI', () => {
    expect(verify({ ...headerReq(), rawPath: '/test%2.txt' })).toMatchObject({ code: 'InvalidURI', status: 400 });
  });
});
