// CORS for routes with a `cors` list, before auth (preflights carry no credentials): answers OPTIONS preflights and gives the headers an actual cross-origin response carries, as S3 evaluates a bucket's CORS rules (cors.md).
import { S3Error } from '../s3/errors.js';

import { CORS_METHODS, type CorsRule } from '../config/schema.js';

/** The request facts CORS looks at. Header values as received; absent → undefined. */
export interface CorsRequest {
  method: string;
  origin?: string;
  /** Access-Control-Request-Method */
  requestMethod?: string;
  /** Access-Control-Request-Headers, the raw comma-separated list */
  requestHeaders?: string;
}

const VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';
const NOT_ALLOWED =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

/** cors.md §2: `*` stands for any run of characters, at most once per pattern; compared without regard to case. */
function wildcardMatch(pattern: string, value: string): boolean {
  const p = pattern.toLowerCase();
  const v = value.toLowerCase();
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const prefix = p.slice(0, star);
  const suffix = p.slice(star + 1);
  return v.length >= prefix.length + suffix.length && v.startsWith(prefix) && v.endsWith(suffix);
}

/** The rule's pattern that admits the origin, if any. */
function matchingOrigin(rule: CorsRule, origin: string): string | undefined {
  return rule.allowedOrigins.find((pattern) => wildcardMatch(pattern, origin));
}

function allowsMethod(rule: CorsRule, method: string): boolean {
  return (rule.allowedMethods as readonly string[]).includes(method);
}

function requestedHeaders(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
}

/** cors.md §4: the headers every allowed answer carries, from the rule that allowed it. */
function ruleHeaders(rule: CorsRule, pattern: string, origin: string): Record<string, string> {
  const headers: Record<string, string> = {};
  // A rule open to every origin answers `*` and so cannot allow credentials; a listed origin is echoed.
  if (pattern === '*') headers['access-control-allow-origin'] = '*';
  else {
    headers['access-control-allow-origin'] = origin;
    headers['access-control-allow-credentials'] = 'true';
  }
  headers['access-control-allow-methods'] = rule.allowedMethods.join(', ');
  if (rule.exposeHeaders.length > 0) headers['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) headers['access-control-max-age'] = String(rule.maxAgeSeconds);
  headers.vary = VARY;
  return headers;
}

/**
 * cors.md §3: an OPTIONS preflight. Returns the headers of the 200 answer (empty body), or throws
 * S3's refusal: 400 BadRequest without Origin or with a missing or unsupported method, 403
 * AccessForbidden (with Method and ResourceType) when no rule allows origin, method and every
 * requested header.
 */
export function preflight(rules: readonly CorsRule[], req: CorsRequest, resourceType: 'BUCKET' | 'OBJECT'): Record<string, string> {
  if (!req.origin) throw new S3Error('BadRequest', 'Insufficient information. Origin request header needed.');
  const method = req.requestMethod;
  if (method === undefined || !(CORS_METHODS as readonly string[]).includes(method)) {
    throw new S3Error('BadRequest', `Invalid Access-Control-Request-Method: ${method ?? 'null'}`);
  }
  const wanted = requestedHeaders(req.requestHeaders);
  for (const rule of rules) {
    const pattern = matchingOrigin(rule, req.origin);
    if (pattern === undefined || !allowsMethod(rule, method)) continue;
    if (!wanted.every((h) => rule.allowedHeaders.some((allowed) => wildcardMatch(allowed, h)))) continue;
    const headers = ruleHeaders(rule, pattern, req.origin);
    if (wanted.length > 0) headers['access-control-allow-headers'] = wanted.join(', ');
    return headers;
  }
  throw new S3Error('AccessForbidden', NOT_ALLOWED, { Method: method, ResourceType: resourceType });
}

/**
 * cors.md §5: the headers to add to the answer of an actual (non-preflight) request, error answers
 * included; undefined when it has no Origin or no rule allows it (the request itself goes on).
 * S3 matches the Access-Control-Request-Method header instead of the method when one is sent.
 */
export function corsResponseHeaders(rules: readonly CorsRule[], req: CorsRequest): Record<string, string> | undefined {
  if (!req.origin) return undefined;
  const method = req.requestMethod ?? req.method.toUpperCase();
  for (const rule of rules) {
    const pattern = matchingOrigin(rule, req.origin);
    if (pattern !== undefined && allowsMethod(rule, method)) return ruleHeaders(rule, pattern, req.origin);
  }
  return undefined;
}
