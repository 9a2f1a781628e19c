// Properties of parseS3Request + authorize on random hostile requests: whatever is allowed stays inside the key's buckets, operations and the forwarding policy (security.md §2–§5).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorize, type AccessPolicy, type BackendTraits } from '../../../src/auth/authorize.js';
import type { ClientConfig } from '../../../src/config/schema.js';
import { parseS3Request, type S3Request } from '../../../src/parse/request.js';
import { globToRegExp, Router } from '../../../src/route/router.js';
import { isS3Error } from '../../../src/s3/errors.js';
import { OPERATIONS } from '../../../src/s3/operations.js';
import { CLIENT_BUCKETS, hasDotSegment, IN_ALLOW_LIST, requestArb, rawQuery, ROUTES, type GeneratedRequest } from '../../helpers/hostile-requests.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);

const CLIENTS: Record<GeneratedRequest['client'], ClientConfig> = {
  restricted: { accessKeyId: 't1', secretAccessKey: 's', ...CLIENT_BUCKETS.restricted },
  readOnly: { accessKeyId: 'ro', secretAccessKey: 's', ...CLIENT_BUCKETS.readOnly },
  prefixed: { accessKeyId: 'p', secretAccessKey: 's', ...CLIENT_BUCKETS.prefixed },
};

const BACKENDS = new Map<string, BackendTraits>([
  ['store', { name: 'store', capabilities: { literalKeys: false } }],
  ['aws', { name: 'aws', capabilities: { literalKeys: true } }],
]);
const policy: AccessPolicy<BackendTraits> = { clientBuckets: (c) => c.buckets.map(globToRegExp), router: new Router(ROUTES), backends: BACKENDS };

/** security.md §4: the headers S3 honours unsigned. */
const UNSIGNED_OK = new Set([
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-md5',
  'content-type',
  'expires',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-unmodified-since',
  'range',
  'origin',
  'access-control-request-method',
  'access-control-request-headers',
]);
/** security.md §4: never forwarded, signed or not. */
const NEVER =
  /^(authorization|x-amz-date|x-amz-security-token|x-amz-content-sha256|date|host|connection|cookie|via|forwarded|x-forwarded-.*|x-real-ip|x-http-method(-override)?|x-method-override|x-original-url|x-original-method|x-rewrite-url)$/;

/** The client's own authentication headers, as an attacker could also send them: they must never be forwarded. */
const AUTH_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['authorization', 'AWS4-HMAC-SHA256 x'],
  ['x-amz-date', '20250101T000000Z'],
  ['date', 'x'],
];

function build(r: GeneratedRequest, auth: boolean) {
  const query = rawQuery(r);
  const url = query ? `${r.path}?${query}` : r.path;
  const rawHeaders = ['host', 'h', ...r.headers.flat(), ...(auth ? AUTH_HEADERS.flat() : [])];
  const signed = ['host', ...r.headers.filter((_, i) => r.signed[i]).map(([n]) => n), ...(auth ? ['x-amz-date', 'date'] : [])];
  return { raw: { method: r.method, url, rawHeaders }, signed };
}

function decide(r: GeneratedRequest, auth: boolean) {
  const { raw, signed } = build(r, auth);
  let s3: S3Request;
  try {
    s3 = parseS3Request(raw, { virtualHostSuffixes: [] });
    return { s3, signed, out: authorize(s3, { client: CLIENTS[r.client], payload: { kind: 'unsigned' }, signedHeaders: signed }, policy) };
  } catch (err) {
    // Refusing is always safe; anything but an S3 error is a crash.
    if (!isS3Error(err)) throw err;
    return undefined;
  }
}

describe('authorize on random requests', () => {
  it("allows only the key's buckets, table operations (reads for a read-only key), and forwards only what the policy lets through", () => {
    let allowed = 0;
    fc.assert(
      fc.property(requestArb, fc.boolean(), (r, auth) => {
        const d = decide(r, auth);
        if (!d) return;
        allowed++;
        const { s3, signed, out } = d;
        const inList = IN_ALLOW_LIST[r.client];
        expect(s3.method).toBe(r.method);
        if (s3.bucket !== undefined) expect(inList(s3.bucket)).toBe(true);
        if (s3.copySource) {
          expect(s3.spec.copy).toBe(true);
          expect(inList(s3.copySource.bucket)).toBe(true);
        }
        expect(OPERATIONS).toContain(s3.spec);
        if (CLIENTS[r.client].readOnly) expect(s3.spec.read).toBe(true);
        // Names reaching a backend (security.md §3): keys literal where the store is not, tokens opaque.
        const literal = out.target?.backend.capabilities.literalKeys ?? false;
        if (s3.key !== undefined && !literal) expect(hasDotSegment(s3.key)).toBe(false);
        if (s3.copySource && !out.source!.backend.capabilities.literalKeys) expect(hasDotSegment(s3.copySource.key)).toBe(false);
        // An alias target is reached through its alias only (security.md §5).
        if (out.target?.route.backendBucket === 'prod-photos') expect(s3.bucket).toBe('photos');
        if (out.source?.route.backendBucket === 'prod-photos') expect(s3.copySource!.bucket).toBe('photos');
        // The query the backend receives: the operation's own parameters, each once, their values checked.
        const own = new Set([...s3.spec.sub, ...s3.spec.params]);
        const names = s3.params.map(([n]) => n);
        expect(names.filter((n) => !own.has(n))).toEqual([]);
        expect(new Set(names).size).toBe(names.length);
        for (const [n, v] of s3.params) {
          if (n === 'uploadId' || n === 'versionId') expect(v.startsWith('/') || v.includes('\\') || hasDotSegment(v) || v === '').toBe(false);
          if (n === 'partNumber') expect(/^\d+$/.test(v) && +v >= 1 && +v <= 10000).toBe(true);
        }
        // The headers the backend receives (security.md §4).
        for (const name of Object.keys(out.headers)) {
          expect(NEVER.test(name), name).toBe(false);
          expect(signed.includes(name) || s3.hoisted.includes(name) || name.startsWith('x-amz-') || UNSIGNED_OK.has(name), name).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
    // The generator must reach the allowed side often enough for the property to mean something.
    expect(allowed).toBeGreaterThan(RUNS / 20);
  });
});
