// Test helper: fast-check generators of hostile S3 requests (allowed and forbidden buckets, dot segments and encodings, random subresources and parameters, copy sources, override headers), for the authorization properties.
import fc from 'fast-check';
import { OPERATIONS, SUBRESOURCES } from '../../src/s3/operations.js';

/** The clients the generated requests are for: a restricted key, a read-only key, and a key whose glob matches an alias and its target. */
export const CLIENT_NAMES = ['restricted', 'readOnly', 'prefixed'] as const;
export type ClientName = (typeof CLIENT_NAMES)[number];
export const CLIENT_BUCKETS: Record<ClientName, { buckets: string[]; readOnly: boolean }> = {
  restricted: { buckets: ['t1-*'], readOnly: false },
  readOnly: { buckets: ['*'], readOnly: true },
  prefixed: { buckets: ['p*'], readOnly: false },
};
/** The allow-lists above, written out independently of the glob code under test. */
export const IN_ALLOW_LIST: Record<ClientName, (bucket: string) => boolean> = {
  restricted: (b) => b.startsWith('t1-'),
  readOnly: () => true,
  prefixed: (b) => b.startsWith('p'),
};
/** Routes the generated names assume: photos is an alias of prod-photos, t1-lit* keeps keys literally, the rest is one store. */
export const ROUTES = [
  { bucket: 'photos', backend: 'store', backendBucket: 'prod-photos' },
  { bucket: 't1-lit*', backend: 'aws' },
  { bucket: '*', backend: 'store' },
];

export const hasDotSegment = (s: string): boolean => s.split(/[/\\]/).some((seg) => seg === '.' || seg === '..');

/** Plain paths by level: allowed and forbidden buckets, an alias and its target, a store that keeps keys literally. */
const PLAIN = {
  service: ['/'],
  bucket: ['/t1-a', '/t1-a/', '/zz-b', '/photos', '/prod-photos', '/p1', '/t1-lit'],
  object: ['/t1-a/k', '/t1-a/dir/k.txt', '/zz-b/secret', '/photos/k', '/prod-photos/k', '/p1/k', '/t1-lit/a/../b', '/t1-lit/k', '/t1-a//k'],
};
/** Hostile paths by level: dot segments (raw, encoded, backslashed), encoded slashes, absolute form. */
const HOSTILE = {
  service: ['http://h/', '//'],
  bucket: ['/t1-a%2F..%2Fzz-b', '/%2E%2E', '/.', '/t1-a%5C..'],
  object: [
    '/t1-a/../zz-b/secret',
    '/t1-a/%2E%2E/zz-b/secret',
    '/t1-a/%2e./zz-b',
    '/t1-a/..%2Fzz-b%2Fsecret',
    '/t1-a/..%5Czz-b',
    '/t1-a/..\\zz-b',
    '/t1-a%2F..%2Fzz-b/secret',
    '/%2E%2E/zz-b/secret',
    '//zz-b/secret',
    '/t1-a/./k',
    '/t1-a/%252E%252E/k',
    '/t1-a/..',
    'http://h/t1-a/../zz-b/secret',
  ],
};
type Level = keyof typeof PLAIN;
/** A path at `level`: plain two times out of three (else nearly everything is refused for its path alone). */
const pathAt = (level: Level) =>
  fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...PLAIN[level]) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE[level]) });
