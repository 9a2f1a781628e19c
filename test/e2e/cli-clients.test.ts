// End to end: real command-line S3 clients (aws with botocore 1.43, Debian awscli v2, rclone, s3cmd) through s3bridge to moto and the embedded store.
//
// botocore sends aws-chunked bodies with CRC32 trailers only over https, so the aws CLIs run against an http
// and an https listener. Every transfer is checked byte for byte after download and straight on the backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { DEMO, tempDir } from '../helpers/bridge.js';
import {
  awsEnv,
  findDebianAws,
  findPyenvAws,
  findRclone,
  findS3cmd,
  rcloneEnv,
  writeAwsConfig,
  writeS3cmdConfig,
  type FoundClient,
} from './helpers/clients.js';
import { runOk } from './helpers/run.js';
import { generateSelfSignedCert, type TlsFiles } from './helpers/tls.js';
import {
  captureRequests,
  fileDigest,
  objectDigest,
  PREFIX,
  sha256,
  startStack,
  writeRandomFile,
  type BackendName,
  type SeenRequest,
  type Stack,
} from './helpers/stack.js';

const pyAws = findPyenvAws();
const debAws = findDebianAws();
const rclone = findRclone();
const s3cmd = findS3cmd();

type Transport = 'http' | 'https';
const MB = 1024 * 1024;
let moto: MotoServer;
let tls: TlsFiles;
let dir: string;
const stacks: Partial<Record<Transport, Stack>> = {};
const seen: Partial<Record<Transport, SeenRequest[]>> = {};
const files: Record<'small' | 'mid' | 'big', { path: string; sha256: string; length: number }> = {} as never;

const BACKENDS: Array<[string, BackendName]> = [
  ['moto', 'moto-a'],
  ['embedded store', 'local'],
];

beforeAll(async () => {
  dir = tempDir('s3bridge-e2e-cli-');
  tls = generateSelfSignedCert(dir);
  moto = await startMoto({ env: { S3_UPLOAD_PART_MIN_SIZE: '1024' } });
  [stacks.http, stacks.https] = await Promise.all([startStack([moto]), startStack([moto], { tls })]);
  seen.http = captureRequests(stacks.http.bridge);
  seen.https = captureRequests(stacks.https.bridge);
  for (const [name, size] of [
    ['small', 150_001],
    ['mid', 12 * MB + 7],
    ['big', 50 * MB],
  ] as const) {
    const path = join(dir, `${name}.bin`);
    files[name] = { path, ...(await writeRandomFile(path, size)) };
  }
}, 90_000);

