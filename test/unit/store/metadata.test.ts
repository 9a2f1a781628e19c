// The embedded store's object metadata rules (src/store/metadata.ts): what a write keeps, what GET/HEAD answer, tags.
import { describe, expect, it } from 'vitest';
import type { S3Error } from '../../../src/s3/errors.js';
import { applyResponseOverrides, metadataFromRequest, metadataHeaders, parseTaggingHeader, validateTags } from '../../../src/store/metadata.js';

function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as S3Error).code;
  }
}

describe('metadataFromRequest', () => {
  it('keeps the content headers and user metadata, drops everything else', () => {
    const m = metadataFromRequest({
      'content-type': 'text/plain',
      'content-encoding': 'gzip',
      'content-disposition': 'attachment',
      'content-language': 'de',
      'cache-control': 'no-cache',
      expires: 'Thu, 01 Dec 2094 16:00:00 GMT',
      'x-amz-meta-color': 'blue',
      'x-amz-meta-empty': '',
      'x-amz-storage-class': 'STANDARD_IA',
      'user-agent': 'x',
      authorization: 'secret',
      'x-amz-date': '20240101T000000Z',
    });
    expect(m.headers).toEqual({
      'content-type': 'text/plain',
      'content-encoding': 'gzip',
      'content-disposition': 'attachment',
      'content-language': 'de',
      'cache-control': 'no-cache',
      expires: 'Thu, 01 Dec 2094 16:00:00 GMT',
      'x-amz-storage-class': 'STANDARD_IA',
    });
    expect(m.meta).toEqual([
      ['color', 'blue'],
      ['empty', ''],
    ]);
    expect(metadataHeaders(m)).toMatchObject({ 'x-amz-meta-color': 'blue', 'content-type': 'text/plain' });
  });

  it.each<[string, Record<string, string>, Record<string, string>]>([
    ['no Content-Type: binary/octet-stream', {}, { 'content-type': 'binary/octet-stream' }],
    ['aws-chunked is framing, not an encoding', { 'content-encoding': 'aws-chunked' }, { 'content-type': 'binary/octet-stream' }],
    ['aws-chunked beside gzip', { 'content-encoding': 'aws-chunked,gzip' }, { 'content-type': 'binary/octet-stream', 'content-encoding': 'gzip' }],
    ['STANDARD is the default, not stored', { 'x-amz-storage-class': 'STANDARD' }, { 'content-type': 'binary/octet-stream' }],
    [
      'SSE-S3 is kept (and echoed)',
      { 'x-amz-server-side-encryption': 'AES256' },
      { 'content-type': 'binary/octet-stream', 'x-amz-server-side-encryption': 'AES256' },
    ],
  ])('%s', (_what, headers, stored) => {
    expect(metadataFromRequest(headers).headers).toEqual(stored);
  });

  it.each<[string, Record<string, string>, string]>([
    ['an unknown storage class', { 'x-amz-storage-class': 'COLD' }, 'InvalidStorageClass'],
    ['SSE-KMS', { 'x-amz-server-side-encryption': 'aws:kms' }, 'ok'],
    ['an unknown encryption', { 'x-amz-server-side-encryption': 'ROT13' }, 'InvalidArgument'],
    ['SSE-C without its key', { 'x-amz-server-side-encryption-customer-algorithm': 'AES256' }, 'InvalidArgument'],
    ['a canned ACL (acl.ts reads it)', { 'x-amz-acl': 'public-read' }, 'ok'],
    ['user metadata of exactly 2 KB', { 'x-amz-meta-k': 'v'.repeat(2047) }, 'ok'],
    ['user metadata over 2 KB', { 'x-amz-meta-k': 'v'.repeat(2048) }, 'MetadataTooLarge'],
  ])('%s → %s', (_what, headers, expected) => {
    expect(code(() => metadataFromRequest(headers))).toBe(expected);
  });
});

describe('response-content-* overrides', () => {
  it('replace the stored headers on the answer', () => {
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    applyResponseOverrides(
      headers,
      new Map([
        ['response-content-type', 'application/json'],
        ['response-content-disposition', 'attachment; filename="a b.txt"'],
        ['response-cache-control', 'no-store'],
        ['response-expires', 'Thu, 01 Dec 2094 16:00:00 GMT'],
        ['response-content-language', 'fr'],
        ['response-content-encoding', 'identity'],
        ['unrelated', 'x'],
      ]),
    );
    expect(headers).toEqual({
      'content-type': 'application/json',
      'content-disposition': 'attachment; filename="a b.txt"',
      'cache-control': 'no-store',
      expires: 'Thu, 01 Dec 2094 16:00:00 GMT',
      'content-language': 'fr',
      'content-encoding': 'identity',
    });
  });

  it('refuse values that cannot be a header', () => {
    expect(code(() => applyResponseOverrides({}, new Map([['response-content-type', 'a\nb']])))).toBe('InvalidArgument');
    expect(code(() => applyResponseOverrides({}, new Map([['response-content-disposition', 'attachment; filename="€"']])))).toBe('InvalidArgument');
  });
});

describe('tags', () => {
  it('x-amz-tagging is a URL query string', () => {
    expect(parseTaggingHeader('a=1&b=two%20words&c=&d+e=f%2Bg')).toEqual([
      ['a', '1'],
      ['b', 'two words'],
      ['c', ''],
      ['d e', 'f+g'],
    ]);
    expect(parseTaggingHeader(undefined)).toEqual([]);
    expect(parseTaggingHeader('')).toEqual([]);
  });

  it.each<[string, Array<[string, string]>, string]>([
    ['10 tags', Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v'] as [string, string]), 'ok'],
    ['11 tags', Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'] as [string, string]), 'InvalidTag'],
    ['a 128-character key', [['k'.repeat(128), 'v']], 'ok'],
    ['a 129-character key', [['k'.repeat(129), 'v']], 'InvalidTag'],
    ['a 256-character value', [['k', 'v'.repeat(256)]], 'ok'],
    ['a 257-character value', [['k', 'v'.repeat(257)]], 'InvalidTag'],
    ['an empty key', [['', 'v']], 'InvalidTag'],
    [
      'a duplicate key',
      [
        ['k', '1'],
        ['k', '2'],
      ],
      'InvalidTag',
    ],
    ['an aws: key', [['aws:x', 'v']], 'InvalidTag'],
    ['unicode letters, spaces and + - = . _ : / @', [['Größe 1', 'a+b-c=d.e_f:g/h@i']], 'ok'],
    ['a character outside the set', [['k', 'semi;colon']], 'InvalidTag'],
  ])('%s → %s', (_what, tags, expected) => {
    expect(code(() => validateTags(tags))).toBe(expected);
  });
});
