// The embedded store under faults: kill -9 mid-upload then restart, a client gone mid-upload, concurrent writers of one key, any key round-tripping inside the data folder, restarts, the folder lock.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import aws4 from 'aws4';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/bridge.js';
import { waitFor } from '../helpers/wait.js';
import { startTestStore, storeClient, type TestStore } from '../helpers/store.js';

const KEYS = { accessKeyId: 'FAULTKEY', secretAccessKey: 'fault-secret-key' };
const md5 = (b: Buffer | string) => createHash('md5').update(b).digest('hex');

/** Every file under dir, relative. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  walk(dir);
  return out;
}

/** The store in a process of its own (from dist/, built by `npm test`), so it can be killed with SIGKILL. */
async function storeProcess(dir: string): Promise<{ proc: ChildProcess; endpoint: string }> {
  const server = fileURLToPath(new URL('../../dist/store/server.js', import.meta.url));
  if (!existsSync(server)) throw new Error(`${server} is missing: run \`npm run build\` (npm test does) before these tests`);
  const script = `const { startStore } = await import(${JSON.stringify(server)});
    const s = await startStore({ dir: ${JSON.stringify(dir)}, ...${JSON.stringify(KEYS)} });
    console.log(s.endpoint);`;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').once('data', (s: string) => resolve(s.trim()));
    proc.once('exit', (code) => reject(new Error(`store process exited ${code}`)));
  });
  return { proc, endpoint };
}

/** Starts a signed PUT of `total` bytes and sends only `sent` of them, leaving the request open. */
function partialPut(endpoint: string, path: string, total: number, sent: number): { req: ReturnType<typeof request>; done: Promise<unknown> } {
  const url = new URL(endpoint);
  const signed = aws4.sign(
    {
      host: url.host,
      path,
      method: 'PUT',
      service: 's3',
      region: 'us-east-1',
      headers: { 'content-length': String(total), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    KEYS,
  );
  const req = request({ host: url.hostname, port: url.port, method: 'PUT', path, headers: signed.headers as Record<string, string> });
  const done = new Promise((resolve) => {
    req.on('response', resolve);
    req.on('error', resolve);
  });
  req.write(Buffer.alloc(sent, 7));
  return { req, done };
}

const tmpFiles = (dir: string) => files(join(dir, 'tmp'));
const tmpBytes = (dir: string) => tmpFiles(dir).reduce((n, f) => n + statSync(join(dir, 'tmp', f)).size, 0);

describe('kill -9 mid-upload, then restart', () => {
  it('leaves no partial object or part, and no temp file; what was committed before is intact', async () => {
    const dir = join(tempDir(), 'data');
    const first = await storeProcess(dir);
    const s3 = storeClient(first.endpoint, KEYS);
    await s3.send(new CreateBucketCommand({ Bucket: 'bkt' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'kept', Body: 'committed before the crash' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'overwritten', Body: 'old version' }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'mp' }));
    const uploads = [
      partialPut(first.endpoint, '/bkt/half-new', 4_000_000, 1_500_000),
      partialPut(first.endpoint, '/bkt/overwritten', 4_000_000, 1_000_000),
      partialPut(first.endpoint, `/bkt/mp?partNumber=1&uploadId=${UploadId}`, 4_000_000, 1_200_000),
    ];
    // The bodies are on their way to disk, in the temp area only.
    await waitFor(() => tmpBytes(dir) >= 3_000_000, 10_000, 'the partial bodies in the temp area');
    first.proc.kill('SIGKILL');
    await Promise.all(uploads.map((u) => u.done));
    await new Promise((r) => (first.proc.exitCode !== null || first.proc.signalCode !== null ? r(undefined) : first.proc.once('exit', r)));
    expect(tmpFiles(dir).length).toBeGreaterThanOrEqual(3);

    const again = await startTestStore({ dir, ...KEYS });
    try {
      expect(tmpFiles(dir)).toEqual([]);
      const c = again.client();
      expect(await (await c.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'kept' }))).Body!.transformToString()).toBe('committed before the crash');
      expect(await (await c.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'overwritten' }))).Body!.transformToString()).toBe('old version');
      await expect(c.send(new HeadObjectCommand({ Bucket: 'bkt', Key: 'half-new' }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      expect((await c.send(new ListObjectsV2Command({ Bucket: 'bkt' }))).Contents?.map((o) => o.Key)).toEqual(['kept', 'overwritten']);
      expect((await c.send(new ListPartsCommand({ Bucket: 'bkt', Key: 'mp', UploadId }))).Parts ?? []).toEqual([]);
    } finally {
      await again.stop();
    }
  });
});