afterAll(async () => {
  await Promise.all([stacks.http?.close(), stacks.https?.close()]);
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Creates `Bucket` on the backend behind `transport`'s bridge, directly (the clients under test only move objects). */
async function bucketFor(transport: Transport, backend: BackendName, tag: string): Promise<string> {
  const Bucket = `${PREFIX[backend]}${tag}-${transport}`;
  await stacks[transport]!.direct(backend).send(new CreateBucketCommand({ Bucket }));
  return Bucket;
}

/** The file and the object (read straight from the backend) hold the same bytes as `expected`. */
async function expectSame(
  transport: Transport,
  backend: BackendName,
  Bucket: string,
  Key: string,
  downloaded: string,
  expected: { sha256: string; length: number },
) {
  const want = { sha256: expected.sha256, length: expected.length };
  expect(await fileDigest(downloaded)).toEqual(want);
  expect(await objectDigest(stacks[transport]!.direct(backend), Bucket, Key)).toEqual(want);
}

function listFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

/** The requests s3bridge received for `Bucket` (every test uses its own buckets, so concurrent tests do not mix). */
function requestsFor(transport: Transport, Bucket: string, key?: string): SeenRequest[] {
  const prefix = `/${Bucket}/${key ?? ''}`;
  return seen[transport]!.filter((r) => r.url.startsWith(prefix));
}

const partUploads = (reqs: SeenRequest[]) => reqs.filter((r) => r.method === 'PUT' && r.url.includes('uploadId='));

function requireAll(...clients: FoundClient[]) {
  beforeAll(() => {
    for (const c of clients) c.require();
  });
}

/** Every transport × backend pair; each test below runs once per pair, all concurrently (distinct buckets). */
const MATRIX: Array<[Transport, string, BackendName]> = (['http', 'https'] as const).flatMap((t) =>
  BACKENDS.map(([label, b]) => [t, label, b] as [Transport, string, BackendName]),
);

/** The one 50 MB upload of the aws CLI: over https (aws-chunked, re-framed for the store) into the embedded store. */
const BIG_CASE = (t: Transport, b: BackendName) => t === 'https' && b === 'local';

function awsRunner(path: string, transport: Transport, s3: Record<string, string> = {}) {
  const env = awsEnv(DEMO, writeAwsConfig(dir, s3), transport === 'https' ? tls.cert : undefined);
  return (args: string[]) => runOk(path, ['--endpoint-url', stacks[transport]!.bridge.s3Url, ...args], { env, timeoutMs: 120_000 });
}

describe(`aws CLI with botocore (${pyAws.version || 'missing'})`, { concurrent: true, skip: pyAws.skip }, () => {
  requireAll(pyAws);

  it.each(MATRIX)('over %s → %s: s3 cp up and down, a small file', async (transport, _label, backend) => {
    const aws = awsRunner(pyAws.path!, transport);
    const Bucket = await bucketFor(transport, backend, 'pycp');
    await aws(['s3', 'cp', '--only-show-errors', files.small.path, `s3://${Bucket}/dir/small file.bin`]);
    const put = requestsFor(transport, Bucket).find((r) => r.method === 'PUT');
    // The point of the https run: botocore switches to aws-chunked with a CRC32 trailer there.
    if (transport === 'https') {
      expect(put?.headers['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
      expect(put?.headers['x-amz-trailer']).toBe('x-amz-checksum-crc32');
    } else {
      expect(put?.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    }
    const down = join(dir, `py-${transport}-${backend}-small`);
    await aws(['s3', 'cp', '--only-show-errors', `s3://${Bucket}/dir/small file.bin`, down]);
    await expectSame(transport, backend, Bucket, 'dir/small file.bin', down, files.small);
  });

  it.each(MATRIX.map(([t, l, b]) => [t, l, BIG_CASE(t, b) ? 'big' : 'mid', b] as const))(
    'over %s → %s: s3 cp up and down, multipart (%s file)',
    async (transport, _label, name, backend) => {
      const aws = awsRunner(pyAws.path!, transport);
      const Bucket = await bucketFor(transport, backend, 'pympu');
      await aws(['s3', 'cp', '--only-show-errors', files[name].path, `s3://${Bucket}/${name}.bin`]);
      const parts = partUploads(requestsFor(transport, Bucket));
      expect(parts.length).toBe(Math.ceil(files[name].length / (8 * MB))); // 8 MiB default chunks
      // s3transfer asks for CRC32 on the upload; over https each part is aws-chunked with a CRC32 trailer.
      const create = requestsFor(transport, Bucket).find((r) => r.method === 'POST' && r.url.includes('uploads'));
      expect(create?.headers['x-amz-checksum-algorithm']).toBe('CRC32');
      if (transport === 'https') for (const p of parts) expect(p.headers['x-amz-trailer']).toBe('x-amz-checksum-crc32');
      const down = join(dir, `py-${transport}-${backend}-${name}`);
      await aws(['s3', 'cp', '--only-show-errors', `s3://${Bucket}/${name}.bin`, down]);
      await expectSame(transport, backend, Bucket, `${name}.bin`, down, files[name]);
      rmSync(down);
    },
    120_000,
  );

  it.each(MATRIX)('over %s → %s: s3 sync of a small directory both ways, s3 ls', async (transport, _label, backend) => {
    const aws = awsRunner(pyAws.path!, transport);
    const Bucket = await bucketFor(transport, backend, 'pysync');
    const src = join(dir, `sync-src-${transport}-${backend}`);
    mkdirSync(join(src, 'sub dir'), { recursive: true });
    const contents: Record<string, Buffer> = {
      'a.txt': Buffer.from('alpha\n'),
      empty: Buffer.alloc(0),
      'sub dir/b+c.bin': randomBytes(70_000),
      'sub dir/ünï.txt': Buffer.from('unicode\n'),
    };
    for (const [name, data] of Object.entries(contents)) writeFileSync(join(src, name), data);
    await aws(['s3', 'sync', '--only-show-errors', src, `s3://${Bucket}/tree`]);
    const ls = await aws(['s3', 'ls', '--recursive', `s3://${Bucket}/tree/`]);
    for (const name of Object.keys(contents)) expect(ls.stdout).toContain(`tree/${name}`);
    const buckets = await aws(['s3', 'ls']);
    expect(buckets.stdout).toContain(Bucket);
    const dst = join(dir, `sync-dst-${transport}-${backend}`);
    await aws(['s3', 'sync', '--only-show-errors', `s3://${Bucket}/tree`, dst]);
    expect(listFiles(dst)).toEqual(Object.keys(contents).sort());
    for (const [name, data] of Object.entries(contents)) {
      await expectSame(transport, backend, Bucket, `tree/${name}`, join(dst, name), { sha256: sha256(data), length: data.length });
    }
    // A second sync finds nothing to do: sizes and times round-tripped.
    const again = await aws(['s3', 'sync', src, `s3://${Bucket}/tree`]);
    expect(again.stdout.trim()).toBe('');
  });
});

describe(`Debian awscli v2 (${debAws.version || 'missing'})`, { concurrent: true, skip: debAws.skip }, () => {
  requireAll(debAws);
  it.each(MATRIX)(
    'over %s → %s: s3 cp up and down, a small file and 12 MB as multipart (5 MB parts)',
    async (transport, _label, backend) => {
      const aws = awsRunner(debAws.path!, transport, { multipart_threshold: '5MB', multipart_chunksize: '5MB' });
      const Bucket = await bucketFor(transport, backend, 'v2');
      for (const name of ['small', 'mid'] as const) {
        await aws(['s3', 'cp', '--only-show-errors', files[name].path, `s3://${Bucket}/${name}.bin`]);
        expect(partUploads(requestsFor(transport, Bucket, name)).length).toBe(name === 'mid' ? 3 : 0);
        const down = join(dir, `v2-${transport}-${backend}-${name}`);
        await aws(['s3', 'cp', '--only-show-errors', `s3://${Bucket}/${name}.bin`, down]);
        await expectSame(transport, backend, Bucket, `${name}.bin`, down, files[name]);
      }
    },
    120_000,
  );
});

describe(`rclone (${rclone.version || 'missing'})`, { concurrent: true, skip: rclone.skip }, () => {
  requireAll(rclone);
  it.each(BACKENDS)(
    'copyto up and down → %s, a small file and 12 MB as multipart (5M chunks)',
    async (_label, backend) => {
      const env = rcloneEnv(DEMO, stacks.http!.bridge.s3Url, join(dir, `rclone-${backend}.conf`));
      // --s3-no-head: moto answers a multipart Complete with "x-amz-version-id: null" on an unversioned bucket and then
      // 400 to rclone's HEAD ?versionId=null (same without s3bridge); the bytes are checked below instead.
      const flags = ['--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M', '--s3-no-head', '--retries', '1', '--low-level-retries', '1'];
      const rc = (args: string[]) => runOk(rclone.path!, [...args, ...flags], { env, timeoutMs: 120_000 });
      const Bucket = await bucketFor('http', backend, 'rclone');
      for (const name of ['small', 'mid'] as const) {
        await rc(['copyto', files[name].path, `remote:${Bucket}/r/${name}.bin`]);
        expect(partUploads(requestsFor('http', Bucket, `r/${name}`)).length).toBe(name === 'mid' ? 3 : 0);
        const down = join(dir, `rclone-${backend}-${name}`);
        await rc(['copyto', `remote:${Bucket}/r/${name}.bin`, down]);
        await expectSame('http', backend, Bucket, `r/${name}.bin`, down, files[name]);
      }
    },
    120_000,
  );
});

describe(`s3cmd (${s3cmd.version || 'missing'})`, { concurrent: true, skip: s3cmd.skip }, () => {
  requireAll(s3cmd);
  it.each(BACKENDS)(
    'put and get → %s, a small file and 12 MB as multipart (5 MB chunks)',
    async (_label, backend) => {
      const config = writeS3cmdConfig(join(dir, `s3cmd-${backend}.cfg`), DEMO, stacks.http!.bridge.s3Url);
      const env = awsEnv(DEMO, join(dir, 'unused')); // nothing from the outer environment; s3cmd reads its config file
      const cmd = (args: string[]) => runOk(s3cmd.path!, ['-c', config, '--no-progress', ...args], { env, timeoutMs: 120_000 });
      const Bucket = await bucketFor('http', backend, 's3cmd');
      for (const name of ['small', 'mid'] as const) {
        await cmd(['put', '--multipart-chunk-size-mb=5', files[name].path, `s3://${Bucket}/c/${name}.bin`]);
        expect(partUploads(requestsFor('http', Bucket, `c/${name}`)).length).toBe(name === 'mid' ? 3 : 0);
        const down = join(dir, `s3cmd-${backend}-${name}`);
        await cmd(['get', '--force', `s3://${Bucket}/c/${name}.bin`, down]);
        await expectSame('http', backend, Bucket, `c/${name}.bin`, down, files[name]);
      }
    },
    120_000,
  );

  // s3cmd copies the source's ACL along: it reads the AccessControlPolicy and writes it back (s3rver's broke it).
  it.each(BACKENDS)(
    'cp and mv inside a bucket → %s',
    async (_label, backend) => {
      const config = writeS3cmdConfig(join(dir, `s3cmd-cp-${backend}.cfg`), DEMO, stacks.http!.bridge.s3Url);
      const env = awsEnv(DEMO, join(dir, 'unused'));
      const cmd = (args: string[]) => runOk(s3cmd.path!, ['-c', config, '--no-progress', ...args], { env, timeoutMs: 120_000 });
      const Bucket = await bucketFor('http', backend, 's3cmd-cp');
      await cmd(['put', files.small.path, `s3://${Bucket}/orig.bin`]);
      await cmd(['cp', `s3://${Bucket}/orig.bin`, `s3://${Bucket}/copy.bin`]);
      await cmd(['mv', `s3://${Bucket}/copy.bin`, `s3://${Bucket}/moved.bin`]);
      const down = join(dir, `s3cmd-cp-${backend}-moved`);
      await cmd(['get', '--force', `s3://${Bucket}/moved.bin`, down]);
      await expectSame('http', backend, Bucket, 'moved.bin', down, files.small);
      const listing = await cmd(['ls', `s3://${Bucket}/`]);
      expect(listing.stdout).toContain(`s3://${Bucket}/orig.bin`);
      expect(listing.stdout).not.toContain(`s3://${Bucket}/copy.bin`);
    },
    120_000,
  );
});
