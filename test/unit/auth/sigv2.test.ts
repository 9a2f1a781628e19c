// Table tests for SigV2 verification (src/auth/sigv2.ts, src/auth/verify-sigv2.ts): the botocore vectors, AWS documentation examples, and every refusal with AWS's code (sigv2.md).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalAmzHeaders, canonicalResource, signV2, SIGNED_SUBRESOURCES, stringToSignV2 } from '../../../src/auth/sigv2.js';
import { isSigV2QueryAuthParam, sigV2Mechanism, verifySigV2 } from '../../../src/auth/verify-sigv2.js';
import { DOC_AKID, DOC_SECRET, keyStore, rejection, signedRequest, visibleText } from './sigv2-helpers.js';

interface BotocoreCase {
  name: string;
  kind: 'header' | 'query';
  method: string;
  path: string;
  query: string;
  headers?: Record<string, string>;
  expires?: number;
  stringToSign: string;
  signature: string;
  url?: string;
  note: string;
}
const vectors = JSON.parse(readFileSync(new URL('../../fixtures/sigv2/cases.json', import.meta.url), 'utf8')) as { cases: BotocoreCase[] };
const keys = keyStore([DOC_AKID, DOC_SECRET], ['OTHERKEY', 'other-secret']);
const DATE_2007 = new Date('2007-03-27T19:36:42Z');

function vectorRequest(c: BotocoreCase, signature = c.signature) {
  if (c.kind === 'header') {
    const target = c.query ? `${c.path}?${c.query}` : c.path;
    return signedRequest(c.method, target, { Host: '127.0.0.1:9000', ...c.headers, Authorization: `AWS ${DOC_AKID}:${signature}` });
  }
  const auth = `AWSAccessKeyId=${DOC_AKID}&Signature=${encodeURIComponent(signature)}&Expires=${c.expires}`;
  return signedRequest(c.method, `${c.path}?${c.query ? `${c.query}&` : ''}${auth}`, { Host: '127.0.0.1:9000' });
}

function nowFor(c: BotocoreCase): Date {
  return c.kind === 'header' ? new Date(Date.parse(c.headers!.Date!)) : new Date((c.expires! - 60) * 1000);
}

