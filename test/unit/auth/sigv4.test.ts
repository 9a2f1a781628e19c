// The pure SigV4 steps: encoding tables, canonicalisation edge cases and the AWS SigV4 test suite (service "service").
import { describe, expect, it } from 'vitest';
import { canonicalHeaders, canonicalQuery, canonicalRequest, canonicalUri, deriveSigningKey, stringToSign } from '../../../src/auth/sigv4.js';
import { hmacSha256Hex as hmacHex, sha256Hex } from '../../../src/s3/hash.js';
import { uriEncode } from '../../../src/s3/uri.js';
import { caught, listDirs, parseHttpText, queryParam, readJson, readText } from './fixtures.js';

describe('uriEncode (sigv4.md §3.1)', () => {
  it.each([
    ['unreserved untouched', 'AZaz09-_.~', true, 'AZaz09-_.~'],
    ['space is %20, never +', 'a b', true, 'a%20b'],
    ['plus', 'a+b', true, 'a%2Bb'],
    ['star and the other encodeURIComponent gaps', "*!'()", true, '%2A%21%27%28%29'],
    ['slash encoded in query', 'a/b', true, 'a%2Fb'],
    ['slash kept in path', 'a/b', false, 'a/b'],
    ['UTF-8, uppercase hex', 'é日', true, '%C3%A9%E6%97%A5'],
    ['astral char', '😀', true, '%F0%9F%98%80'],
    ['percent itself', '100%', true, '100%25'],
    ['empty', '', true, ''],
  ])('%s', (_name, input, encodeSlash, expected) => {
    expect(uriEncode(input, encodeSlash)).toBe(expected);
  });
});

describe('canonicalUri (sigv4.md §3.2)', () => {
  it.each([
    ['plain', '/bucket/key.txt', '/bucket/key.txt'],
    ['empty → /', '', '/'],
    ['raw $ is encoded (aws-s3-docs/put-object)', '/test$file.text', '/test%24file.text'],
    ['escaped $ stays escaped', '/test%24file.text', '/test%24file.text'],
    ['lowercase escapes become uppercase', '/a%2fb%c3%a9', '/a/b%C3%A9'],
    ['%2F decodes to a kept slash', '/a%2Fb', '/a/b'],
    ['+ is a literal plus in paths', '/a+b', '/a%2Bb'],
    ['no double encoding', '/a%20b', '/a%20b'],
    ['no normalisation of dot segments and //', '/examplebucket/a//b/./c/../d', '/examplebucket/a//b/./c/../d'],
    ['trailing slash kept', '/dir/', '/dir/'],
    ['unreserved escapes are decoded', '/%7Euser/%41', '/~user/A'],
    ['raw space (test-suite input)', '/example space/', '/example%20space/'],
  ])('%s', (_name, raw, expected) => {
    expect(canonicalUri(raw)).toBe(expected);
  });

  it.each([
    ['truncated escape', '/a%2'],
    ['non-hex escape', '/a%zz'],
    ['lone percent', '/100%'],
    ['invalid UTF-8 byte', '/a%FF'],
    ['overlong UTF-8', '/a%C0%AF'],
    ['truncated UTF-8 sequence', '/a%E6%97'],
  ])('rejects %s with InvalidURI', (_name, raw) => {
    const err = caught(() => canonicalUri(raw));
    expect(err).toMatchObject({ code: 'InvalidURI', status: 400, message: "Couldn't parse the specified URI." });
  });
});

describe('canonicalQuery (sigv4.md §3.3)', () => {
  it.each([
    ['empty', '', false, ''],
    ['valueless names get =', 'lifecycle', false, 'lifecycle='],
    ['sorted by name', 'prefix=J&max-keys=2', false, 'max-keys=2&prefix=J'],
    ['uppercase sorts first (byte order)', 'x-id=GetObject&X-Amz-Date=1&list-type=2', false, 'X-Amz-Date=1&list-type=2&x-id=GetObject'],
    ['repeated names kept, sorted by value', 'a=2&a=1&a=10', false, 'a=1&a=10&a=2'],
    ['+ decodes to space', 'prefix=a+b', false, 'prefix=a%20b'],
    ['%2B stays a plus', 'prefix=a%2Bb', false, 'prefix=a%2Bb'],
    ['/ is encoded', 'prefix=photos/2013', false, 'prefix=photos%2F2013'],
    ['= after the first is part of the value', 'k=a=b', false, 'k=a%3Db'],
    ['empty pieces skipped', 'a=1&&b=2&', false, 'a=1&b=2'],
    ['signature kept for header auth', 'X-Amz-Signature=abc&a=1', false, 'X-Amz-Signature=abc&a=1'],
    ['signature dropped when presigned', 'X-Amz-Signature=abc&a=1', true, 'a=1'],
    ['only X-Amz-Signature is dropped', 'X-Amz-Signature=abc&x-amz-signature=def', true, 'x-amz-signature=def'],
    ['sorted on encoded names (% is 0x25, before letters)', 'Param=2&%E1%88%B4=1', false, '%E1%88%B4=1&Param=2'],
  ])('%s', (_name, raw, drop, expected) => {
    expect(canonicalQuery(raw, drop)).toBe(expected);
  });

  it('rejects a broken escape with InvalidURI', () => {
    expect(caught(() => canonicalQuery('a=%G1', false))).toMatchObject({ code: 'InvalidURI' });
  });
});

