// End to end: Signature Version 2 as real clients make it (boto3 header auth, boto3's default presigner, `aws s3 presign` of the aws CLI v1, `s3cmd signurl`) through s3bridge to moto.
//
// Presigned URLs are fetched with a plain HTTP client, as a browser or curl would. Refused PUTs are checked on moto
// directly: nothing may have been written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startMoto, type MotoServer } from '../helpers/moto.js';
import { DEMO, remoteBackend, startBridge, tempDir, type TestBridge } from '../helpers/bridge.js';
import { awsEnv, findPyenvAws, findS3cmd, writeAwsConfig, writeS3cmdConfig } from './helpers/clients.js';
import { runOk } from './helpers/run.js';
import { requirePython, runPython } from './helpers/python.js';
import { refusal, s3Error, send } from './helpers/http.js';
import { backendHas, captureRequests, fileDigest, objectDigest, sha256, type SeenRequest } from './helpers/stack.js';

const pyAws = findPyenvAws();
const s3cmd = findS3cmd();

let moto: MotoServer;
let bridge: TestBridge;
/** The same backend behind a bridge with server.signatureV2: false. */
let v4only: TestBridge;
let direct: S3Client;
let dir: string;
/** Request heads as s3bridge received them. */
let seen: SeenRequest[];
const BUCKET = 'sigv2-urls';
const data = randomBytes(70_001);
const other = Buffer.from('another object: a tampered key must not reach it');
/** A key every client must percent-encode (space, +, =, &, non-ASCII); its presigned URLs must still verify. */
const ODD = 'odd/a b+c=d&ü €.txt';

beforeAll(async () => {
  requirePython();
  pyAws.require();
  s3cmd.require();
  dir = tempDir('s3bridge-e2e-sigv2-');
  moto = await startMoto({ env: { S3_UPLOAD_PART_MIN_SIZE: '1024' } });
  const config = { backends: [remoteBackend('moto', moto)], routes: [{ bucket: '*', backend: 'moto' }] };
  [bridge, v4only] = await Promise.all([startBridge(config), startBridge({ ...config, server: { signatureV2: false } })]);
  seen = captureRequests(bridge);
  direct = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: moto, maxAttempts: 1 });
  await direct.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'obj.bin', Body: data }));
  await direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'other.bin', Body: other }));
  await direct.send(new PutObjectCommand({ Bucket: BUCKET, Key: ODD, Body: ODD }));
}, 60_000);

