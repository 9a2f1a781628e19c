// The embedded store's bucket configurations (kept, given back, kept over a restart) and its anonymous access: unsigned requests run only where a public ACL or bucket policy lets everyone, and nothing changes otherwise.
import {
  CreateBucketCommand,
  DeleteBucketEncryptionCommand,
  DeleteBucketLifecycleCommand,
  DeleteBucketPolicyCommand,
  DeleteBucketTaggingCommand,
  GetBucketCorsCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLoggingCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketTaggingCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  GetPublicAccessBlockCommand,
  PutBucketAclCommand,
  PutBucketCorsCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, tag, type RawOptions } from '../helpers/store-raw.js';
import { failure, startTestStore, type TestStore } from '../helpers/store.js';

let store: TestStore;
let s3: S3Client;
const anon = (opts: Omit<RawOptions, 'sign'>) => raw(store.endpoint, store, { ...opts, sign: false });
const signed = (opts: RawOptions) => raw(store.endpoint, store, opts);

beforeAll(async () => {
  store = await startTestStore();
  s3 = store.client();
});
afterAll(() => store?.stop());

describe('bucket configurations', () => {
  it('each is NoSuch… until set, then given back, and gone after its delete', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'conf' }));
    const Bucket = 'conf';
    expect(await failure(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })))).toEqual({ name: 'NoSuchLifecycleConfiguration', status: 404 });
    expect(await failure(s3.send(new GetBucketPolicyCommand({ Bucket })))).toEqual({ name: 'NoSuchBucketPolicy', status: 404 });
    expect(await failure(s3.send(new GetBucketCorsCommand({ Bucket })))).toEqual({ name: 'NoSuchCORSConfiguration', status: 404 });
    expect(await failure(s3.send(new GetBucketTaggingCommand({ Bucket })))).toEqual({ name: 'NoSuchTagSet', status: 404 });
    expect(await failure(s3.send(new GetBucketEncryptionCommand({ Bucket })))).toEqual({
      name: 'ServerSideEncryptionConfigurationNotFoundError',
      status: 404,
    });
    expect(await failure(s3.send(new GetPublicAccessBlockCommand({ Bucket })))).toEqual({ name: 'NoSuchPublicAccessBlockConfiguration', status: 404 });

    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket,
        LifecycleConfiguration: { Rules: [{ ID: 'old', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } }] },
      }),
    );
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:DeleteBucket', Resource: 'arn:aws:s3:::conf' }],
    });
    await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: policy }));
    await s3.send(
      new PutBucketCorsCommand({ Bucket, CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['https://example.com'] }] } }),
    );
    await s3.send(new PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: [{ Key: 'team', Value: 'storage' }] } }));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      }),
    );
    await s3.send(new PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true } }));

    const check = async (client: S3Client) => {
      expect((await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules).toEqual([
        { ID: 'old', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } },
      ]);
      expect((await client.send(new GetBucketPolicyCommand({ Bucket }))).Policy).toBe(policy);
      expect((await client.send(new GetBucketCorsCommand({ Bucket }))).CORSRules).toEqual([
        { AllowedMethods: ['GET'], AllowedOrigins: ['https://example.com'] },
      ]);
      expect((await client.send(new GetBucketTaggingCommand({ Bucket }))).TagSet).toEqual([{ Key: 'team', Value: 'storage' }]);
      expect(
        (await client.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
          ?.SSEAlgorithm,
      ).toBe('AES256');
      expect((await client.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true });
    };
    await check(s3);
    // bucket.json holds them: a restart keeps them.
    await store.stop({ keep: true });
    const again = await startTestStore({ dir: store.dir });
    try {
      await check(again.client());
    } finally {
      await again.stop({ keep: true });
    }
    store = await startTestStore({ dir: store.dir });
    s3 = store.client();

    await s3.send(new DeleteBucketLifecycleCommand({ Bucket }));
    await s3.send(new DeleteBucketPolicyCommand({ Bucket }));
    await s3.send(new DeleteBucketTaggingCommand({ Bucket }));
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket }));
    expect(await failure(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket })))).toEqual({ name: 'NoSuchLifecycleConfiguration', status: 404 });
    expect(await failure(s3.send(new GetBucketPolicyCommand({ Bucket })))).toEqual({ name: 'NoSuchBucketPolicy', status: 404 });
    expect(await failure(s3.send(new GetBucketTaggingCommand({ Bucket })))).toEqual({ name: 'NoSuchTagSet', status: 404 });
    expect((await s3.send(new GetBucketCorsCommand({ Bucket }))).CORSRules).toHaveLength(1);
  });

  it('a lifecycle expiration rule shows as x-amz-expiration on PUT, GET and HEAD of the objects it covers (no rule is ever run)', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'expiring' }));
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: 'expiring',
        LifecycleConfiguration: { Rules: [{ ID: 'tmp-7d', Status: 'Enabled', Filter: { Prefix: 'tmp/' }, Expiration: { Days: 7 } }] },
      }),
    );
    const put = await signed({ method: 'PUT', path: '/expiring/tmp/a', body: 'x' });
    const expected = (ms: number) => `expiry-date="${new Date(Math.ceil((ms + 7 * 86_400_000) / 86_400_000) * 86_400_000).toUTCString()}", rule-id="tmp-7d"`;
    const lastModified = Date.parse(String((await signed({ method: 'HEAD', path: '/expiring/tmp/a' })).headers['last-modified']));
    // Last-Modified has whole seconds; the rounding to midnight makes the header the same.
    expect(put.headers['x-amz-expiration']).toBe(expected(lastModified));
    expect((await signed({ method: 'HEAD', path: '/expiring/tmp/a' })).headers['x-amz-expiration']).toBe(expected(lastModified));
    expect((await signed({ method: 'GET', path: '/expiring/tmp/a' })).headers['x-amz-expiration']).toBe(expected(lastModified));
    await s3.send(new PutObjectCommand({ Bucket: 'expiring', Key: 'keep/b', Body: 'x' }));
    expect((await signed({ method: 'HEAD', path: '/expiring/keep/b' })).headers['x-amz-expiration']).toBeUndefined();
  });

  it.each<[string, () => Promise<unknown>, string, number]>([
    [
      'a lifecycle rule expiring after 0 days',
      () =>
        s3.send(
          new PutBucketLifecycleConfigurationCommand({
            Bucket: 'conf',
            LifecycleConfiguration: { Rules: [{ ID: 'r', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 0 } }] },
          }),
        ),
      'InvalidArgument',
      400,
    ],
    ['a policy that is not JSON', () => s3.send(new PutBucketPolicyCommand({ Bucket: 'conf', Policy: 'allow everything' })), 'MalformedPolicy', 400],
    [
      'a configuration of a bucket that does not exist',
      () => s3.send(new PutBucketTaggingCommand({ Bucket: 'no-such-bucket', Tagging: { TagSet: [] } })),
      'NoSuchBucket',
      404,
    ],
  ])('%s is refused (%s) and changes nothing', async (_what, call, name, status) => {
    const before = (await s3.send(new GetBucketCorsCommand({ Bucket: 'conf' }))).CORSRules;
    expect(await failure(call())).toEqual({ name, status });
    expect(await failure(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'conf' })))).toEqual({
      name: 'NoSuchLifecycleConfiguration',
      status: 404,
    });
    expect(await failure(s3.send(new GetBucketPolicyCommand({ Bucket: 'conf' })))).toEqual({ name: 'NoSuchBucketPolicy', status: 404 });
    expect((await s3.send(new GetBucketCorsCommand({ Bucket: 'conf' }))).CORSRules).toEqual(before);
  });

  it("a bucket policy's Deny for everyone applies to the owner's signed requests too, but never to the policy itself", async () => {
    const Bucket = 'deny-plain';
    await s3.send(new CreateBucketCommand({ Bucket }));
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyUnencryptedUploads',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:PutObject',
          Resource: `arn:aws:s3:::${Bucket}/*`,
          Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'aws:kms' } },
        },
        // Only a source IP would decide this one: the store cannot know it, so it does not lock the owner out.
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${Bucket}/*`,
          Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } },
        },
        { Effect: 'Deny', Principal: '*', Action: ['s3:DeleteBucketPolicy', 's3:PutBucketPolicy', 's3:GetBucketPolicy'], Resource: `arn:aws:s3:::${Bucket}` },
      ],
    });
    await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: policy }));
    expect(await failure(s3.send(new PutObjectCommand({ Bucket, Key: 'plain', Body: 'x' })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await failure(s3.send(new PutObjectCommand({ Bucket, Key: 'aes', Body: 'x', ServerSideEncryption: 'AES256' })))).toEqual({
      name: 'AccessDenied',
      status: 403,
    });
    await s3.send(new PutObjectCommand({ Bucket, Key: 'kms', Body: 'x', ServerSideEncryption: 'aws:kms' }));
    expect((await signed({ method: 'HEAD', path: `/${Bucket}/plain` })).status).toBe(404);
    expect((await signed({ method: 'GET', path: `/${Bucket}/kms` })).status).toBe(200);
    // The owner can always read and change the policy that denies it.
    expect((await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy).toBe(policy);
    await s3.send(new DeleteBucketPolicyCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'plain', Body: 'x' }));
  });

  it('GetBucketPolicyStatus: NoSuchBucketPolicy without a policy, IsPublic for an unconditional Allow to everyone', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'status' }));
    expect(await failure(s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'status' })))).toEqual({ name: 'NoSuchBucketPolicy', status: 404 });
    const policy = (extra: object) =>
      JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::status/*', ...extra }] });
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'status', Policy: policy({}) }));
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'status' }))).PolicyStatus).toEqual({ IsPublic: true });
    await s3.send(new PutBucketPolicyCommand({ Bucket: 'status', Policy: policy({ Principal: { AWS: 'arn:aws:iam::123456789012:root' } }) }));
    expect((await s3.send(new GetBucketPolicyStatusCommand({ Bucket: 'status' }))).PolicyStatus).toEqual({ IsPublic: false });
  });

  it('logging answers the empty status S3 gives a bucket without one; Object Lock is absent from every bucket', async () => {
    expect((await s3.send(new GetBucketLoggingCommand({ Bucket: 'conf' }))).LoggingEnabled).toBeUndefined();
    expect(await failure(s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'conf' })))).toEqual({
      name: 'ObjectLockConfigurationNotFoundError',
      status: 404,
    });
    await s3.send(new PutObjectCommand({ Bucket: 'conf', Key: 'k', Body: 'x' }));
    expect(await failure(s3.send(new GetObjectRetentionCommand({ Bucket: 'conf', Key: 'k' })))).toEqual({ name: 'InvalidRequest', status: 400 });
  });
});

describe('anonymous requests', () => {
  const ALL_USERS = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"';
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'private-b' }));
    await s3.send(new PutObjectCommand({ Bucket: 'private-b', Key: 'secret', Body: 'private bytes' }));
    await s3.send(new PutObjectCommand({ Bucket: 'private-b', Key: 'shared', Body: 'public bytes', ACL: 'public-read' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'listable', ACL: 'public-read' }));
    await s3.send(new PutObjectCommand({ Bucket: 'listable', Key: 'private-in-public', Body: 'x' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'dropbox' }));
    await s3.send(new PutBucketAclCommand({ Bucket: 'dropbox', GrantWrite: ALL_USERS }));
    await s3.send(new CreateBucketCommand({ Bucket: 'by-policy' }));
    await s3.send(new PutObjectCommand({ Bucket: 'by-policy', Key: 'pub/a', Body: 'policy public' }));
    await s3.send(new PutObjectCommand({ Bucket: 'by-policy', Key: 'priv/a', Body: 'x', ACL: 'public-read' }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: 'by-policy',
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::by-policy/pub/*' },
            { Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::by-policy/priv/*' },
            {
              Effect: 'Allow',
              Principal: '*',
              Action: 's3:ListBucket',
              Resource: 'arn:aws:s3:::by-policy',
              Condition: { StringLike: { 's3:prefix': 'pub/' } },
            },
          ],
        }),
      }),
    );
  });

  it.each<[string, string, string, number, string?]>([
    ['GET', '/private-b/shared', 'an object with a public-read ACL', 200, 'public bytes'],
    ['HEAD', '/private-b/shared', 'its HEAD', 200],
    ['GET', '/private-b/shared?acl', 'its ACL (READ does not grant READ_ACP)', 403],
    ['GET', '/private-b/secret', 'a private object', 403],
    ['GET', '/private-b/missing', 'a missing object in a bucket nobody may list', 403],
    ['GET', '/private-b', 'a private bucket listing', 403],
    ['GET', '/listable?list-type=2', 'a public-read bucket listing', 200, 'private-in-public'],
    ['GET', '/listable/missing', 'a missing object in a listable bucket', 404],
    ['GET', '/listable/private-in-public', 'a private object in a public bucket', 403],
    ['GET', '/no-such-bucket/k', 'a bucket that does not exist', 404],
    ['GET', '/', 'ListBuckets', 403],
    ['GET', '/by-policy/pub/a', 'an object a policy makes public', 200, 'policy public'],
    ['GET', '/by-policy/priv/a', 'an object whose public ACL a policy Deny overrides', 403],
    ['GET', '/by-policy?prefix=pub/', 'a listing its Condition (s3:prefix) allows', 200, 'pub/a'],
    ['GET', '/by-policy?prefix=priv/', 'a listing its Condition does not allow', 403],
    ['GET', '/private-b?policy', 'any configuration', 403],
  ])('%s %s (%s) → %d', async (method, path, _what, status, body) => {
    const r = await anon({ method, path });
    expect(r.status).toBe(status);
    if (status >= 400 && method !== 'HEAD')
      expect(tag(r.text, 'Code')).toBe(status === 403 ? 'AccessDenied' : path.startsWith('/no-such') ? 'NoSuchBucket' : 'NoSuchKey');
    if (body !== undefined) expect(r.text).toContain(body);
  });

  it('writes need the bucket to grant everyone WRITE; a refused one writes nothing', async () => {
    expect((await anon({ method: 'PUT', path: '/private-b/anon', body: 'x' })).status).toBe(403);
    expect((await anon({ method: 'PUT', path: '/listable/anon', body: 'x' })).status).toBe(403);
    expect((await anon({ method: 'DELETE', path: '/private-b/secret' })).status).toBe(403);
    expect((await anon({ method: 'PUT', path: '/private-b/shared?acl', headers: { 'x-amz-acl': 'public-read-write' } })).status).toBe(403);
    expect((await signed({ method: 'HEAD', path: '/private-b/anon' })).status).toBe(404);
    expect((await signed({ method: 'GET', path: '/private-b/secret' })).text).toBe('private bytes');
    expect((await signed({ method: 'GET', path: '/listable/anon' })).status).toBe(404);

    const put = await anon({ method: 'PUT', path: '/dropbox/drop', body: 'dropped' });
    expect(put.status).toBe(200);
    expect((await signed({ method: 'GET', path: '/dropbox/drop' })).text).toBe('dropped');
    // WRITE on the bucket is not READ on what was written there.
    expect((await anon({ method: 'GET', path: '/dropbox/drop' })).status).toBe(403);
  });

  it('making an object private again takes its public read away', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'private-b', Key: 'flip', Body: 'x', ACL: 'public-read' }));
    expect((await anon({ method: 'GET', path: '/private-b/flip' })).status).toBe(200);
    await s3.send(new PutObjectAclCommand({ Bucket: 'private-b', Key: 'flip', ACL: 'private' }));
    expect((await anon({ method: 'GET', path: '/private-b/flip' })).status).toBe(403);
  });

  it('Block Public Access: public ACLs and policies refused on write (signed too), ignored on read', async () => {
    const Bucket = 'blocked';
    await s3.send(new CreateBucketCommand({ Bucket }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'was-public', Body: 'x', ACL: 'public-read' }));
    const publicPolicy = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${Bucket}/*` }] });
    await s3.send(new PutBucketPolicyCommand({ Bucket, Policy: publicPolicy }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'by-policy', Body: 'y' }));
    expect((await anon({ method: 'GET', path: `/${Bucket}/was-public` })).status).toBe(200);
    expect((await anon({ method: 'GET', path: `/${Bucket}/by-policy` })).status).toBe(200);

    await s3.send(
      new PutPublicAccessBlockCommand({
        Bucket,
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
      }),
    );
    expect(await failure(s3.send(new PutObjectCommand({ Bucket, Key: 'new-public', Body: 'x', ACL: 'public-read' })))).toEqual({
      name: 'AccessDenied',
      status: 403,
    });
    expect(await failure(s3.send(new PutObjectAclCommand({ Bucket, Key: 'by-policy', ACL: 'public-read' })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await failure(s3.send(new PutBucketAclCommand({ Bucket, GrantRead: ALL_USERS })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await failure(s3.send(new PutBucketPolicyCommand({ Bucket, Policy: publicPolicy })))).toEqual({ name: 'AccessDenied', status: 403 });
    expect((await signed({ method: 'HEAD', path: `/${Bucket}/new-public` })).status).toBe(404);
    // What was public before is private now.
    expect((await anon({ method: 'GET', path: `/${Bucket}/was-public` })).status).toBe(403);
    expect((await anon({ method: 'GET', path: `/${Bucket}/by-policy` })).status).toBe(403);
    // A private ACL is still fine.
    await s3.send(new PutObjectCommand({ Bucket, Key: 'private', Body: 'z', ACL: 'private' }));
  });
});