describe('canonicalHeaders (sigv4.md §3.4)', () => {
  it.each([
    ['trim and fold inner runs', ['X-Amz-Meta-Note', '  multiple   spaces   here  '], ['x-amz-meta-note'], 'x-amz-meta-note:multiple spaces here\n'],
    [
      'repeats joined with "," in wire order',
      ['My-Header1', 'value4', 'my-header1', 'value1', 'MY-HEADER1', 'value3'],
      ['my-header1'],
      'my-header1:value4,value1,value3\n',
    ],
    ['quoted strings folded too', ['My-Header2', '"a   b   c"'], ['my-header2'], 'my-header2:"a b c"\n'],
    ['tabs are whitespace', ['A', '\tx\t\ty\t'], ['a'], 'a:x y\n'],
    ['absent signed header → name:', ['Host', 'h'], ['host', 'range'], 'host:h\nrange:\n'],
    ['unsigned headers ignored', ['Host', 'h', 'User-Agent', 'x'], ['host'], 'host:h\n'],
    ['host with port verbatim', ['Host', '127.0.0.1:9443'], ['host'], 'host:127.0.0.1:9443\n'],
    ['empty value', ['x-amz-meta-e', ''], ['x-amz-meta-e'], 'x-amz-meta-e:\n'],
    [
      'UTF-8 bytes delivered as latin1 by Node are decoded back',
      ['x-amz-meta-n', Buffer.from('café 日', 'utf8').toString('latin1')],
      ['x-amz-meta-n'],
      'x-amz-meta-n:café 日\n',
    ],
    ['latin1 that is not UTF-8 stays', ['x-amz-meta-n', 'caf\u00e9'], ['x-amz-meta-n'], 'x-amz-meta-n:caf\u00e9\n'],
  ])('%s', (_name, raw, signed, expected) => {
    expect(canonicalHeaders(raw, signed)).toBe(expected);
  });

  it('get-header-value-multiline: obsolete line folding is joined with one space', () => {
    const req = parseHttpText(readText('aws-sigv4-test-suite/v4/get-header-value-multiline/request.txt'));
    const raw = req.headers.flat();
    expect(canonicalHeaders(raw, ['host', 'my-header1'])).toBe('host:example.amazonaws.com\nmy-header1:value1 value2 value3\n');
  });
});

describe('signing key and signature (sigv4.md §5)', () => {
  it('derives the documented kSigning', () => {
    const key = deriveSigningKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3');
    expect(key.toString('hex')).toBe('dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378');
  });

  it('builds the documented canonical request, string to sign and signature (get-object-range)', () => {
    const cr = canonicalRequest({
      method: 'GET',
      rawPath: '/test.txt',
      rawQuery: '',
      presigned: false,
      rawHeaders: ['Host', 'examplebucket.s3.amazonaws.com', 'Range', 'bytes=0-9', 'x-amz-content-sha256', sha256Hex(''), 'x-amz-date', '20130524T000000Z'],
      signedHeaders: ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'],
      payloadHash: sha256Hex(Buffer.alloc(0)),
    });
    expect(cr).toBe(readText('aws-s3-docs/get-object-range/canonical-request.txt'));
    const sts = stringToSign('20130524T000000Z', '20130524/us-east-1/s3/aws4_request', cr);
    expect(sts).toBe(readText('aws-s3-docs/get-object-range/string-to-sign.txt'));
    const key = deriveSigningKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3');
    expect(hmacHex(key, sts)).toBe(readText('aws-s3-docs/get-object-range/signature.txt'));
  });
});