describe('botocore vectors (test/fixtures/sigv2/cases.json)', () => {
  const tokenCase = (c: BotocoreCase) => c.headers?.['x-amz-security-token'] !== undefined;

  it.each(vectors.cases.filter((c) => !tokenCase(c)).map((c) => [c.name, c] as const))('%s verifies', (_name, c) => {
    const result = verifySigV2(vectorRequest(c), keys, { now: nowFor(c) });
    expect(result).toMatchObject({ version: 2, accessKeyId: DOC_AKID, presigned: c.kind === 'query', payload: { kind: 'unsigned' }, signature: c.signature });
    expect(result.client.accessKeyId).toBe(DOC_AKID);
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s: a wrong signature names the same string to sign', (_name, c) => {
    if (tokenCase(c)) return; // refused before the signature: see the InvalidToken case below
    const err = rejection(() => verifySigV2(vectorRequest(c, 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='), keys, { now: nowFor(c) }));
    expect(err).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 });
    expect(err.elements.StringToSign).toBe(c.stringToSign);
    expect(err.elements.AWSAccessKeyId).toBe(DOC_AKID);
    expect(err.elements.StringToSignBytes).toBe([...Buffer.from(c.stringToSign)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
    expect(visibleText(err)).not.toContain('AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
  });

  it('the security-token case: its string to sign is what the pure steps build, and the token is refused with InvalidToken', () => {
    const c = vectors.cases.find(tokenCase)!;
    const sts = stringToSignV2({
      method: 'GET',
      contentMd5: '',
      contentType: '',
      date: c.headers!.Date!,
      amzHeaders: [['x-amz-security-token', 'TOKEN']],
      resource: '/photos/puppy.jpg',
    });
    expect(sts).toBe(c.stringToSign);
    expect(signV2(DOC_SECRET, sts)).toBe(c.signature);
    expect(rejection(() => verifySigV2(vectorRequest(c), keys, { now: nowFor(c) }))).toMatchObject({ code: 'InvalidToken', status: 400 });
  });
});

describe('AWS documentation examples (signatures recomputed and confirmed)', () => {
  it.each([
    [
      'virtual-hosted GET',
      'GET',
      '/photos/puppy.jpg',
      { Host: 'awsexamplebucket1.us-west-1.s3.amazonaws.com', Date: 'Tue, 27 Mar 2007 19:36:42 +0000' },
      'awsexamplebucket1',
      'qgk2+6Sv9/oM7G3qLEjTH1a1l1g=',
    ],
    [
      'Unicode key, escapes kept literally (lower-case hex too)',
      'GET',
      '/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re',
      { Host: 's3.us-west-1.amazonaws.com', Date: 'Wed, 28 Mar 2007 01:49:49 +0000' },
      undefined,
      'DNEZGsoieTZ92F3bUfSPQcbGmlM=',
    ],
    [
      'list all my buckets',
      'GET',
      '/',
      { Host: 's3.us-west-1.amazonaws.com', Date: 'Wed, 28 Mar 2007 01:29:59 +0000' },
      undefined,
      'qGdzdERIC03wnaRNKh6OqZehG9s=',
    ],
  ])('%s', (_name, method, target, headers, hostBucket, signature) => {
    const req = signedRequest(method, target, { ...headers, Authorization: `AWS ${DOC_AKID}:${signature}` });
    const result = verifySigV2(req, keys, { now: new Date(Date.parse(headers.Date)), hostBucket });
    expect(result.signature).toBe(signature);
  });

  it('CNAME-style upload: repeated x-amz-meta-* joined, sorted, lower-cased; other Content-* headers unsigned', () => {
    const headers: Array<[string, string]> = [
      ['Host', 'static.awsexamplebucket1.net:8080'],
      ['Date', 'Tue, 27 Mar 2007 21:06:08 +0000'],
      ['x-amz-acl', 'public-read'],
      ['content-type', 'application/x-download'],
      ['Content-MD5', '4gJE4saaMU4BqNR0kLY+lw=='],
      ['X-Amz-Meta-ReviewedBy', 'joe@awsexamplebucket1.net'],
      ['X-Amz-Meta-ReviewedBy', 'jane@awsexamplebucket1.net'],
      ['X-Amz-Meta-FileChecksum', '0x02661779'],
      ['X-Amz-Meta-ChecksumAlgorithm', 'crc32'],
      ['Content-Disposition', 'attachment; filename=database.dat'],
      ['Content-Encoding', 'gzip'],
      ['Content-Length', '5913339'],
      ['Authorization', `AWS ${DOC_AKID}:dKZcB+bz2EPXgSdXZp9ozGeOM4I=`],
    ];
    const result = verifySigV2(signedRequest('PUT', '/db-backup.dat.gz', headers), keys, {
      now: new Date('2007-03-27T21:06:08Z'),
      hostBucket: 'static.awsexamplebucket1.net',
    });
    expect(result.accessKeyId).toBe(DOC_AKID);
  });
});

/** Signs a header-auth request with the pure steps, so the tests below can vary one thing at a time. */
function headerSigned(method: string, target: string, headers: Record<string, string>, resource: string, date = 'Tue, 27 Mar 2007 19:36:42 GMT') {
  const amz = Object.entries(headers).filter(([n]) => n.toLowerCase().startsWith('x-amz-'));
  const sts = stringToSignV2({
    method,
    contentMd5: headers['Content-MD5'] ?? '',
    contentType: headers['Content-Type'] ?? '',
    date: amz.some(([n]) => n.toLowerCase() === 'x-amz-date') ? '' : date,
    amzHeaders: amz,
    resource,
  });
  return signedRequest(method, target, { Host: 'h', Date: date, ...headers, Authorization: `AWS ${DOC_AKID}:${signV2(DOC_SECRET, sts)}` });
}

describe('header auth details', () => {
  it('x-amz-date replaces Date: the Date line is empty and x-amz-date is an x-amz-* line (§3.1)', () => {
    const req = headerSigned('DELETE', '/b/k', { 'x-amz-date': 'Tue, 27 Mar 2007 21:20:26 +0000' }, '/b/k', 'Mon, 01 Jan 2001 00:00:00 GMT');
    const result = verifySigV2(req, keys, { now: new Date('2007-03-27T21:20:26Z') });
    expect(result.timestamp).toBe('20070327T212026Z');
  });

  it('x-amz-date in ISO basic is accepted as a timestamp (§6)', () => {
    const req = headerSigned('GET', '/b/k', { 'x-amz-date': '20070327T212026Z' }, '/b/k');
    expect(verifySigV2(req, keys, { now: new Date('2007-03-27T21:20:26Z') }).accessKeyId).toBe(DOC_AKID);
  });

  it('a Date with a numeric zone (email.utils.formatdate) is accepted', () => {
    const req = headerSigned('GET', '/b/k', {}, '/b/k', 'Tue, 27 Mar 2007 21:36:42 +0200');
    expect(verifySigV2(req, keys, { now: DATE_2007 }).timestamp).toBe('20070327T193642Z');
  });

  it("/bucket signed without botocore's trailing slash also verifies; the error names the slashed form", () => {
    const req = headerSigned('GET', '/photos?prefix=x', {}, '/photos');
    expect(verifySigV2(req, keys, { now: DATE_2007 }).presigned).toBe(false);
    const tampered = signedRequest('GET', '/photos', {
      Host: 'h',
      Date: 'Tue, 27 Mar 2007 19:36:42 GMT',
      Authorization: `AWS ${DOC_AKID}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=`,
    });
    expect(rejection(() => verifySigV2(tampered, keys, { now: DATE_2007 })).elements.StringToSign).toBe('GET\n\n\nTue, 27 Mar 2007 19:36:42 GMT\n/photos/');
  });

  it('raw sub-resource values (JS SDK v2 signs uploadId undecoded) also verify', () => {
    const req = headerSigned('PUT', '/b/k?partNumber=1&uploadId=a%2Bb', {}, '/b/k?partNumber=1&uploadId=a%2Bb');
    expect(verifySigV2(req, keys, { now: DATE_2007 }).accessKeyId).toBe(DOC_AKID);
  });

  it('a header-signed request may leave the newer operation names out, as botocore does (§4.3)', () => {
    const req = headerSigned('PUT', '/b/k?retention', {}, '/b/k');
    expect(verifySigV2(req, keys, { now: DATE_2007 }).accessKeyId).toBe(DOC_AKID);
  });

  it("every sub-resource of AWS's documented list is signed", () => {
    for (const name of [
      'acl',
      'lifecycle',
      'location',
      'logging',
      'notification',
      'partNumber',
      'policy',
      'requestPayment',
      'torrent',
      'uploadId',
      'uploads',
      'versionId',
      'versioning',
      'versions',
      'website',
      'delete',
      'cors',
      'tagging',
      'restore',
      'select',
      'select-type',
    ]) {
      expect(SIGNED_SUBRESOURCES.has(name)).toBe(true);
    }
  });

  it('x-amz-* values: unfolded and trimmed, inner spaces kept; repeats joined with "," (§3.2)', () => {
    expect(
      canonicalAmzHeaders([
        ['X-Amz-Meta-A', '  y  z '],
        ['x-amz-meta-b', 'one\r\n two'],
        ['x-amz-meta-a', 'w'],
      ]),
    ).toBe('x-amz-meta-a:y  z,w\nx-amz-meta-b:one two\n');
  });

  it('UTF-8 bytes of a header value are signed as the text they encode', () => {
    const latin1 = Buffer.from('ü', 'utf8').toString('latin1');
    expect(canonicalAmzHeaders([['x-amz-meta-n', latin1]])).toBe('x-amz-meta-n:ü\n');
  });

  it('virtual-hosted resources start with the Host bucket; sub-resources are sorted by name and decoded', () => {
    expect(
      canonicalResource({ rawPath: '/', rawQuery: 'versioning', hostBucket: 'b', subresources: SIGNED_SUBRESOURCES, bucketSlash: true, decodeValues: true }),
    ).toBe('/b/?versioning');
    expect(
      canonicalResource({
        rawPath: '/b/k',
        rawQuery: 'versionId=v%2F1&acl&list-type=2',
        subresources: SIGNED_SUBRESOURCES,
        bucketSlash: true,
        decodeValues: true,
      }),
    ).toBe('/b/k?acl&versionId=v/1');
    expect(canonicalResource({ rawPath: '/b/k', rawQuery: 'acl=', subresources: SIGNED_SUBRESOURCES, bucketSlash: true, decodeValues: true })).toBe(
      '/b/k?acl=',
    );
  });
});

describe('refusals', () => {
  const good = () => headerSigned('PUT', '/photos/k?acl', { 'Content-Type': 'text/plain', 'x-amz-acl': 'private' }, '/photos/k?acl');
  const withHeader = (name: string, value: string) => {
    const r = good();
    const i = r.rawHeaders.findIndex((v, j) => j % 2 === 0 && v.toLowerCase() === name.toLowerCase());
    if (i >= 0) r.rawHeaders[i + 1] = value;
    else r.rawHeaders.push(name, value);
    return r;
  };

  it.each([
    ['tampered path', 'SignatureDoesNotMatch', 403, () => ({ ...good(), rawPath: '/photos/other' })],
    ['tampered sub-resource', 'SignatureDoesNotMatch', 403, () => ({ ...good(), rawQuery: 'tagging' })],
    ['tampered x-amz-* header', 'SignatureDoesNotMatch', 403, () => withHeader('x-amz-acl', 'public-read')],
    ['added x-amz-* header', 'SignatureDoesNotMatch', 403, () => withHeader('x-amz-meta-new', '1')],
    ['tampered Content-Type', 'SignatureDoesNotMatch', 403, () => withHeader('Content-Type', 'text/html')],
    ['unknown access key', 'InvalidAccessKeyId', 403, () => withHeader('Authorization', 'AWS NOPE:AAAAAAAAAAAAAAAAAAAAAAAAAAA=')],
    ["other client's key", 'SignatureDoesNotMatch', 403, () => withHeader('Authorization', `AWS OTHERKEY:${good().rawHeaders.at(-1)!.split(':')[1]}`)],
    ['no colon', 'InvalidArgument', 400, () => withHeader('Authorization', `AWS ${DOC_AKID}`)],
    ['empty signature', 'InvalidArgument', 400, () => withHeader('Authorization', `AWS ${DOC_AKID}:`)],
    ['no Date', 'AccessDenied', 403, () => ({ ...good(), rawHeaders: good().rawHeaders.filter((_v, i, a) => a[i - (i % 2)] !== 'Date') })],
    ['unparseable Date', 'AccessDenied', 403, () => withHeader('Date', 'yesterday')],
    ['session token', 'InvalidToken', 400, () => withHeader('X-Amz-Security-Token', 'T')],
    ['signed aws-chunked body', 'InvalidRequest', 400, () => withHeader('x-amz-content-sha256', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD')],
    ['Signature in the query too', 'InvalidArgument', 400, () => ({ ...good(), rawQuery: 'acl&Signature=x' })],
  ])('%s → %s', (_name, code, status, make) => {
    const err = rejection(() => verifySigV2(make(), keys, { now: DATE_2007 }));
    expect(err).toMatchObject({ code, status });
  });

  it.each([
    ['16 minutes ahead', 16 * 60_000, 'RequestTimeTooSkewed'],
    ['16 minutes behind', -16 * 60_000, 'RequestTimeTooSkewed'],
    ['15 minutes ahead is within', 15 * 60_000, undefined],
  ])('clock skew: %s', (_name, delta, code) => {
    const now = new Date(DATE_2007.getTime() + delta);
    if (code === undefined) {
      expect(verifySigV2(good(), keys, { now }).accessKeyId).toBe(DOC_AKID);
      return;
    }
    const err = rejection(() => verifySigV2(good(), keys, { now }));
    expect(err).toMatchObject({ code, status: 403 });
    expect(err.elements).toMatchObject({ RequestTime: 'Tue, 27 Mar 2007 19:36:42 GMT', MaxAllowedSkewMilliseconds: 900000 });
  });

  it('a request with no SigV2 credentials is not ours', () => {
    expect(sigV2Mechanism(signedRequest('GET', '/b/k', { Host: 'h' }))).toBeUndefined();
    expect(sigV2Mechanism(signedRequest('GET', '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&Signature=x', { Host: 'h' }))).toBeUndefined();
    expect(sigV2Mechanism(signedRequest('GET', '/b/k', { Authorization: 'AWS4-HMAC-SHA256 Credential=x' }))).toBeUndefined();
    expect(sigV2Mechanism(signedRequest('GET', '/b/k', { Authorization: 'AWS a:b' }))).toBe('header');
    expect(sigV2Mechanism(signedRequest('GET', '/b/k?AWSAccessKeyId=a', {}))).toBe('presigned');
    expect(rejection(() => verifySigV2(signedRequest('GET', '/b/k', {}), keys, { now: DATE_2007 }))).toMatchObject({ code: 'AccessDenied' });
  });
});

describe('query auth', () => {
  const EXPIRES = 1175139620;
  const presign = (method: string, path: string, query: string, resource: string, extra: { contentType?: string; amz?: Array<[string, string]> } = {}) => {
    const sts = stringToSignV2({ method, contentMd5: '', contentType: extra.contentType ?? '', date: String(EXPIRES), amzHeaders: extra.amz ?? [], resource });
    return `${path}?${query ? `${query}&` : ''}AWSAccessKeyId=${DOC_AKID}&Signature=${encodeURIComponent(signV2(DOC_SECRET, sts))}&Expires=${EXPIRES}`;
  };
  const at = (seconds: number) => ({ now: new Date(seconds * 1000) });

  it('valid up to the Expires instant, refused after it with Expires and ServerTime', () => {
    const req = signedRequest('GET', presign('GET', '/photos/k', '', '/photos/k'), { Host: 'h' });
    expect(verifySigV2(req, keys, at(EXPIRES)).timestamp).toBe('20070329T034020Z');
    const err = rejection(() => verifySigV2(req, keys, at(EXPIRES + 1)));
    expect(err).toMatchObject({ code: 'AccessDenied', status: 403, message: 'Request has expired' });
    expect(err.elements).toEqual({ Expires: '2007-03-29T03:40:20Z', ServerTime: '2007-03-29T03:40:21Z' });
  });

  it('an unencoded "+" in Signature still verifies', () => {
    const sts = stringToSignV2({ method: 'GET', contentMd5: '', contentType: '', date: String(EXPIRES), amzHeaders: [], resource: '/b/k0' });
    const sig = signV2(DOC_SECRET, sts);
    const target = `/b/k0?AWSAccessKeyId=${DOC_AKID}&Signature=${sig.replace(/=/g, '%3D').replace(/\//g, '%2F')}&Expires=${EXPIRES}`;
    expect(verifySigV2(signedRequest('GET', target, {}), keys, at(EXPIRES - 5)).signature).toBe(sig);
  });

  it('content-type and x-amz-* query parameters stand in for headers and are hoisted; a header wins', () => {
    const target = presign('PUT', '/b/k', 'content-type=text%2Fplain&x-amz-acl=public-read', '/b/k', {
      contentType: 'text/plain',
      amz: [['x-amz-acl', 'public-read']],
    });
    const result = verifySigV2(signedRequest('PUT', target, {}), keys, at(EXPIRES));
    expect(result.hoistedHeaders).toEqual([
      ['content-type', 'text/plain'],
      ['x-amz-acl', 'public-read'],
    ]);
    const sameHeader = verifySigV2(signedRequest('PUT', target, { 'Content-Type': 'text/plain' }), keys, at(EXPIRES));
    expect(sameHeader.hoistedHeaders).toEqual([['x-amz-acl', 'public-read']]);
    const otherHeader = rejection(() => verifySigV2(signedRequest('PUT', target, { 'Content-Type': 'text/html' }), keys, at(EXPIRES)));
    expect(otherHeader.code).toBe('SignatureDoesNotMatch');
  });

  it('an operation name SigV2 signers leave out must be signed in a presigned URL (§4.3)', () => {
    const url = presign('PUT', '/photos/k', '', '/photos/k');
    const err = rejection(() => verifySigV2(signedRequest('PUT', `${url}&retention`, {}), keys, at(EXPIRES)));
    expect(err.code).toBe('SignatureDoesNotMatch');
    expect(String(err.elements.StringToSign).endsWith('/photos/k?retention')).toBe(true);
    const signedWithIt = presign('PUT', '/photos/k', 'legal-hold', '/photos/k?legal-hold');
    expect(verifySigV2(signedRequest('PUT', signedWithIt, {}), keys, at(EXPIRES)).presigned).toBe(true);
  });

  it.each([
    [
      'no Signature',
      `/b/k?AWSAccessKeyId=${DOC_AKID}&Expires=${EXPIRES}`,
      'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
    ],
    [
      'no Expires',
      `/b/k?AWSAccessKeyId=${DOC_AKID}&Signature=abc`,
      'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters',
    ],
    ['no AWSAccessKeyId', `/b/k?Signature=abc&Expires=${EXPIRES}`, 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters'],
    ['Expires not a number', `/b/k?AWSAccessKeyId=${DOC_AKID}&Signature=abc&Expires=soon`, 'Invalid date (should be seconds since epoch): soon'],
  ])('%s → 403 AccessDenied', (_name, target, message) => {
    expect(rejection(() => verifySigV2(signedRequest('GET', target, {}), keys, at(EXPIRES)))).toMatchObject({ code: 'AccessDenied', status: 403, message });
  });

  it('a session token in the query is refused with InvalidToken', () => {
    const target = presign('GET', '/b/k', 'x-amz-security-token=T', '/b/k', { amz: [['x-amz-security-token', 'T']] });
    expect(rejection(() => verifySigV2(signedRequest('GET', target, {}), keys, at(EXPIRES))).code).toBe('InvalidToken');
  });

  it('the forwarder drops exactly the SigV2 auth parameters and the hoisted header parameters', () => {
    expect(['AWSAccessKeyId', 'Signature', 'Expires', 'content-type', 'Content-MD5'].every(isSigV2QueryAuthParam)).toBe(true);
    expect(['acl', 'prefix', 'signature', 'response-content-type'].some(isSigV2QueryAuthParam)).toBe(false);
  });
});
