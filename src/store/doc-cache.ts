// Embedded store: parse-once caches for the bucket documents read on every request (policy, lifecycle); pure apart from the cache.

/** `parse` memoised by document text; the cache is emptied when it reaches `max` documents (buckets rarely change theirs). */
export function parsedOnce<T>(parse: (doc: string) => T, max = 64): (doc: string) => T {
  const cache = new Map<string, T>();
  return (doc) => {
    let found = cache.get(doc);
    if (found === undefined) {
      found = parse(doc);
      if (cache.size >= max) cache.clear();
      cache.set(doc, found);
    }
    return found;
  };
}
