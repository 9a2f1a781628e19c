// Table tests for browser POST policies (src/auth/post-policy.ts, post-policy-document.ts): one hand-made form per condition kind and per violation, with S3's codes and messages (post-object.md).
import { describe, expect, it } from 'vitest';
import { checkPostLength, postAuthMechanism, verifyPostPolicy, MAX_POST_OBJECT_BYTES, type PostFields } from '../../../src/auth/post-policy.js';
import { decodePolicy } from '../../../src/auth/post-policy-document.js';
import { keyStore, rejection, visibleText } from './sigv2-helpers.js';
import { AKID, NOW, SECRET, policyBase64, setField, v2Form, v4Form, withoutField } from './post-policy-helpers.js';

const keys = keyStore([AKID, SECRET]);
const opts = { regions: ['us-east-1'], now: NOW };
const verify = (fields: PostFields, filename = 'C:\\Users\\me\\cat.png', bucket = 'photos') => verifyPostPolicy({ fields, filename, bucket }, keys, opts);
const failed = (condition: string) => `Invalid according to Policy: Policy Condition failed: ${condition}`;

describe('forms that satisfy their policy', () => {
  it('SigV4: ${filename} expanded (basename only) before starts-with; headers and answers read from the fields', () => {
    const form = v4Form(
      [
        ['key', 'user/${filename}'],
        ['Content-Type', 'image/png'],
        ['acl', 'public-read'],
        ['x-amz-meta-owner', 'me-${filename}'],
        ['success_action_status', '201'],
        ['Cache-Control', 'no-cache'],
        ['x-ignore-flash', '1'],
      ],
      [
        { bucket: 'photos' },
        ['starts-with', '$key', 'user/'],
        ['eq', '$Content-Type', 'image/png'],
        { acl: 'public-read' },
        ['starts-with', '$x-amz-meta-owner', 'me-'],
        { success_action_status: '201' },
        ['starts-with', '$Cache-Control', ''],
        ['content-length-range', 10, 20],
      ],
    );
    const upload = verify(form);
    expect(upload).toMatchObject({ version: 4, accessKeyId: AKID, key: 'user/cat.png', lengthRange: { min: 10, max: 20 }, successActionStatus: '201' });
    expect(upload.headers).toEqual([
      ['content-type', 'image/png'],
      ['x-amz-acl', 'public-read'],
      ['x-amz-meta-owner', 'me-cat.png'],
      ['cache-control', 'no-cache'],
    ]);
  });

  it('SigV2: AWSAccessKeyId and signature over the policy', () => {
    const upload = verify(v2Form([['key', 'k']], [{ bucket: 'photos' }, { key: 'k' }]));
    expect(upload).toMatchObject({ version: 2, key: 'k', headers: [], lengthRange: undefined });
  });

  it('field names are case-insensitive, in the form and in the policy', () => {
    const form = v4Form(
      [
        ['KEY', 'k'],
        ['content-TYPE', 'text/plain'],
      ],
      [{ bucket: 'photos' }, { Key: 'k' }, ['eq', '$CONTENT-type', 'text/plain']],
    );
    expect(verify(form).headers).toEqual([['content-type', 'text/plain']]);
  });

  it('repeated fields are one comma-joined value', () => {
    const form = v4Form(
      [
        ['key', 'k'],
        ['x-amz-meta-tag', 'Ninja'],
        ['x-amz-meta-tag', 'Stallman'],
      ],
      [{ bucket: 'photos' }, { key: 'k' }, { 'x-amz-meta-tag': 'Ninja,Stallman' }],
    );
    expect(verify(form).headers).toEqual([['x-amz-meta-tag', 'Ninja,Stallman']]);
  });

  it('Content-Type starts-with applies to every item of a comma-separated list', () => {
    const form = v4Form(
      [
        ['key', 'k'],
        ['Content-Type', 'image/jpeg, image/png'],
      ],
      [{ bucket: 'photos' }, { key: 'k' }, ['starts-with', '$Content-Type', 'image/']],
    );
    expect(verify(form).key).toBe('k');
    const bad = v4Form(
      [
        ['key', 'k'],
        ['Content-Type', 'image/jpeg,text/html'],
      ],
      [{ bucket: 'photos' }, { key: 'k' }, ['starts-with', '$Content-Type', 'image/']],
    );
    expect(rejection(() => verify(bad)).message).toBe(failed('["starts-with", "$Content-Type", "image/"]'));
  });

  it('redirect (the old name) is read like success_action_redirect', () => {
    const form = v4Form(
      [
        ['key', 'k'],
        ['redirect', 'https://app.example/ok'],
      ],
      [{ bucket: 'photos' }, { key: 'k' }, ['starts-with', '$redirect', 'https://app.example/']],
    );
    expect(verify(form).successActionRedirect).toBe('https://app.example/ok');
  });

  it('the policy is valid up to its expiration instant', () => {
    const form = v4Form([['key', 'k']], [{ bucket: 'photos' }, { key: 'k' }], { expiration: '2026-12-06T10:00:00.000Z' });
    expect(verify(form).key).toBe('k');
  });
});