afterAll(async () => {
  await Promise.all([bridge?.close(1000), v4only?.close(1000)]);
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Presigned = Record<string, string>;

/** boto3's default presigner (SigV2) for `urls` = [name, ClientMethod, Params, ExpiresIn]. */
function boto3Presign(base: string, urls: Array<[string, string, Record<string, unknown>, number]>): Promise<Presigned> {
  return runPython<Presigned>('sigv2.py', { do: 'presign', endpoint: base, ...DEMO, urls });
}

/** A copy of `url` with query parameter `name` set to `value` (the rest left exactly as the client wrote it). */
function withParam(url: string, name: string, value: string): string {
  const re = new RegExp(`([?&]${name}=)[^&]*`);
  if (!re.test(url)) throw new Error(`${url} has no ${name}`);
  return url.replace(re, `$1${encodeURIComponent(value)}`);
}

/** Every URL the tests fetch, presigned by boto3 in one run (a python start costs about a second). */
const PRESIGN: Array<[string, string, Record<string, unknown>, number]> = [
  ['get', 'get_object', { Bucket: BUCKET, Key: 'obj.bin' }, 600],
  ['getOverride', 'get_object', { Bucket: BUCKET, Key: 'obj.bin', ResponseContentType: 'text/x-override' }, 600],
  ['put', 'put_object', { Bucket: BUCKET, Key: 'put/boto3.bin' }, 600],
  ['putTampered', 'put_object', { Bucket: BUCKET, Key: 'put/tampered.bin' }, 600],
  ['expiredGet', 'get_object', { Bucket: BUCKET, Key: 'obj.bin' }, -60],
  ['expiredPut', 'put_object', { Bucket: BUCKET, Key: 'put/expired.bin' }, -60],
  ['odd', 'get_object', { Bucket: BUCKET, Key: ODD }, 600],
  ['putTyped', 'put_object', { Bucket: BUCKET, Key: 'put/typed.txt', ContentType: 'text/plain', Metadata: { owner: 'bob' } }, 600],
  ['v4onlyPut', 'put_object', { Bucket: BUCKET, Key: 'put/v4only.bin' }, 600],
];
let presigning: Promise<Presigned> | undefined;
const presigned = () => (presigning ??= boto3Presign(bridge.s3Url, PRESIGN));

const param = (url: string, name: string) => new URL(url).searchParams.get(name) ?? '';

/** One character of a base64 signature changed. */
const flipped = (sig: string) => (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);

describe('boto3 with signature_version="s3" (header auth)', () => {
  it('creates, lists, reads and deletes through s3bridge, bucket-level calls included', async () => {
    const Bucket = 'sigv2-header';
    const steps = await runPython<Record<string, Record<string, unknown>>>('sigv2.py', {
      do: 'header-auth',
      endpoint: bridge.s3Url,
      ...DEMO,
      bucket: Bucket,
      data: data.toString('base64'),
    });
    for (const [name, result] of Object.entries(steps)) if (name !== 'get_deleted') expect(result.error, name).toBeUndefined();
    expect(steps.get).toMatchObject({ sha256: sha256(data), length: data.length, ContentType: 'application/x-test', Metadata: { owner: 'sig v2' } });
    expect(steps.get_range).toMatchObject({ sha256: sha256(data.subarray(10, 20)), length: 10, ContentRange: `bytes 10-19/${data.length}` });
    expect(steps.head).toMatchObject({ ContentLength: data.length, ETag: steps.put!.ETag });
    expect(steps.list!.Contents).toEqual(['dir/obj.bin', 'dir/sub/other.txt']);
    expect(steps.list_delimited).toMatchObject({ Contents: ['dir/obj.bin'], CommonPrefixes: ['dir/sub/'] });
    expect(steps.list_v2).toMatchObject({ Contents: ['dir/obj.bin', 'dir/sub/other.txt'], KeyCount: 2 });
    expect(steps.get_deleted!.error).toEqual({ status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.' });
    expect(steps.list_after_delete!.Contents).toEqual(['dir/obj.bin']);
    // Sub-resources (tagging, uploads, uploadId, partNumber, delete) and a signed x-amz-copy-source.
    expect(steps.copy!.CopyObjectResult).toMatchObject({ ETag: steps.put!.ETag });
    expect(steps.get_tagging!.TagSet).toEqual([{ Key: 'k', Value: 'v w' }]);
    expect((steps.list_parts!.Parts as Array<{ Size: number }>).map((p) => p.Size)).toEqual([2 * data.length, data.length]);
    expect(steps.complete!.ETag).toMatch(/^"[0-9a-f]{32}-2"$/);
    expect(steps.get_multi).toMatchObject(steps.multi_sha256!);
    expect(steps.delete_objects!.Deleted).toEqual([{ Key: 'copy/obj.bin' }, { Key: 'multi/obj.bin' }]);
    expect(steps.list_end!.Contents).toEqual(['dir/obj.bin']);
    // What moto holds, read around s3bridge.
    expect(await objectDigest(direct, Bucket, 'dir/obj.bin')).toEqual({ sha256: sha256(data), length: data.length });
    expect(await backendHas(direct, Bucket, 'dir/sub/other.txt')).toBe(false);
    // botocore sends bucket-level requests as /bucket and signs them as /bucket/ (client-quirks.md).
    const bucketLevel = seen.filter((r) => r.url.split('?')[0] === `/${Bucket}`).map((r) => r.method);
    expect(bucketLevel).toEqual(expect.arrayContaining(['PUT', 'HEAD', 'GET', 'POST']));
    expect(seen.filter((r) => r.url.startsWith(`/${Bucket}`)).every((r) => /^AWS demo:/.test(String(r.headers.authorization)))).toBe(true);
    const access = bridge.lines.filter((l) => l.bucket === Bucket && l.operation === 'ListObjects');
    expect(access.map((l) => [l.status, l.accessKeyId])).toEqual([
      [200, DEMO.accessKeyId],
      [200, DEMO.accessKeyId],
    ]);
  });
});

describe('s3cmd with signature_v2 = True (header auth dated by x-amz-date)', () => {
  it('puts, lists, gets and deletes; every request is SigV2-signed', async () => {
    const cfg = writeS3cmdConfig(join(dir, 's3cmd-v2.cfg'), DEMO, bridge.s3Url);
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('signature_v2 = False', 'signature_v2 = True'));
    const env = { ...process.env, HOME: dir };
    const src = join(dir, 's3cmd-v2.bin');
    writeFileSync(src, data);
    const s3cmdRun = (...args: string[]) => runOk(s3cmd.require(), ['-c', cfg, ...args], { env });
    await s3cmdRun('put', src, `s3://${BUCKET}/s3cmd v2/obj.bin`);
    expect((await s3cmdRun('ls', `s3://${BUCKET}/s3cmd v2/`)).stdout).toContain(`s3://${BUCKET}/s3cmd v2/obj.bin`);
    await s3cmdRun('get', `s3://${BUCKET}/s3cmd v2/obj.bin`, join(dir, 's3cmd-v2.out'));
    expect(await fileDigest(join(dir, 's3cmd-v2.out'))).toEqual({ sha256: sha256(data), length: data.length });
    expect(await objectDigest(direct, BUCKET, 's3cmd v2/obj.bin')).toEqual({ sha256: sha256(data), length: data.length });
    await s3cmdRun('del', `s3://${BUCKET}/s3cmd v2/obj.bin`);
    expect(await backendHas(direct, BUCKET, 's3cmd v2/obj.bin')).toBe(false);
    const mine = seen.filter((r) => r.url.includes(`s3cmd%20v2`));
    expect(mine.length).toBeGreaterThanOrEqual(4);
    for (const r of mine) {
      expect(r.headers.authorization).toMatch(new RegExp(`^AWS ${DEMO.accessKeyId}:[A-Za-z0-9+/]{27}=$`));
      expect(r.headers['x-amz-date']).toMatch(/^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000$/);
    }
  });
});

describe('presigned SigV2 URLs fetched with a plain HTTP client', () => {
  let urls: Presigned;
  beforeAll(async () => {
    urls = await presigned();
  });

  it('boto3 generate_presigned_url makes SigV2 URLs (AWSAccessKeyId, Signature, Expires)', () => {
    for (const url of Object.values(urls))
      expect([...new URL(url).searchParams.keys()]).toEqual(expect.arrayContaining(['AWSAccessKeyId', 'Signature', 'Expires']));
    expect(param(urls.get!, 'AWSAccessKeyId')).toBe(DEMO.accessKeyId);
  });

  it('GET serves the object byte-exact, also with a signed response-content-type sub-resource', async () => {
    const got = await send(urls.get!);
    expect(got.status).toBe(200);
    expect(sha256(got.body)).toBe(sha256(data));
    // response-content-type is part of the SigV2 resource (sigv2.md §4.2); moto ignores the override itself.
    expect(new URL(urls.getOverride!).searchParams.get('response-content-type')).toBe('text/x-override');
    const overridden = await send(urls.getOverride!);
    expect(overridden.status, overridden.text).toBe(200);
    expect(sha256(overridden.body)).toBe(sha256(data));
    const unsigned = await send(urls.getOverride!.replace('text%2Fx-override', 'text%2Fhtml'));
    expect(refusal(unsigned).code).toBe('SignatureDoesNotMatch');
  });

  it('a key with characters that must be percent-encoded verifies as the client encoded it', async () => {
    expect(new URL(urls.odd!).pathname).toBe(`/${BUCKET}/odd/a%20b%2Bc%3Dd%26%C3%BC%20%E2%82%AC.txt`);
    const got = await send(urls.odd!);
    expect([got.status, got.text]).toEqual([200, ODD]);
  });

  it('PUT stores the body, read back from moto byte-exact', async () => {
    const put = await send(urls.put!, { method: 'PUT', body: other });
    expect(put.status, put.text).toBe(200);
    expect(await objectDigest(direct, BUCKET, 'put/boto3.bin')).toEqual({ sha256: sha256(other), length: other.length });
  });

  it('PUT with a signed Content-Type and metadata (sent as query parameters by boto3) stores both; another Content-Type is refused', async () => {
    const url = urls.putTyped!;
    expect([param(url, 'content-type'), param(url, 'x-amz-meta-owner')]).toEqual(['text/plain', 'bob']);
    const wrong = await send(url, { method: 'PUT', headers: { 'content-type': 'text/html' }, body: 'typed' });
    expect(refusal(wrong).code).toBe('SignatureDoesNotMatch');
    expect(await backendHas(direct, BUCKET, 'put/typed.txt')).toBe(false);
    const put = await send(url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'typed' });
    expect(put.status, put.text).toBe(200);
    const head = await direct.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'put/typed.txt' }));
    expect([head.ContentType, head.Metadata, head.ContentLength]).toEqual(['text/plain', { owner: 'bob' }, 5]);
  });

  it('a tampered signature, key or expiry is 403 SignatureDoesNotMatch, and a tampered PUT writes nothing', async () => {
    const get = urls.get!;
    const tampered = {
      signature: withParam(get, 'Signature', flipped(param(get, 'Signature'))),
      key: get.replace('/obj.bin?', '/other.bin?'),
      expires: withParam(get, 'Expires', String(Number(param(get, 'Expires')) + 3600)),
    };
    for (const [what, url] of Object.entries(tampered)) {
      const reply = await send(url);
      expect(refusal(reply), what).toEqual({
        status: 403,
        code: 'SignatureDoesNotMatch',
        message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      });
      expect(s3Error(reply.text).elements.AWSAccessKeyId, what).toBe(DEMO.accessKeyId);
    }
    const putUrl = urls.putTampered!;
    for (const url of [withParam(putUrl, 'Signature', flipped(param(putUrl, 'Signature'))), putUrl.replace('/tampered.bin?', '/elsewhere.bin?')]) {
      const reply = await send(url, { method: 'PUT', body: other });
      expect(refusal(reply).code).toBe('SignatureDoesNotMatch');
    }
    expect(await backendHas(direct, BUCKET, 'put/tampered.bin')).toBe(false);
    expect(await backendHas(direct, BUCKET, 'put/elsewhere.bin')).toBe(false);
  });

  it('an expired URL is 403 AccessDenied "Request has expired", with Expires and ServerTime; an expired PUT writes nothing', async () => {
    const reply = await send(urls.expiredGet!);
    expect(refusal(reply)).toEqual({ status: 403, code: 'AccessDenied', message: 'Request has expired' });
    const { elements } = s3Error(reply.text);
    expect(elements.Expires).toBe(`${new Date(Number(param(urls.expiredGet!, 'Expires')) * 1000).toISOString().slice(0, 19)}Z`);
    expect(elements.ServerTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const put = await send(urls.expiredPut!, { method: 'PUT', body: other });
    expect(refusal(put)).toEqual({ status: 403, code: 'AccessDenied', message: 'Request has expired' });
    expect(await backendHas(direct, BUCKET, 'put/expired.bin')).toBe(false);
  });
});

