// The embedded store's listing rules (src/store/listing.ts): one page by prefix, delimiter, marker and max-keys in UTF-8 binary order; the list encodings.
import { describe, expect, it } from 'vitest';
import { S3Error } from '../../../src/s3/errors.js';
import {
  decodeContinuationToken,
  encodeContinuationToken,
  listPage,
  parseEncodingType,
  parseMaxKeys,
  prefixSuccessor,
  s3UrlEncode,
  utf8,
  type PageParams,
} from '../../../src/store/listing.js';

const sorted = (keys: string[]) => keys.map((key) => ({ key, keyBytes: utf8(key) })).sort((a, b) => Buffer.compare(a.keyBytes, b.keyBytes));

const KEYS = sorted(['a', 'a/1', 'a/2', 'a/b/1', 'b', 'b/1', 'c/x/1', 'c/y', 'd']);

function page(keys: ReturnType<typeof sorted>, p: Partial<PageParams>) {
  const r = listPage(keys, { prefix: '', maxKeys: 1000, ...p });
  return { keys: r.contents.map((e) => e.key), prefixes: r.commonPrefixes, truncated: r.truncated, last: r.last };
}

describe('listPage', () => {
  it.each<[string, Partial<PageParams>, { keys: string[]; prefixes: string[]; truncated: boolean; last?: string }]>([
    ['everything', {}, { keys: ['a', 'a/1', 'a/2', 'a/b/1', 'b', 'b/1', 'c/x/1', 'c/y', 'd'], prefixes: [], truncated: false, last: 'd' }],
    ['prefix a/', { prefix: 'a/' }, { keys: ['a/1', 'a/2', 'a/b/1'], prefixes: [], truncated: false, last: 'a/b/1' }],
    ['delimiter /', { delimiter: '/' }, { keys: ['a', 'b', 'd'], prefixes: ['a/', 'b/', 'c/'], truncated: false, last: 'd' }],
    ['prefix a/ with delimiter /', { prefix: 'a/', delimiter: '/' }, { keys: ['a/1', 'a/2'], prefixes: ['a/b/'], truncated: false, last: 'a/b/' }],
    ['prefix c/ with delimiter /', { prefix: 'c/', delimiter: '/' }, { keys: ['c/y'], prefixes: ['c/x/'], truncated: false, last: 'c/y' }],
    ['max-keys 2', { maxKeys: 2 }, { keys: ['a', 'a/1'], prefixes: [], truncated: true, last: 'a/1' }],
    ['max-keys counts common prefixes too', { delimiter: '/', maxKeys: 3 }, { keys: ['a', 'b'], prefixes: ['a/'], truncated: true, last: 'b' }],
    [
      'max-keys exactly the number left: not truncated',
      { prefix: 'a/', maxKeys: 3 },
      { keys: ['a/1', 'a/2', 'a/b/1'], prefixes: [], truncated: false, last: 'a/b/1' },
    ],
    ['max-keys 0', { maxKeys: 0 }, { keys: [], prefixes: [], truncated: false }],
    ['after a key', { after: 'a/2' }, { keys: ['a/b/1', 'b', 'b/1', 'c/x/1', 'c/y', 'd'], prefixes: [], truncated: false, last: 'd' }],
    [
      'after a key that does not exist',
      { after: 'a/11' },
      { keys: ['a/2', 'a/b/1', 'b', 'b/1', 'c/x/1', 'c/y', 'd'], prefixes: [], truncated: false, last: 'd' },
    ],
    [
      'after a common prefix: its keys are not rolled up again',
      { delimiter: '/', after: 'a/' },
      { keys: ['b', 'd'], prefixes: ['b/', 'c/'], truncated: false, last: 'd' },
    ],
    ['after a key inside a common prefix', { delimiter: '/', after: 'a/1' }, { keys: ['b', 'd'], prefixes: ['b/', 'c/'], truncated: false, last: 'd' }],
    ['after before the prefix', { prefix: 'c/', after: 'a' }, { keys: ['c/x/1', 'c/y'], prefixes: [], truncated: false, last: 'c/y' }],
    ['after past the prefix', { prefix: 'a/', after: 'z' }, { keys: [], prefixes: [], truncated: false }],
    [
      'a delimiter that is not "/"',
      { delimiter: 'b' },
      { keys: ['a', 'a/1', 'a/2', 'c/x/1', 'c/y', 'd'], prefixes: ['a/b', 'b'], truncated: false, last: 'd' },
    ],
    [
      'a multi-character delimiter',
      { delimiter: '/1' },
      { keys: ['a', 'a/2', 'b', 'c/y', 'd'], prefixes: ['a/1', 'a/b/1', 'b/1', 'c/x/1'], truncated: false, last: 'd' },
    ],
  ])('%s', (_what, p, expected) => {
    expect(page(KEYS, p)).toEqual(expected);
  });

  it('pages through a delimiter listing without losing or repeating anything', () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 20; i++) {
      const r = page(KEYS, { delimiter: '/', maxKeys: 2, after });
      seen.push(...r.keys, ...r.prefixes);
      if (!r.truncated) break;
      after = r.last;
    }
    expect(seen.sort()).toEqual(['a', 'a/', 'b', 'b/', 'c/', 'd']);
  });

  it('orders by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FF5E sorts before U+1F600 in UTF-16 (0xFF5E < 0xD83D is false... surrogates are 0xD800–0xDFFF) but after in UTF-8.
    const keys = sorted(['\u{1F600}', '\uFF5E', 'z', '\u00E9']);
    expect(page(keys, {}).keys).toEqual(['z', '\u00E9', '\uFF5E', '\u{1F600}']);
  });
});