describe('one store', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await startTestStore(KEYS);
    await store.client().send(new CreateBucketCommand({ Bucket: 'bkt' }));
  });
  afterAll(() => store?.stop());

  it('a client that goes away mid-upload leaves nothing, and the old version stays', async () => {
    const s3 = store.client();
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'abandoned', Body: 'old' }));
    const put = partialPut(store.endpoint, '/bkt/abandoned', 2_000_000, 500_000);
    await waitFor(() => tmpBytes(store.dir) >= 500_000, 10_000, 'the body in the temp area');
    put.req.destroy();
    await waitFor(() => tmpFiles(store.dir).length === 0, 10_000, 'the temp file to be removed');
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'abandoned' }))).Body!.transformToString()).toBe('old');
  });

  it('concurrent PUTs of one key leave one whole version, data and metadata of the same writer', async () => {
    const s3 = store.client({ maxAttempts: 1 });
    for (let round = 0; round < 3; round++) {
      const bodies = Array.from({ length: 8 }, (_, i) => Buffer.concat([Buffer.from(`writer ${i} `), randomBytes(50_000 + i * 7919)]));
      await Promise.all(
        bodies.map((Body, i) =>
          s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'contended', Body, Metadata: { writer: String(i) }, Tagging: `writer=${i}` })),
        ),
      );
      const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'contended' }));
      const data = Buffer.from(await got.Body!.transformToByteArray());
      const writer = Number(got.Metadata?.writer);
      expect(data.equals(bodies[writer]!)).toBe(true);
      expect(got.ETag).toBe(`"${md5(bodies[writer]!)}"`);
      expect((await s3.send(new GetObjectTaggingCommand({ Bucket: 'bkt', Key: 'contended' }))).TagSet).toEqual([{ Key: 'writer', Value: String(writer) }]);
    }
    expect(tmpFiles(store.dir)).toEqual([]);
  });

  it('a GET that started before an overwrite reads the old version whole', async () => {
    const s3 = store.client();
    const before = randomBytes(3_000_000);
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'read-while-written', Body: before }));
    const reading = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'read-while-written' }));
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'read-while-written', Body: 'new' }));
    expect(Buffer.from(await reading.Body!.transformToByteArray()).equals(before)).toBe(true);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'read-while-written' }))).Body!.transformToString()).toBe('new');
  });

  it('concurrent UploadParts of one part number leave one whole part', async () => {
    const s3 = store.client();
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'bkt', Key: 'parts-race' }));
    const bodies = Array.from({ length: 6 }, (_, i) => randomBytes(40_000 + i));
    await Promise.all(bodies.map((Body) => s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'parts-race', UploadId, PartNumber: 1, Body }))));
    const [part] = (await s3.send(new ListPartsCommand({ Bucket: 'bkt', Key: 'parts-race', UploadId }))).Parts!;
    expect(bodies.some((b) => part!.Size === b.length && part!.ETag === `"${md5(b)}"`)).toBe(true);
  });

  // Keys built from the pieces that break naive stores: dot segments, both slashes, escapes, unicode, trailing "/".
  const piece = fc.oneof(
    fc.constantFrom('../', '..\\', '..', '.', '/', '//', '%2e', '%2F', '%', '+', ' ', '?', '#', '&', '~', '\\', 'é', '日本', '😀', '\r', '\t', 'a'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }),
  );
  const key = fc
    .array(piece, { minLength: 1, maxLength: 12 })
    .map((p) => p.join(''))
    .filter((k) => !k.includes('\u0000') && Buffer.byteLength(k) <= 1024);

  it('any key round-trips byte-exact (written, listed, read back), and every file stays inside the data folder', async () => {
    const s3 = store.client();
    const parent = join(store.dir, '..');
    const siblingsBefore = readdirSync(parent).sort();
    await s3.send(new CreateBucketCommand({ Bucket: 'keys' }));
    const written = new Map<string, Buffer>();
    await fc.assert(
      fc.asyncProperty(key, fc.uint8Array({ maxLength: 2000 }), async (k, bytes) => {
        const body = Buffer.from(bytes);
        await s3.send(new PutObjectCommand({ Bucket: 'keys', Key: k, Body: body }));
        written.set(k, body);
        const got = await s3.send(new GetObjectCommand({ Bucket: 'keys', Key: k }));
        expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
      }),
      { numRuns: 150 },
    );
    // The listing has every key exactly once, sorted by UTF-8 bytes (url-encoded: CR and tabs survive).
    const listed: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: 'keys', EncodingType: 'url', MaxKeys: 37, ContinuationToken }));
      listed.push(...(page.Contents ?? []).map((o) => decodeURIComponent(o.Key!.replace(/\+/g, ' '))));
      ContinuationToken = page.NextContinuationToken;
    } while (ContinuationToken);
    const expected = [...written.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(listed).toEqual(expected);
    // Nothing was created next to the data folder, and inside it only the store's own layout.
    expect(readdirSync(parent).sort()).toEqual(siblingsBefore);
    for (const f of files(store.dir)) {
      expect(f).toMatch(
        /^(store\.json|store\.lock|buckets\/[0-9a-f]+\/(bucket\.json|objects\/[0-9a-f]{2}\/[0-9a-f]{64}(\.tags)?|uploads\/[A-Za-z0-9_-]{43}\/(upload\.json|\d{5})))$/,
      );
    }
  });
});