describe('each violated condition → 403 AccessDenied naming it', () => {
  const base: Array<[string, string]> = [['key', 'user/cat.png']];
  it.each([
    ['bucket', [], [{ bucket: 'other' }], '["eq", "$bucket", "other"]'],
    ['bucket starts-with', [], [['starts-with', '$bucket', 'oth']], '["starts-with", "$bucket", "oth"]'],
    ['key eq', [], [{ key: 'user/dog.png' }], '["eq", "$key", "user/dog.png"]'],
    ['key starts-with', [], [['starts-with', '$key', 'admin/']], '["starts-with", "$key", "admin/"]'],
    ['Content-Type eq', [['Content-Type', 'text/html']], [['eq', '$Content-Type', 'image/png']], '["eq", "$Content-Type", "image/png"]'],
    ['Content-Type missing', [], [{ 'Content-Type': 'image/png' }], '["eq", "$Content-Type", "image/png"]'],
    ['x-amz-meta-*', [['x-amz-meta-owner', 'bob']], [['starts-with', '$x-amz-meta-owner', 'alice']], '["starts-with", "$x-amz-meta-owner", "alice"]'],
    ['success_action_status', [['success_action_status', '200']], [{ success_action_status: '201' }], '["eq", "$success_action_status", "201"]'],
    [
      'success_action_redirect',
      [['success_action_redirect', 'https://evil.example/']],
      [['starts-with', '$success_action_redirect', 'https://app.example/']],
      '["starts-with", "$success_action_redirect", "https://app.example/"]',
    ],
    ['acl', [['acl', 'public-read-write']], [{ acl: 'private' }], '["eq", "$acl", "private"]'],
    ['x-amz-* header', [['x-amz-storage-class', 'GLACIER']], [{ 'x-amz-storage-class': 'STANDARD' }], '["eq", "$x-amz-storage-class", "STANDARD"]'],
    ['Cache-Control', [['Cache-Control', 'no-store']], [['starts-with', '$Cache-Control', 'max-age']], '["starts-with", "$Cache-Control", "max-age"]'],
    ['Content-Disposition', [['Content-Disposition', 'inline']], [{ 'Content-Disposition': 'attachment' }], '["eq", "$Content-Disposition", "attachment"]'],
    ['Content-Encoding', [['Content-Encoding', 'br']], [{ 'Content-Encoding': 'gzip' }], '["eq", "$Content-Encoding", "gzip"]'],
    [
      'Expires',
      [['Expires', 'Fri, 01 Jan 2027 00:00:00 GMT']],
      [{ Expires: 'Thu, 31 Dec 2026 00:00:00 GMT' }],
      '["eq", "$Expires", "Thu, 31 Dec 2026 00:00:00 GMT"]',
    ],
  ] as Array<[string, Array<[string, string]>, unknown[], string]>)('%s', (_name, fields, conditions, text) => {
    for (const make of [v4Form, v2Form]) {
      const err = rejection(() => verify(make([...base, ...fields], [['starts-with', '$key', ''], ...conditions])));
      expect(err).toMatchObject({ code: 'AccessDenied', status: 403, message: failed(text) });
    }
  });

  it('the first failing condition in policy order is the one named', () => {
    const err = rejection(() =>
      verify(
        v4Form(
          [
            ['key', 'k'],
            ['acl', 'x'],
          ],
          [{ acl: 'private' }, { key: 'other' }],
        ),
      ),
    );
    expect(err.message).toBe(failed('["eq", "$acl", "private"]'));
  });

  it('expired policy', () => {
    const form = v4Form([['key', 'k']], [{ key: 'k' }], { expiration: '2026-12-06T09:59:59.999Z' });
    expect(rejection(() => verify(form))).toMatchObject({ code: 'AccessDenied', status: 403, message: 'Invalid according to Policy: Policy expired.' });
  });

  it('a field no condition names', () => {
    const form = v4Form(
      [
        ['key', 'k'],
        ['X-Amz-Meta-Note', 'hi'],
        ['x-ignore-me', '1'],
        ['tagging', 't'],
      ],
      [{ key: 'k' }],
    );
    expect(rejection(() => verify(form))).toMatchObject({
      code: 'AccessDenied',
      message: 'Invalid according to Policy: Extra input fields: X-Amz-Meta-Note, tagging',
    });
  });
});

