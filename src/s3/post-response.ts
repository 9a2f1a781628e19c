// Browser POST uploads, response stage: after the object is stored, the answer S3 gives — 204, 200, 201 with PostResponse XML, or a 303 redirect (post-object.md §9).
import { xmlEscape } from './xml.js';

export interface PostOutcome {
  bucket: string;
  key: string;
  /** As the backend returned it, quotes included. */
  etag: string;
  /** The object's URL (postLocation). */
  location: string;
  successActionStatus?: string;
  successActionRedirect?: string;
}

export interface PostAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * post-object.md §9: the object's URL as S3 writes it in Location, with the key percent-encoded
 * whole (`/` as %2F). `origin` is scheme://host[:port] as the client addressed us; for a
 * virtual-hosted request its host already names the bucket.
 */
export function postLocation(origin: string, bucket: string, key: string, virtualHosted: boolean): string {
  const base = origin.replace(/\/+$/, '');
  return virtualHosted ? `${base}/${encodeURIComponent(key)}` : `${base}/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`;
}

/** An http(s) URL S3 can redirect to; anything else is ignored as S3 ignores a URL it cannot interpret. */
function redirectTarget(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Appends bucket, key and etag to the redirect URL's query, before any fragment, leaving the rest as written. */
function withResult(target: string, o: PostOutcome): string {
  const hash = target.indexOf('#');
  const base = hash < 0 ? target : target.slice(0, hash);
  const fragment = hash < 0 ? '' : target.slice(hash);
  const sep = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  const params = `bucket=${encodeURIComponent(o.bucket)}&key=${encodeURIComponent(o.key)}&etag=${encodeURIComponent(o.etag)}`;
  return `${base}${sep}${params}${fragment}`;
}

/** post-object.md §9: success_action_redirect (or redirect) wins; then success_action_status 200 or 201; else 204. */
export function postObjectAnswer(o: PostOutcome): PostAnswer {
  const headers: Record<string, string> = { etag: o.etag, location: o.location };
  const redirect = redirectTarget(o.successActionRedirect);
  if (redirect !== undefined) return { status: 303, headers: { ...headers, location: withResult(redirect, o) }, body: '' };
  if (o.successActionStatus === '200') return { status: 200, headers, body: '' };
  if (o.successActionStatus === '201') {
    const body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>' +
      `<Location>${xmlEscape(o.location)}</Location><Bucket>${xmlEscape(o.bucket)}</Bucket>` +
      `<Key>${xmlEscape(o.key)}</Key><ETag>${xmlEscape(o.etag)}</ETag></PostResponse>`;
    return { status: 201, headers: { ...headers, 'content-type': 'application/xml' }, body };
  }
  return { status: 204, headers, body: '' };
}