const anyPath = fc.constantFrom<Level>('service', 'bucket', 'object').chain(pathAt);
const VALUES = ['10000', '10001', '0', '..', '../zz-b/secret', '..%2Fzz-b', '%2Fetc%2Fpasswd', 'a%5C..%5Cb', '1%2F..%2F..', '%2E%2E', 'x+y', '%00'];
const COPY_SOURCES = [
  't1-a/k',
  'zz-b/secret',
  '/zz-b/secret',
  't1-a/../zz-b/secret',
  't1-a/%2E%2E/zz-b/secret',
  't1-a%2F..%2Fzz-b/secret',
  'zz-b%2Fsecret',
  'prod-photos/k',
  'photos/k',
  't1-lit/a/../b',
  't1-a/k?versionId=..%2Fx',
  't1-a/k?versionId=v1',
  'p1/k',
];
const PARAMS = [...new Set([...SUBRESOURCES, ...OPERATIONS.flatMap((o) => o.params), 'x-id', 'events', 'lambdaArn', 'UploadId', 'partnumber'])];
const HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['x-amz-copy-source-range', 'bytes=0-1'],
  ['x-amz-copy-source-range', 'bytes=5-1'],
  ['x-http-method-override', 'DELETE'],
  ['x-http-method', 'PUT'],
  ['x-method-override', 'DELETE'],
  ['x-original-url', '/zz-b/secret'],
  ['x-forwarded-host', 'admin'],
  ['forwarded', 'for=1.2.3.4'],
  ['via', '1.1 p'],
  ['cookie', 'a=b'],
  ['connection', 'x-amz-date'],
  ['connection', 'close'],
  ['connection', 'range'],
  ['range', 'bytes=0-1'],
  ['content-type', 'text/xml'],
  ['x-amz-meta-a', 'b'],
  ['x-amz-acl', 'public-read'],
  ['user-agent', 'u'],
  ['x-real-ip', '10.0.0.1'],
];

/** `arb` in one case out of `outOf`, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, outOf: number) => fc.oneof({ weight: outOf - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE'];
/** Mostly plausible values (else nearly every request is refused for its values alone), often path-like ones. */
const valueArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(undefined, '', '1', '2', 'abc', 'v1') },
  { weight: 2, arbitrary: fc.constantFrom(...VALUES) },
);
/** Any names from the subresources and parameters, any values: mostly no operation at all. */
const anyQuery = fc.array(fc.tuple(fc.constantFrom(...PARAMS), valueArb), { maxLength: 4 });
/** Shaped like a table row (its subresources, some of its parameters, maybe one more name), so that many requests are allowed. */
const rowShaped = fc
  .record({
    op: fc.constantFrom(...OPERATIONS),
    keep: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    values: fc.array(valueArb, { minLength: 12, maxLength: 12 }),
    extra: sometimes(fc.tuple(fc.constantFrom(...PARAMS), valueArb), 3),
  })
  .map(({ op, keep, values, extra }) => {
    const names = [...op.sub, ...op.params.filter((_, i) => keep[i % keep.length])];
    const pairs: Array<[string, string | undefined]> = names.map((n, i) => [n, values[i % values.length]]);
    if (extra) pairs.push(extra);
    return { method: op.method as string, pairs, level: op.level };
  });

export const requestArb = fc
  .record({
    shape: fc.oneof(
      { weight: 3, arbitrary: rowShaped.chain((row) => pathAt(row.level).map((path) => ({ ...row, path }))) },
      fc.record({ method: fc.constantFrom(...METHODS), pairs: anyQuery, path: anyPath }),
    ),
    otherMethod: sometimes(fc.constantFrom(...METHODS), 8),
    copyInQuery: sometimes(fc.constantFrom(...COPY_SOURCES), 8),
    headers: fc.uniqueArray(fc.constantFrom(...HEADERS), { maxLength: 3, selector: ([name]) => name }),
    copyHeader: sometimes(fc.constantFrom(...COPY_SOURCES), 4),
    signed: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
    client: fc.constantFrom(...CLIENT_NAMES),
  })
  .map(({ shape, otherMethod, copyHeader, headers, ...rest }) => ({
    ...rest,
    method: otherMethod ?? shape.method,
    params: shape.pairs,
    path: shape.path,
    headers: copyHeader === undefined ? headers : [...headers, ['x-amz-copy-source', copyHeader] as const],
  }));

export type GeneratedRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

/** The raw query string of a generated request (values as generated: already percent-encoded where they need it). */
export function rawQuery(r: GeneratedRequest): string {
  const query = r.params.map(([n, v]) => (v === undefined ? n : `${n}=${v}`));
  if (r.copyInQuery !== undefined) query.push(`x-amz-copy-source=${encodeURIComponent(r.copyInQuery)}`);
  return query.join('&');
}