describe('signature and required fields', () => {
  const good = () => v4Form([['key', 'k']], [{ key: 'k' }]);
  it.each([
    [
      'no key',
      () => withoutField(good(), 'key'),
      'InvalidArgument',
      400,
      "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.",
    ],
    [
      'no x-amz-signature',
      () => withoutField(good(), 'x-amz-signature'),
      'InvalidArgument',
      400,
      "Bucket POST must contain a field named 'X-Amz-Signature'.  If it is specified, please check the order of the fields.",
    ],
    [
      'no policy (SigV4)',
      () => withoutField(good(), 'policy'),
      'InvalidArgument',
      400,
      "Bucket POST must contain a field named 'Policy'.  If it is specified, please check the order of the fields.",
    ],
    [
      'no signature (SigV2)',
      () => withoutField(v2Form([['key', 'k']], [{ key: 'k' }]), 'signature'),
      'InvalidArgument',
      400,
      "Bucket POST must contain a field named 'Signature'.  If it is specified, please check the order of the fields.",
    ],
    [
      'no signature fields at all',
      () => [
        ['key', 'k'],
        ['policy', policyBase64([{ key: 'k' }])],
      ],
      'AccessDenied',
      403,
      'Access Denied',
    ],
    ['wrong secret', () => v4Form([['key', 'k']], [{ key: 'k' }], { secret: 'nope' }), 'SignatureDoesNotMatch', 403, undefined],
    ['policy swapped after signing', () => setField(good(), 'policy', policyBase64([{ key: 'other' }])), 'SignatureDoesNotMatch', 403, undefined],
    [
      'SigV2 wrong signature',
      () => setField(v2Form([['key', 'k']], [{ key: 'k' }]), 'signature', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='),
      'SignatureDoesNotMatch',
      403,
      undefined,
    ],
    [
      'unknown access key',
      () => v4Form([['key', 'k']], [{ key: 'k' }], { credential: 'NOBODY/20261206/us-east-1/s3/aws4_request' }),
      'InvalidAccessKeyId',
      403,
      undefined,
    ],
    [
      'session token',
      () =>
        v4Form(
          [
            ['key', 'k'],
            ['x-amz-security-token', 't'],
          ],
          [{ key: 'k' }, { 'x-amz-security-token': 't' }],
        ),
      'InvalidToken',
      400,
      undefined,
    ],
    [
      'wrong region',
      () => v4Form([['key', 'k']], [{ key: 'k' }], { credential: `${AKID}/20261206/eu-west-1/s3/aws4_request` }),
      'AuthorizationQueryParametersError',
      400,
      "Error parsing the X-Amz-Credential parameter; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
    ],
    [
      'scope date is not x-amz-date',
      () => v4Form([['key', 'k']], [{ key: 'k' }], { credential: `${AKID}/20261205/us-east-1/s3/aws4_request` }),
      'AuthorizationQueryParametersError',
      400,
      undefined,
    ],
    [
      'algorithm',
      () => setField(good(), 'x-amz-algorithm', 'AWS4-HMAC-SHA1'),
      'AuthorizationQueryParametersError',
      400,
      'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
    ],
    ['x-amz-date format', () => setField(good(), 'x-amz-date', '2026-12-06'), 'AuthorizationQueryParametersError', 400, undefined],
  ] as Array<[string, () => PostFields, string, number, string | undefined]>)('%s → %s', (_name, make, code, status, message) => {
    const form = make();
    const err = rejection(() => verify(form));
    expect(err).toMatchObject({ code, status });
    if (message !== undefined) expect(err.message).toBe(message);
    const sig = form.find(([n]) => n.toLowerCase() === 'x-amz-signature' || n === 'signature')?.[1];
    if (sig) expect(visibleText(err)).not.toContain(sig);
  });

  it('SignatureDoesNotMatch shows the policy as the string to sign', () => {
    const form = v4Form([['key', 'k']], [{ key: 'k' }], { secret: 'nope' });
    const err = rejection(() => verify(form));
    expect(err.elements).toEqual({ AWSAccessKeyId: AKID, StringToSign: form.find(([n]) => n === 'policy')![1] });
  });

  it('postAuthMechanism reads the fields case-insensitively', () => {
    expect(postAuthMechanism([['X-Amz-Signature', 'x']])).toBe('v4');
    expect(postAuthMechanism([['awsaccesskeyid', 'x']])).toBe('v2');
    expect(
      postAuthMechanism([
        ['key', 'k'],
        ['policy', 'p'],
      ]),
    ).toBe('anonymous');
  });
});

describe('policy documents S3 refuses → 400 InvalidPolicyDocument', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  it.each([
    ['not base64', '%%%', 'Invalid Policy: Invalid base64 encoding.'],
    ['not JSON', b64('{"expiration": '), 'Invalid Policy: Invalid JSON.'],
    ['a JSON list', b64('[]'), 'Invalid Policy: Invalid JSON.'],
    ['no expiration', b64('{"conditions": []}'), 'Invalid Policy: Policy missing expiration.'],
    ['bad expiration', b64('{"expiration": "tomorrow", "conditions": []}'), "Invalid Policy: Invalid 'expiration' value: 'tomorrow'"],
    ['no conditions', b64('{"expiration": "2026-12-06T11:00:00Z"}'), 'Invalid Policy: Policy missing conditions.'],
    [
      'two properties',
      b64('{"expiration": "2026-12-06T11:00:00Z", "conditions": [{"a": "1", "b": "2"}]}'),
      'Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.',
    ],
    [
      'number value',
      b64('{"expiration": "2026-12-06T11:00:00Z", "conditions": [{"success_action_status": 201}]}'),
      'Invalid Policy: Invalid Simple-Condition: value must be a string.',
    ],
    ['unknown operator', b64('{"expiration": "2026-12-06T11:00:00Z", "conditions": [["ends-with", "$key", "x"]]}'), undefined],
    ['no $', b64('{"expiration": "2026-12-06T11:00:00Z", "conditions": [["eq", "key", "x"]]}'), undefined],
    ['range reversed', b64('{"expiration": "2026-12-06T11:00:00Z", "conditions": [["content-length-range", 10, 1]]}'), undefined],
    ['range negative', b64('{"expiration": "2026-12-06T11:00:00Z", "conditions": [["content-length-range", -1, 1]]}'), undefined],
    ['too large', 'A'.repeat(20 * 1024 + 4), 'Invalid Policy: Policy is too large.'],
  ])('%s', (_name, policy, message) => {
    const err = rejection(() => decodePolicy(policy));
    expect(err).toMatchObject({ code: 'InvalidPolicyDocument', status: 400 });
    expect(err.message.startsWith('Invalid Policy: ')).toBe(true);
    if (message !== undefined) expect(err.message).toBe(message);
  });

  it('content-length-range bounds may be decimal strings', () => {
    expect(decodePolicy(b64('{"expiration": "2026-12-06T11:00:00Z", "conditions": [["content-length-range", "1", "10"]]}')).conditions[0]).toMatchObject({
      min: 1,
      max: 10,
    });
  });
});