describe('restart and the folder lock', () => {
  it('buckets, objects, tags and unfinished uploads survive a restart', async () => {
    const dir = join(tempDir(), 'data');
    const a = await startTestStore({ dir, ...KEYS });
    const s3 = a.client();
    await s3.send(new CreateBucketCommand({ Bucket: 'persist' }));
    await s3.send(new PutObjectCommand({ Bucket: 'persist', Key: 'k', Body: 'v', Tagging: 't=1', Metadata: { m: 'x' } }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'persist', Key: 'mp' }));
    await s3.send(new UploadPartCommand({ Bucket: 'persist', Key: 'mp', UploadId, PartNumber: 1, Body: 'part' }));
    await a.stop({ keep: true });
    const b = await startTestStore({ dir, ...KEYS });
    try {
      const c = b.client();
      const got = await c.send(new GetObjectCommand({ Bucket: 'persist', Key: 'k' }));
      expect([await got.Body!.transformToString(), got.Metadata, got.TagCount]).toEqual(['v', { m: 'x' }, 1]);
      expect((await c.send(new ListPartsCommand({ Bucket: 'persist', Key: 'mp', UploadId }))).Parts?.map((p) => p.Size)).toEqual([4]);
    } finally {
      await b.stop();
    }
  });

  it('a second store on the same folder is refused while the first runs (another process, or this one)', async () => {
    const dir = join(tempDir(), 'data');
    const first = await storeProcess(dir);
    try {
      await expect(startTestStore({ dir, ...KEYS })).rejects.toThrow(/held by process \d+/);
    } finally {
      first.proc.kill('SIGKILL');
      await new Promise((r) => first.proc.once('exit', r));
    }
    // The lock of a process that is gone is taken over.
    const own = await startTestStore({ dir, ...KEYS });
    try {
      await expect(startTestStore({ dir, ...KEYS })).rejects.toThrow(/already open in this process/);
    } finally {
      await own.stop();
    }
  });

  it('refuses a folder that holds something else', async () => {
    const dir = join(tempDir(), 'data');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expect(startTestStore({ dir, ...KEYS })).rejects.toThrow(/neither empty nor an s3bridge data folder/);
  });
});
