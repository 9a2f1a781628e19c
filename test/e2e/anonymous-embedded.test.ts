// End to end: a route with `anonymous: backend` in front of the embedded store. Unsigned requests reach the store unsigned, which serves them only where an ACL or the bucket policy is public, as S3 would; a refused write changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBucketCommand, GetObjectCommand, PutBucketAclCommand, PutBucketPolicyCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startBridge, tempDir, type TestBridge } from '../helpers/bridge.js';
import { refusal, send } from './helpers/http.js';

let bridge: TestBridge;
let s3: S3Client;
const url = (path: string) => `${bridge.s3Url}${path}`;

beforeAll(async () => {
  bridge = await startBridge({
    backends: [{ name: 'local', embedded: { dir: tempDir('s3bridge-anon-store-') } }],
    routes: [{ bucket: '*', backend: 'local', anonymous: 'backend' }],
  });
  s3 = bridge.client();
  await s3.send(new CreateBucketCommand({ Bucket: 'site' }));
  await s3.send(new PutObjectCommand({ Bucket: 'site', Key: 'index.html', Body: '<p>hello</p>', ContentType: 'text/html', ACL: 'public-read' }));
  await s3.send(new PutObjectCommand({ Bucket: 'site', Key: 'draft.html', Body: 'not yet' }));
}, 60_000);

afterAll(() => bridge?.close(1000));

describe('anonymous: backend, embedded store', () => {
  it('an object with a public-read ACL is served unsigned; a private one is AccessDenied', async () => {
    const got = await send(url('/site/index.html'));
    expect([got.status, got.headers['content-type'], got.text]).toEqual([200, 'text/html', '<p>hello</p>']);
    expect(refusal(await send(url('/site/draft.html')))).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(refusal(await send(url('/site?list-type=2')))).toMatchObject({ status: 403, code: 'AccessDenied' });
  });

  it('unsigned writes are refused and change nothing', async () => {
    expect(refusal(await send(url('/site/index.html'), { method: 'PUT', body: 'defaced' }))).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(refusal(await send(url('/site/draft.html'), { method: 'DELETE' }))).toMatchObject({ status: 403, code: 'AccessDenied' });
    const index = await s3.send(new GetObjectCommand({ Bucket: 'site', Key: 'index.html' }));
    expect(await index.Body!.transformToString()).toBe('<p>hello</p>');
    expect(await (await s3.send(new GetObjectCommand({ Bucket: 'site', Key: 'draft.html' }))).Body!.transformToString()).toBe('not yet');
  });

  it('a public-read bucket ACL opens the listing; a bucket policy can open a prefix', async () => {
    await s3.send(new PutBucketAclCommand({ Bucket: 'site', ACL: 'public-read' }));
    const listed = await send(url('/site?list-type=2'));
    expect(listed.status).toBe(200);
    expect([...listed.text.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1])).toEqual(['draft.html', 'index.html']);
    await s3.send(new PutObjectCommand({ Bucket: 'site', Key: 'assets/app.js', Body: 'app()' }));
    expect((await send(url('/site/assets/app.js'))).status).toBe(403);
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'site',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/assets/*' }],
        }),
      }),
    );
    const app = await send(url('/site/assets/app.js'));
    expect([app.status, app.text]).toEqual([200, 'app()']);
  });
});
