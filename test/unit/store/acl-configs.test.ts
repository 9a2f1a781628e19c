// The embedded store's ACLs (src/store/acl.ts) and bucket configuration documents (src/store/bucket-configs.ts): tables of what S3 accepts and refuses.
import { describe, expect, it } from 'vitest';
import { codeOf } from '../../helpers/s3-error.js';
import { ALL_USERS, aclFromHeaders, allowsEveryone, defaultAcl, parseAccessControlPolicy } from '../../../src/store/acl.js';
import { CONFIG_KINDS, parseBucketEncryption } from '../../../src/store/bucket-configs.js';

const OWNER = { id: 'a'.repeat(64), displayName: 's3bridge' };

const me = { grantee: { type: 'CanonicalUser', id: OWNER.id }, permission: 'FULL_CONTROL' };
const everyone = (permission: string) => ({ grantee: { type: 'Group', uri: ALL_USERS }, permission });

describe('ACLs from headers', () => {
  it.each<[string, Record<string, string>, unknown]>([
    ['none', {}, undefined],
    ['private', { 'x-amz-acl': 'private' }, [me]],
    ['public-read', { 'x-amz-acl': 'public-read' }, [me, everyone('READ')]],
    ['public-read-write', { 'x-amz-acl': 'public-read-write' }, [me, everyone('READ'), everyone('WRITE')]],
    ['bucket-owner-full-control', { 'x-amz-acl': 'bucket-owner-full-control' }, [me]],
    ['a grant header (replaces the owner grant too)', { 'x-amz-grant-read': `uri="${ALL_USERS}"` }, [everyone('READ')]],
    ['several grants in one header', { 'x-amz-grant-full-control': `id="${OWNER.id}", uri="${ALL_USERS}"` }, [me, everyone('FULL_CONTROL')]],
  ])('%s', (_what, headers, acl) => {
    expect(aclFromHeaders(headers, OWNER)).toEqual(acl);
  });

  it.each<[string, Record<string, string>, string]>([
    ['an unknown canned ACL', { 'x-amz-acl': 'world-writable' }, 'InvalidArgument'],
    ['canned and grants together', { 'x-amz-acl': 'private', 'x-amz-grant-read': `uri="${ALL_USERS}"` }, 'InvalidRequest'],
    ['an unknown user id', { 'x-amz-grant-read': 'id="someone-else"' }, 'InvalidArgument'],
    ['an unknown group', { 'x-amz-grant-read': 'uri="http://example.com/group"' }, 'InvalidArgument'],
    ['an e-mail grantee (no account has one)', { 'x-amz-grant-read': 'emailAddress="a@b.c"' }, 'InvalidArgument'],
    ['garbage', { 'x-amz-grant-read': 'everyone' }, 'InvalidArgument'],
  ])('%s is refused with %s', (_what, headers, code) => {
    expect(codeOf(() => aclFromHeaders(headers, OWNER))).toBe(code);
  });
});

describe('AccessControlPolicy bodies', () => {
  const policy = (grants: string, ownerId = OWNER.id) =>
    `<AccessControlPolicy><Owner><ID>${ownerId}</ID></Owner><AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`;
  const grant = (grantee: string, permission: string) =>
    `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">${grantee}</Grantee><Permission>${permission}</Permission></Grant>`;

  it.each<[string, string, unknown]>([
    ['the owner with FULL_CONTROL', policy(grant(`<ID>${OWNER.id}</ID><DisplayName>me</DisplayName>`, 'FULL_CONTROL')), [me]],
    ['no grants at all', policy(''), []],
    ['AllUsers READ', policy(grant(`<URI>${ALL_USERS}</URI>`, 'READ')), [everyone('READ')]],
  ])('%s', (_what, doc, grants) => {
    expect(parseAccessControlPolicy(doc, OWNER)).toEqual(grants);
  });

  it.each<[string, string, string]>([
    ['unreadable', '<AccessControlPolicy>', 'MalformedACLError'],
    ['another root', '<Tagging/>', 'MalformedACLError'],
    ['an unknown permission', policy(grant(`<ID>${OWNER.id}</ID>`, 'EVERYTHING')), 'MalformedACLError'],
    ['a grantee with two identities', policy(grant(`<ID>${OWNER.id}</ID><URI>${ALL_USERS}</URI>`, 'READ')), 'MalformedACLError'],
    ['another user', policy(grant('<ID>someone-else</ID>', 'READ')), 'InvalidArgument'],
    ['another owner', policy('', 'someone-else'), 'AccessDenied'],
  ])('%s is refused with %s', (_what, doc, code) => {
    expect(codeOf(() => parseAccessControlPolicy(doc, OWNER))).toBe(code);
  });
});

