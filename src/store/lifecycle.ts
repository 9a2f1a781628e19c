// Embedded store, lifecycle: which expiration rule of a bucket's lifecycle configuration covers an object, for the x-amz-expiration header S3 sends on PUT, GET and HEAD; pure. No rule is ever run.
//
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html: a rule applies when Enabled and
// its filter (Prefix, Tag, ObjectSizeGreaterThan/LessThan, or all of them under And; or the legacy Prefix beside the
// Filter) matches. An expiration in Days counts from the object's creation and is rounded up to the next midnight UTC.
import { childNamed, childText, childrenNamed, parseXml, type XmlElement } from '../s3/xml-read.js';
import { parsedOnce } from './doc-cache.js';

export interface LifecycleSubject {
  key: string;
  size: number;
  tags: ReadonlyArray<readonly [string, string]>;
  lastModified: number;
}

const DAY_MS = 86_400_000;

function tagsMatch(el: XmlElement, tags: LifecycleSubject['tags']): boolean {
  return childrenNamed(el, 'Tag').every((t) => tags.some(([k, v]) => k === childText(t, 'Key') && v === (childText(t, 'Value') ?? '')));
}

function sizeMatches(el: XmlElement, size: number): boolean {
  const above = childText(el, 'ObjectSizeGreaterThan');
  const below = childText(el, 'ObjectSizeLessThan');
  return (above === undefined || size > Number(above)) && (below === undefined || size < Number(below));
}

function filterMatches(rule: XmlElement, o: LifecycleSubject): boolean {
  const legacy = childText(rule, 'Prefix');
  if (legacy !== undefined) return o.key.startsWith(legacy);
  const filter = childNamed(rule, 'Filter');
  if (!filter) return true;
  const scope = childNamed(filter, 'And') ?? filter;
  return o.key.startsWith(childText(scope, 'Prefix') ?? '') && tagsMatch(scope, o.tags) && sizeMatches(scope, o.size);
}

/** A configuration's rules, parsed once per document: GET and HEAD ask on every request of a bucket that has one. */
const rulesOf = parsedOnce((lifecycle: string): XmlElement[] => {
  try {
    return childrenNamed(parseXml(lifecycle), 'Rule');
  } catch {
    return []; // kept documents were checked on the way in
  }
});

/** `expiry-date="…", rule-id="…"` of the earliest expiration that covers the object, or undefined. */
export function expirationHeader(lifecycle: string | undefined, o: LifecycleSubject): string | undefined {
  if (lifecycle === undefined) return undefined;
  let best: { at: number; id: string } | undefined;
  for (const rule of rulesOf(lifecycle)) {
    const expiration = childNamed(rule, 'Expiration');
    if (!expiration || childText(rule, 'Status') !== 'Enabled' || !filterMatches(rule, o)) continue;
    const days = childText(expiration, 'Days');
    const date = childText(expiration, 'Date');
    let at: number | undefined;
    if (days !== undefined) at = Math.ceil((o.lastModified + Number(days) * DAY_MS) / DAY_MS) * DAY_MS;
    else if (date !== undefined) at = Date.parse(date.trim());
    if (at === undefined || Number.isNaN(at) || (best && best.at <= at)) continue;
    best = { at, id: childText(rule, 'ID') ?? '' };
  }
  return best && `expiry-date="${new Date(best.at).toUTCString()}", rule-id="${best.id}"`;
}
