// The embedded store's bucket policy evaluation (src/store/policy.ts): which statements apply, and IAM's condition operators on a request's condition keys.
import { describe, expect, it } from 'vitest';
import { conditionKeys, isPublicPolicy, policyDecision } from '../../../src/store/policy.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const doc = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const stmt = (extra: object = {}) => ({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/pub/*', ...extra });
const keysOf = (
  headers: Record<string, string> = {},
  query: Record<string, string> = {},
  extra: { requestTags?: Array<[string, string]>; existingTags?: Array<[string, string]> } = {},
) => conditionKeys({ headers, query: new Map(Object.entries(query)) }, { ...extra, now: NOW });
const decide = (policy: string | undefined, action: string, resource: string, keys = keysOf(), undecidable: 'deny' | 'ignore' = 'deny') =>
  policyDecision(policy, { action, resource, keys, undecidable });

describe('which statements apply', () => {
  it.each<[string, string | undefined, string, string, string | undefined]>([
    ['no policy', undefined, 's3:GetObject', 'arn:aws:s3:::b/pub/a', undefined],
    ['allowed by a wildcard resource', doc(stmt()), 's3:GetObject', 'arn:aws:s3:::b/pub/a', 'allow'],
    ['another resource', doc(stmt()), 's3:GetObject', 'arn:aws:s3:::b/priv/a', undefined],
    ['another action', doc(stmt()), 's3:PutObject', 'arn:aws:s3:::b/pub/a', undefined],
    ['an action wildcard, any case', doc(stmt({ Action: 'S3:Get*' })), 's3:GetObject', 'arn:aws:s3:::b/pub/a', 'allow'],
    ['Principal {"AWS": ["*"]}', doc(stmt({ Principal: { AWS: ['*'] } })), 's3:GetObject', 'arn:aws:s3:::b/pub/a', 'allow'],
    ['a named principal is not everyone', doc(stmt({ Principal: { AWS: 'arn:aws:iam::1:root' } })), 's3:GetObject', 'arn:aws:s3:::b/pub/a', undefined],
    [
      'a Deny wins over an Allow',
      doc(stmt(), stmt({ Effect: 'Deny', Resource: 'arn:aws:s3:::b/pub/secret' })),
      's3:GetObject',
      'arn:aws:s3:::b/pub/secret',
      'deny',
    ],
    ['"?" matches one character', doc(stmt({ Resource: 'arn:aws:s3:::b/pub/?' })), 's3:GetObject', 'arn:aws:s3:::b/pub/ab', undefined],
    ['regex characters in a resource are literal', doc(stmt({ Resource: 'arn:aws:s3:::b/pub/a.b' })), 's3:GetObject', 'arn:aws:s3:::b/pub/aXb', undefined],
    ['not JSON', 'Allow everything', 's3:GetObject', 'arn:aws:s3:::b/pub/a', undefined],
  ])('%s → %s', (_what, policy, action, resource, decision) => {
    expect(decide(policy, action, resource)).toBe(decision);
  });

  it('isPublicPolicy: an unconditional Allow for everyone', () => {
    expect(isPublicPolicy(doc(stmt()))).toBe(true);
    expect(isPublicPolicy(doc(stmt({ Effect: 'Deny' })))).toBe(false);
    expect(isPublicPolicy(doc(stmt({ Condition: { StringEquals: {} } })))).toBe(false);
    expect(isPublicPolicy('not json')).toBe(false);
  });
});

