// Property through the whole proxy: for random hostile requests, every request a backend receives stays inside the key's buckets and operations (security.md §2–§5).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteBackend, startBridge, type TestBridge } from '../helpers/bridge.js';
import {
  CLIENT_BUCKETS,
  CLIENT_NAMES,
  IN_ALLOW_LIST,
  rawQuery,
  requestArb,
  ROUTES,
  type ClientName,
  type GeneratedRequest,
} from '../helpers/hostile-requests.js';
import { sendS3 } from '../helpers/raw-s3.js';
import { startRecordingBackend, type RecordedRequest, type RecordingBackend } from '../helpers/recording-backend.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const KEYS = { accessKeyId: 'rec', secretAccessKey: 'rec-secret' };
const CREDS: Record<ClientName, { accessKeyId: string; secretAccessKey: string }> = {
  restricted: { accessKeyId: 't1', secretAccessKey: 't1-secret-key' },
  readOnly: { accessKeyId: 'ro', secretAccessKey: 'ro-secret-key' },
  prefixed: { accessKeyId: 'p', secretAccessKey: 'p-secret-key' },
};

let rec: RecordingBackend;
let bridge: TestBridge;

beforeAll(async () => {
  rec = await startRecordingBackend(KEYS);
  bridge = await startBridge({
    clients: CLIENT_NAMES.map((c) => ({ ...CREDS[c], ...CLIENT_BUCKETS[c] })),
    backends: [
      remoteBackend('store', { endpoint: rec.endpoint, ...KEYS }),
      remoteBackend('aws', { endpoint: rec.endpoint, ...KEYS }, { capabilities: { literalKeys: true } }),
    ],
    routes: ROUTES,
  });
});

afterAll(async () => {
  await bridge?.close(1000);
  await rec?.stop();
});

/** security.md §4: headers a backend never receives from a client. */
const NEVER = /^(cookie|via|forwarded|x-forwarded-.*|x-real-ip|x-http-method(-override)?|x-method-override|x-original-url|x-original-method|x-rewrite-url)$/;

/** The bucket a client-visible name names, or "photos" for its alias target: a backend sees prod-photos only through the alias. */
function namesBucket(r: GeneratedRequest, bucket: string): boolean {
  const path = r.path.replace(/^http:\/\/h/, '');
  const sources = [r.copyInQuery, ...r.headers.filter(([n]) => n === 'x-amz-copy-source').map(([, v]) => v)].filter((v): v is string => v !== undefined);
  return path.split('/')[1] === bucket || sources.some((s) => s.replace(/^\//, '').split('/')[0] === bucket);
}

function checkReceived(r: GeneratedRequest, got: RecordedRequest): void {
  const allowed = IN_ALLOW_LIST[r.client];
  const q = got.url.indexOf('?');
  const path = q < 0 ? got.url : got.url.slice(0, q);
  const names =
    q < 0
      ? []
      : got.url
          .slice(q + 1)
          .split('&')
          .map((p) => decodeURIComponent(p.split('=')[0]!));
  const bucket = decodeURIComponent(path.split('/')[1] ?? '');
  expect(got.method).toBe(r.method);
  if (got.method === 'OPTIONS') {
    // A CORS preflight needs no key: it goes on without our credentials or anything but the CORS headers (cors.md §3).
    expect(got.headers.authorization).toBeUndefined();
    expect(Object.keys(got.headers).filter((h) => !/^(host|connection|origin|access-control-request-(method|headers))$/.test(h))).toEqual([]);
    expect(path.split('/').filter((seg) => seg === '.' || seg === '..')).toEqual([]);
    return;
  }
  expect(got.auth.ok, 'our signature verifies').toBe(true);
  if (path === '/') {
    // ListBuckets asks every backend for its list, and answers with the allowed names only.
    expect([got.method, got.url, r.path.replace(/^http:\/\/h/, '')]).toEqual(['GET', '/', '/']);
    return;
  }
  expect(allowed(bucket), `bucket ${bucket}`).toBe(true);
  if (bucket === 'prod-photos') expect(namesBucket(r, 'photos')).toBe(true);
  expect(path.split('/').filter((seg) => seg === '.' || seg === '..')).toEqual([]);
  expect(new Set(names).size).toBe(names.length);
  expect(names.filter((n) => n.toLowerCase().startsWith('x-amz-'))).toEqual([]);
  const source = got.headers['x-amz-copy-source'];
  if (typeof source === 'string') {
    const sourceBucket = decodeURIComponent(source.replace(/^\//, '').split('/')[0]!);
    expect(allowed(sourceBucket), `copy source ${source}`).toBe(true);
    if (sourceBucket === 'prod-photos') expect(namesBucket(r, 'photos')).toBe(true);
  }
  expect(Object.keys(got.headers).filter((h) => NEVER.test(h))).toEqual([]);
  if (CLIENT_BUCKETS[r.client].readOnly) {
    const readish = got.method === 'GET' || got.method === 'HEAD' || (got.method === 'POST' && [...names].sort().join('&') === 'select&select-type');
    expect(readish, `${got.method} ${got.url}`).toBe(true);
  }
}

describe('random requests through s3bridge', () => {
  it("reach a backend only inside the key's buckets, with the client's method, and only as reads for a read-only key", async () => {
    let forwarded = 0;
    await fc.assert(
      fc.asyncProperty(requestArb, fc.boolean(), async (r, presign) => {
        // Unsigned x-amz-* headers are refused at verification (sigv4.md §3.4): signing them lets more requests through.
        const isSigned = ([name]: readonly [string, string], i: number) => r.signed[i] || name.startsWith('x-amz-');
        const signed = r.headers.filter(isSigned);
        const unsigned = r.headers.filter((h, i) => !isSigned(h, i));
        const before = rec.requests.length;
        const body = r.method === 'PUT' || r.method === 'POST' ? '<Delete><Object><Key>k</Key></Object></Delete>' : undefined;
        await sendS3(bridge.s3Url, CREDS[r.client], {
          method: r.method,
          path: r.path.replace(/^http:\/\/h/, ''),
          absolute: r.path.startsWith('http://'),
          query: rawQuery(r) || undefined,
          presign,
          body,
          headers: Object.fromEntries(signed),
          unsigned: Object.fromEntries(unsigned),
        });
        const got = rec.requests.slice(before);
        forwarded += got.length;
        for (const g of got) checkReceived(r, g);
      }),
      { numRuns: RUNS },
    );
    // Enough of them must get through for the property to mean something (about one in ten does).
    expect(forwarded).toBeGreaterThan(RUNS / 40);
  }, 120_000);
});