describe('helpers', () => {
  it.each<[number[], number[] | undefined]>([
    [[0x61], [0x62]],
    [[0x61, 0xff], [0x62]],
    [[0xff, 0xff], undefined],
    [[], undefined],
  ])('prefixSuccessor(%j) = %j', (bytes, expected) => {
    const s = prefixSuccessor(Buffer.from(bytes));
    expect(s === undefined ? undefined : [...s]).toEqual(expected);
  });

  it.each<[string, string]>([
    ['photos/2006/a b.jpg', 'photos/2006/a+b.jpg'],
    ['a+b', 'a%2Bb'],
    ['~tilde', '%7Etilde'],
    ['star*', 'star*'],
    ['é', '%C3%A9'],
    ['100%', '100%25'],
    ['a\rb\u0001', 'a%0Db%01'],
    ['safe-_.', 'safe-_.'],
  ])('s3UrlEncode(%j) = %j', (value, encoded) => {
    expect(s3UrlEncode(value)).toBe(encoded);
  });

  it('continuation tokens round-trip any key and refuse forgeries', () => {
    for (const key of ['a', 'ünï/cödé', '', 'x'.repeat(1024)]) expect(decodeContinuationToken(encodeContinuationToken(key))).toBe(key);
    for (const bad of ['nope', '!!', Buffer.from('x:abc').toString('base64url')]) {
      expect(() => decodeContinuationToken(bad)).toThrow(S3Error);
    }
  });

  it.each<[string | undefined, number | string]>([
    [undefined, 1000],
    ['0', 0],
    ['5', 5],
    ['1000', 1000],
    ['5000', 1000],
    ['-1', 'InvalidArgument'],
    ['x', 'InvalidArgument'],
  ])('parseMaxKeys(%j) = %j', (value, expected) => {
    try {
      expect(parseMaxKeys(value)).toBe(expected);
    } catch (err) {
      expect((err as S3Error).code).toBe(expected);
    }
  });

  it('encoding-type: only url', () => {
    expect(parseEncodingType(undefined)).toBeUndefined();
    expect(parseEncodingType('url')).toBe('url');
    expect(() => parseEncodingType('base64')).toThrow(/Invalid Encoding Method/);
  });
});