// The generic AWS suite (service "service"): 38 cases, 32 apply to S3 (fixtures README).
const SUITE = 'aws-sigv4-test-suite/v4';
/** RFC 3986 path normalisation is what these six expect; S3 keys keep `.`, `..` and `//` (sigv4.md §3.2 item 2). Their *-unnormalized twins run instead. */
const NORMALIZED_ONLY = new Set([
  'get-relative-normalized',
  'get-relative-relative-normalized',
  'get-slash-dot-slash-normalized',
  'get-slash-normalized',
  'get-slash-pointless-dot-normalized',
  'get-slashes-normalized',
]);
const suiteCases = listDirs(SUITE);
const applicable = suiteCases.filter((c) => !NORMALIZED_ONLY.has(c));
/**
 * post-sts-header-after (omit_session_token) appends X-Amz-Security-Token to the URL after
 * signing. A header can stay out of SignedHeaders, but a query parameter cannot stay out of
 * the canonical query on the verifying side, and S3 requires the token to be signed; its
 * header form still runs.
 */
const QUERY_FORM_SIGNER_ONLY = new Set(['post-sts-header-after']);

interface SuiteContext {
  credentials: { access_key_id: string; secret_access_key: string };
  region: string;
  service: string;
  timestamp: string;
}

function suiteSign(name: string, form: 'header' | 'query') {
  const ctx = readJson<SuiteContext>(`${SUITE}/${name}/context.json`);
  const req = parseHttpText(readText(`${SUITE}/${name}/${form}-signed-request.txt`));
  const timestamp = ctx.timestamp.replace(/[-:]/g, '');
  const scope = `${timestamp.slice(0, 8)}/${ctx.region}/${ctx.service}/aws4_request`;
  let signedHeaders: string[];
  let rawHeaders: string[];
  if (form === 'header') {
    const auth = req.headers.find(([n]) => n === 'Authorization')![1];
    signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)![1]!.split(';');
    rawHeaders = req.headers.filter(([n]) => n !== 'Authorization').flat();
  } else {
    signedHeaders = queryParam(req.rawQuery, 'X-Amz-SignedHeaders')!.split(';');
    rawHeaders = req.headers.flat();
  }
  const cr = canonicalRequest({
    method: req.method,
    rawPath: req.rawPath,
    rawQuery: req.rawQuery,
    rawHeaders,
    signedHeaders,
    payloadHash: sha256Hex(req.body),
    presigned: form === 'query',
  });
  const sts = stringToSign(timestamp, scope, cr);
  const signature = hmacHex(deriveSigningKey(ctx.credentials.secret_access_key, timestamp.slice(0, 8), ctx.region, ctx.service), sts);
  return { cr, sts, signature };
}

describe('AWS SigV4 test suite, canonicalisation and signing core', () => {
  it('has 38 cases, 32 of them applicable to S3', () => {
    expect(suiteCases).toHaveLength(38);
    expect(applicable).toHaveLength(32);
  });

  describe.each(['header', 'query'] as const)('%s form', (form) => {
    const cases = form === 'query' ? applicable.filter((c) => !QUERY_FORM_SIGNER_ONLY.has(c)) : applicable;
    it.each(cases)('%s', (name) => {
      const { cr, sts, signature } = suiteSign(name, form);
      expect(cr).toBe(readText(`${SUITE}/${name}/${form}-canonical-request.txt`));
      expect(sts).toBe(readText(`${SUITE}/${name}/${form}-string-to-sign.txt`));
      expect(signature).toBe(readText(`${SUITE}/${name}/${form}-signature.txt`));
    });

    it.skip.each([...NORMALIZED_ONLY])('%s (skipped: expects RFC 3986 path normalisation, which S3 does not do; its -unnormalized twin runs)', () => {});
    if (form === 'query') {
      it.skip.each([...QUERY_FORM_SIGNER_ONLY])(
        '%s (skipped: the signer leaves the token out of the canonical query, which no verifier can reproduce)',
        () => {},
      );
    }
  });

  it('post-sts-header-after query form: the token is outside the signature, which a verifier rejects as a mismatch', () => {
    const { signature } = suiteSign('post-sts-header-after', 'query');
    expect(signature).not.toBe(readText(`${SUITE}/post-sts-header-after/query-signature.txt`));
  });

  it('a normalised case really differs under S3 rules (so the skip is needed, not hiding a bug)', () => {
    const { cr } = suiteSign('get-slash-dot-slash-normalized', 'header');
    expect(cr.split('\n')[1]).toBe('/./');
    expect(cr).not.toBe(readText(`${SUITE}/get-slash-dot-slash-normalized/header-canonical-request.txt`));
  });
});