describe('allowsEveryone', () => {
  it.each<[string, unknown[], string, boolean]>([
    ['the default ACL', defaultAcl(OWNER), 'READ', false],
    ['AllUsers READ, asked READ', [everyone('READ')], 'READ', true],
    ['AllUsers READ, asked WRITE', [everyone('READ')], 'WRITE', false],
    ['AllUsers FULL_CONTROL covers WRITE', [everyone('FULL_CONTROL')], 'WRITE', true],
    [
      'AuthenticatedUsers is not everyone',
      [{ grantee: { type: 'Group', uri: 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers' }, permission: 'READ' }],
      'READ',
      false,
    ],
  ])('%s, %s: %s', (_what, grants, permission, allowed) => {
    expect(allowsEveryone(grants as never, permission as never)).toBe(allowed);
  });
});

describe('bucket configuration documents', () => {
  const lifecycle = (rules: string) => `<LifecycleConfiguration>${rules}</LifecycleConfiguration>`;
  const rule = (inner: string, id = 'r1') => `<Rule><ID>${id}</ID><Filter><Prefix>p/</Prefix></Filter><Status>Enabled</Status>${inner}</Rule>`;
  it.each<[string, string, string, string]>([
    ['lifecycle', 'a rule that expires after 1 day', lifecycle(rule('<Expiration><Days>1</Days></Expiration>')), 'ok'],
    ['lifecycle', 'a midnight date', lifecycle(rule('<Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration>')), 'ok'],
    ['lifecycle', 'no rules', lifecycle(''), 'MalformedXML'],
    ['lifecycle', 'Days 0 in an expiration', lifecycle(rule('<Expiration><Days>0</Days></Expiration>')), 'InvalidArgument'],
    ['lifecycle', 'Days 0 in a transition (allowed)', lifecycle(rule('<Transition><Days>0</Days><StorageClass>GLACIER</StorageClass></Transition>')), 'ok'],
    ['lifecycle', 'a date not at midnight', lifecycle(rule('<Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration>')), 'InvalidArgument'],
    ['lifecycle', 'a date without dashes', lifecycle(rule('<Expiration><Date>20300101</Date></Expiration>')), 'InvalidArgument'],
    ['lifecycle', 'an ID of 256 characters', lifecycle(rule('<Expiration><Days>1</Days></Expiration>', 'i'.repeat(256))), 'InvalidArgument'],
    [
      'lifecycle',
      'two rules with one ID',
      lifecycle(rule('<Expiration><Days>1</Days></Expiration>') + rule('<Expiration><Days>2</Days></Expiration>')),
      'InvalidArgument',
    ],
    ['lifecycle', 'Status enabled (lower case)', lifecycle(rule('').replace('Enabled', 'enabled')), 'MalformedXML'],
    ['policy', 'a policy', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}', 'ok'],
    ['policy', 'not JSON', 'Statement: allow', 'MalformedPolicy'],
    ['policy', 'no Statement', '{"Version":"2012-10-17"}', 'MalformedPolicy'],
    ['policy', 'a bad Effect', '{"Statement":{"Effect":"Maybe"}}', 'MalformedPolicy'],
    [
      'cors',
      'one rule',
      '<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>',
      'ok',
    ],
    ['cors', 'a rule without origin', '<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>', 'MalformedXML'],
    [
      'cors',
      'an unknown method',
      '<CORSConfiguration><CORSRule><AllowedMethod>PATCH</AllowedMethod><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>',
      'InvalidRequest',
    ],
    ['tagging', 'a tag', '<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>', 'ok'],
    ['tagging', 'aws: prefixed key', '<Tagging><TagSet><Tag><Key>aws:k</Key><Value>v</Value></Tag></TagSet></Tagging>', 'InvalidTag'],
    [
      'tagging',
      '51 tags',
      `<Tagging><TagSet>${Array.from({ length: 51 }, (_, i) => `<Tag><Key>k${i}</Key><Value>v</Value></Tag>`).join('')}</TagSet></Tagging>`,
      'InvalidTag',
    ],
    ['publicAccessBlock', 'another root', '<Tagging/>', 'MalformedXML'],
  ])('%s: %s → %s', (kind, _what, doc, code) => {
    expect(codeOf(() => CONFIG_KINDS[kind]!.check(doc))).toBe(code);
  });

  const sse = (inner: string, rule = '') =>
    `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>${inner}</ApplyServerSideEncryptionByDefault>${rule}</Rule></ServerSideEncryptionConfiguration>`;
  it.each<[string, string, unknown]>([
    ['AES256', sse('<SSEAlgorithm>AES256</SSEAlgorithm>'), { algorithm: 'AES256' }],
    [
      'aws:kms with a key and bucket key',
      sse('<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>k-1</KMSMasterKeyID>', '<BucketKeyEnabled>true</BucketKeyEnabled>'),
      { algorithm: 'aws:kms', kmsKeyId: 'k-1', bucketKeyEnabled: true },
    ],
    ['an unknown algorithm', sse('<SSEAlgorithm>ROT13</SSEAlgorithm>'), 'MalformedXML'],
    ['a KMS key with AES256', sse('<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k-1</KMSMasterKeyID>'), 'InvalidArgument'],
  ])('bucket encryption, %s', (_what, doc, expected) => {
    if (typeof expected === 'string') expect(codeOf(() => parseBucketEncryption(doc))).toBe(expected);
    else expect(parseBucketEncryption(doc)).toEqual(expected);
  });
});