describe('conditions', () => {
  const ENC = 's3:x-amz-server-side-encryption';
  const denyPut = (condition: object) => doc({ Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/*', Condition: condition });
  const put = (policy: string, headers: Record<string, string> = {}, undecidable: 'deny' | 'ignore' = 'ignore', extra = {}) =>
    decide(policy, 's3:PutObject', 'arn:aws:s3:::b/k', keysOf(headers, {}, extra), undecidable);
  it.each<[string, object, Record<string, string>, string | undefined]>([
    ['StringNotEquals: another value', { StringNotEquals: { [ENC]: 'aws:kms' } }, { 'x-amz-server-side-encryption': 'AES256' }, 'deny'],
    ['StringNotEquals: the value', { StringNotEquals: { [ENC]: 'aws:kms' } }, { 'x-amz-server-side-encryption': 'aws:kms' }, undefined],
    ['StringNotEquals: the key absent (a negated operator holds)', { StringNotEquals: { [ENC]: 'aws:kms' } }, {}, 'deny'],
    ['StringEquals: the key absent', { StringEquals: { [ENC]: 'AES256' } }, {}, undefined],
    ['StringEqualsIfExists: the key absent', { StringEqualsIfExists: { [ENC]: 'AES256' } }, {}, 'deny'],
    ['Null true: the key absent', { Null: { [ENC]: 'true' } }, {}, 'deny'],
    ['Null true: the key present', { Null: { [ENC]: 'true' } }, { 'x-amz-server-side-encryption': 'AES256' }, undefined],
    ['StringLike with a wildcard', { StringLike: { 's3:x-amz-acl': 'public-*' } }, { 'x-amz-acl': 'public-read' }, 'deny'],
    ['condition keys are case-insensitive', { StringEquals: { 'S3:X-Amz-Acl': 'public-read' } }, { 'x-amz-acl': 'public-read' }, 'deny'],
    ['two blocks: both must hold', { StringEquals: { 's3:x-amz-acl': 'public-read' }, Null: { [ENC]: 'false' } }, { 'x-amz-acl': 'public-read' }, undefined],
    ['an unknown operator is undecidable: ignored for the owner', { ArnLike: { 'aws:SourceArn': 'x' } }, {}, undefined],
    ['an unknowable key is undecidable: ignored for the owner', { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, {}, undefined],
    ['aws:SecureTransport is unknowable here', { Bool: { 'aws:SecureTransport': 'false' } }, {}, undefined],
    ['NumericLessThan on a listing key', { NumericLessThan: { 's3:max-keys': '10' } }, {}, undefined],
    ['DateGreaterThan on aws:CurrentTime', { DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } }, {}, 'deny'],
  ])('%s → %s', (_what, condition, headers, decision) => {
    expect(put(denyPut(condition), headers)).toBe(decision);
  });

  it('an undecidable Deny denies an unsigned request', () => {
    expect(put(denyPut({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), {}, 'deny')).toBe('deny');
  });

  it('request and existing object tags', () => {
    const tagged = denyPut({ StringEquals: { 's3:RequestObjectTag/class': 'secret' } });
    expect(put(tagged, {}, 'ignore', { requestTags: [['class', 'secret']] })).toBe('deny');
    expect(put(tagged, {}, 'ignore', { requestTags: [['Class', 'secret']] })).toBe(undefined);
    const keysAll = denyPut({ 'ForAllValues:StringEquals': { 's3:RequestObjectTagKeys': ['a', 'b'] } });
    expect(put(keysAll, {}, 'ignore', { requestTags: [['a', '1']] })).toBe('deny');
    expect(put(keysAll, {}, 'ignore', { requestTags: [['c', '1']] })).toBe(undefined);
    const existing = doc(stmt({ Condition: { StringEquals: { 's3:ExistingObjectTag/public': 'yes' } } }));
    expect(decide(existing, 's3:GetObject', 'arn:aws:s3:::b/pub/a', keysOf({}, {}, { existingTags: [['public', 'yes']] }))).toBe('allow');
    expect(decide(existing, 's3:GetObject', 'arn:aws:s3:::b/pub/a', keysOf({}, {}, { existingTags: [['public', 'no']] }))).toBe(undefined);
  });

  it('listing keys: s3:prefix', () => {
    const allowPrefix = doc({
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::b',
      Condition: { StringLike: { 's3:prefix': 'pub/*' } },
    });
    expect(decide(allowPrefix, 's3:ListBucket', 'arn:aws:s3:::b', keysOf({}, { prefix: 'pub/x' }))).toBe('allow');
    expect(decide(allowPrefix, 's3:ListBucket', 'arn:aws:s3:::b', keysOf({}, { prefix: 'priv/' }))).toBe(undefined);
    expect(decide(allowPrefix, 's3:ListBucket', 'arn:aws:s3:::b', keysOf())).toBe(undefined);
  });
});
