// parsedOnce (src/store/doc-cache.ts): a document is parsed once while it stays in the cache, and the cache stays bounded.
import { describe, expect, it } from 'vitest';
import { parsedOnce } from '../../../src/store/doc-cache.js';

describe('parsedOnce', () => {
  it('parses each document once, and again after the cache was emptied at its bound', () => {
    const seen: string[] = [];
    const parse = parsedOnce((doc: string) => {
      seen.push(doc);
      return doc.length;
    }, 2);
    expect([parse('a'), parse('bb'), parse('a'), parse('bb')]).toEqual([1, 2, 1, 2]);
    expect(seen).toEqual(['a', 'bb']);
    expect(parse('ccc')).toBe(3); // the third document empties the cache first
    expect(parse('a')).toBe(1);
    expect(seen).toEqual(['a', 'bb', 'ccc', 'a']);
  });
});
