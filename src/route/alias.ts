// Maps backend bucket names in backend responses back to the client-visible (aliased) name; pure.
import { xmlEscape } from '../s3/xml.js';

/** Operations whose success document names the bucket (ListBucketResult Name, Bucket, Location). */
export const OPERATIONS_NAMING_BUCKET = new Set([
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
  'ListMultipartUploads',
  'ListParts',
  'CreateMultipartUpload',
  'CompleteMultipartUpload',
]);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Rewrites <Name>, <Bucket>, <BucketName> equal to the backend bucket, and the bucket inside
 * <Resource> and <Location> (path-style "/bucket/…" or virtual-hosted "bucket.host"). Keys are
 * never touched: a key that happens to equal the bucket name stays as it is.
 */
export function mapBucketNames(xml: string, backendBucket: string, clientBucket: string, location?: string): string {
  if (backendBucket === clientBucket && !location) return xml;
  const be = xmlEscape(backendBucket);
  const ce = xmlEscape(clientBucket);
  let out = xml.replace(new RegExp(`<(Name|Bucket|BucketName)>${escapeRe(be)}</\\1>`, 'g'), `<$1>${ce}</$1>`);
  out = out.replace(
    new RegExp(`<Resource>/${escapeRe(be)}(/[^<]*)?</Resource>`, 'g'),
    (_m, rest: string | undefined) => `<Resource>/${ce}${rest ?? ''}</Resource>`,
  );
  if (location !== undefined) out = out.replace(/<Location>[^<]*<\/Location>/g, `<Location>${xmlEscape(location)}</Location>`);
  return out;
}