describe('presigned URLs of the command-line clients', () => {
  it('`aws s3 presign` (aws CLI v1, botocore) makes a SigV2 URL that downloads the object', async () => {
    const env = awsEnv(DEMO, writeAwsConfig(dir));
    const { stdout } = await runOk(pyAws.require(), ['s3', 'presign', `s3://${BUCKET}/obj.bin`, '--expires-in', '300', '--endpoint-url', bridge.s3Url], {
      env,
    });
    const url = stdout.trim();
    expect(url.startsWith(`${bridge.s3Url}/${BUCKET}/obj.bin?`)).toBe(true);
    expect(param(url, 'AWSAccessKeyId')).toBe(DEMO.accessKeyId);
    const got = await send(url);
    expect(got.status).toBe(200);
    expect(sha256(got.body)).toBe(sha256(data));
    expect(refusal(await send(withParam(url, 'Signature', flipped(param(url, 'Signature')))))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
  });

  it('`s3cmd signurl` makes a SigV2 URL that downloads the object; one whose expiry has passed is refused', async () => {
    const cfg = writeS3cmdConfig(join(dir, 's3cmd.cfg'), DEMO, bridge.s3Url);
    const env = { ...process.env, HOME: dir };
    const expiry = Math.floor(Date.now() / 1000) + 300;
    const { stdout } = await runOk(s3cmd.require(), ['-c', cfg, 'signurl', `s3://${BUCKET}/obj.bin`, String(expiry)], { env });
    const url = stdout.trim();
    expect(param(url, 'AWSAccessKeyId')).toBe(DEMO.accessKeyId);
    expect(param(url, 'Expires')).toBe(String(expiry));
    const got = await send(url.replace(/^https?:\/\/[^/]+/, bridge.s3Url));
    expect(got.status, got.text).toBe(200);
    expect(sha256(got.body)).toBe(sha256(data));
    const odd = await runOk(s3cmd.require(), ['-c', cfg, 'signurl', `s3://${BUCKET}/${ODD}`, String(expiry)], { env });
    const gotOdd = await send(odd.stdout.trim().replace(/^https?:\/\/[^/]+/, bridge.s3Url));
    expect([gotOdd.status, gotOdd.text]).toEqual([200, ODD]);
    const past = await runOk(s3cmd.require(), ['-c', cfg, 'signurl', `s3://${BUCKET}/obj.bin`, String(expiry - 3600)], { env });
    const expired = await send(past.stdout.trim().replace(/^https?:\/\/[^/]+/, bridge.s3Url));
    expect(refusal(expired)).toEqual({ status: 403, code: 'AccessDenied', message: 'Request has expired' });
  });
});

describe('server.signatureV2: false', () => {
  const V4_ONLY = {
    status: 400,
    code: 'InvalidRequest',
    message: 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.',
  };

  it('refuses SigV2 presigned GET and PUT and header-signed requests with 400 InvalidRequest; nothing is written', async () => {
    // SigV2 does not sign the host: boto3's URLs for the other bridge are valid URLs for this one.
    const urls = await presigned();
    const here = (url: string) => url.replace(bridge.s3Url, v4only.s3Url);
    expect(refusal(await send(here(urls.get!)))).toEqual(V4_ONLY);
    expect(refusal(await send(here(urls.v4onlyPut!), { method: 'PUT', body: other }))).toEqual(V4_ONLY);
    // The same URLs are good on the bridge that takes SigV2.
    expect((await send(urls.get!)).status).toBe(200);
    const steps = await runPython<Record<string, { error?: unknown }>>('sigv2.py', {
      do: 'header-auth',
      endpoint: v4only.s3Url,
      ...DEMO,
      bucket: 'sigv2-refused',
      data: data.toString('base64'),
    });
    expect(steps.put!.error).toEqual(V4_ONLY);
    expect(steps.list!.error).toEqual(V4_ONLY);
    expect(await backendHas(direct, BUCKET, 'put/v4only.bin')).toBe(false);
    const buckets = await direct.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).not.toContain('sigv2-refused');
  });
});
