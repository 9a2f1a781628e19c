// ETag comparison as S3's conditions use it (copy-semantics.md §4): the opaque part, and lists with '*'; pure.

/** An ETag without the weak prefix and the surrounding quotes: the part S3 compares. */
export function opaqueEtag(etag: string): string {
  let t = etag.trim();
  if (t.startsWith('W/')) t = t.slice(2);
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) t = t.slice(1, -1);
  return t;
}

/** True when a comma list of ETags (or '*', which any existing object matches) names the source's ETag. */
export function etagListMatches(list: string, sourceEtag: string): boolean {
  const want = opaqueEtag(sourceEtag);
  return list
    .split(',')
    .map((item) => item.trim())
    .some((item) => item === '*' || (item !== '' && opaqueEtag(item) === want));
}