describe('checkPostLength (content-length-range)', () => {
  const range = { min: 10, max: 20 };
  it.each([
    ['inside, while counting', 15, false, undefined],
    ['at the maximum, final', 20, true, undefined],
    ['at the minimum, final', 10, true, undefined],
    ['under the minimum while counting is not yet an error', 3, false, undefined],
    [
      'under the minimum at the end',
      9,
      true,
      ['EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: 9, MinSizeAllowed: 10 }],
    ],
    [
      'over the maximum as soon as counted',
      21,
      false,
      ['EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: 21, MaxSizeAllowed: 20 }],
    ],
  ] as Array<[string, number, boolean, [string, string, object] | undefined]>)('%s', (_name, bytes, final, expected) => {
    if (expected === undefined) {
      expect(() => checkPostLength(range, bytes, final)).not.toThrow();
      return;
    }
    const err = rejection(() => checkPostLength(range, bytes, final));
    expect(err).toMatchObject({ code: expected[0], status: 400, message: expected[1], elements: expected[2] });
  });

  it("without a range, S3's 5 GiB single-upload limit still applies", () => {
    expect(() => checkPostLength(undefined, MAX_POST_OBJECT_BYTES, true)).not.toThrow();
    expect(rejection(() => checkPostLength(undefined, MAX_POST_OBJECT_BYTES + 1, false)).code).toBe('EntityTooLarge');
  });
});
