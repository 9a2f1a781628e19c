// The embedded store's Object Lock, with the JS SDK: a bucket made with it, default and explicit retention, legal holds, and deletes and retention changes it refuses, over a restart too.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectLegalHoldCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectLockConfigurationCommand,
  PutObjectRetentionCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, startTestStore, type TestStore } from '../helpers/store.js';

let store: TestStore;
let s3: S3Client;
const UNTIL = new Date('2030-01-01T00:00:00Z');

beforeAll(async () => {
  store = await startTestStore();
  s3 = store.client();
});
afterAll(() => store?.stop());

describe('Object Lock', () => {
  it('a bucket made with Object Lock is versioned for good and keeps its default retention', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'worm', ObjectLockEnabledForBucket: true }));
    expect((await s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'worm' }))).ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled' });
    expect(await failure(s3.send(new PutBucketVersioningCommand({ Bucket: 'worm', VersioningConfiguration: { Status: 'Suspended' } })))).toEqual({
      name: 'InvalidBucketState',
      status: 409,
    });
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: 'worm',
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } },
      }),
    );
    const before = Date.now();
    const put = await s3.send(new PutObjectCommand({ Bucket: 'worm', Key: 'by-default', Body: 'x' }));
    expect(put.VersionId).toMatch(/^[0-9a-f]{24}$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'worm', Key: 'by-default' }));
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    expect(head.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThanOrEqual(before + 86_400_000 - 1000);
    expect(head.ObjectLockRetainUntilDate!.getTime()).toBeLessThanOrEqual(Date.now() + 86_400_000);
  });

  it('a bucket without it refuses lock settings', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'plain' }));
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'k', Body: 'x' }));
    expect(await failure(s3.send(new GetObjectLockConfigurationCommand({ Bucket: 'plain' })))).toEqual({
      name: 'ObjectLockConfigurationNotFoundError',
      status: 404,
    });
    expect(
      await failure(s3.send(new PutObjectLockConfigurationCommand({ Bucket: 'plain', ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }))),
    ).toEqual({ name: 'InvalidBucketState', status: 409 });
    expect(
      await failure(s3.send(new PutObjectRetentionCommand({ Bucket: 'plain', Key: 'k', Retention: { Mode: 'GOVERNANCE', RetainUntilDate: UNTIL } }))),
    ).toEqual({
      name: 'InvalidRequest',
      status: 400,
    });
    expect(await failure(s3.send(new GetObjectLegalHoldCommand({ Bucket: 'plain', Key: 'k' })))).toEqual({ name: 'InvalidRequest', status: 400 });
    expect(
      await failure(
        s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'locked', Body: 'x', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: UNTIL })),
      ),
    ).toEqual({ name: 'InvalidRequest', status: 400 });
  });

  it('a locked version cannot be deleted by id (GOVERNANCE gives way to the bypass, a legal hold to nothing); a delete marker is always allowed', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'held', ObjectLockEnabledForBucket: true }));
    const v = (
      await s3.send(
        new PutObjectCommand({
          Bucket: 'held',
          Key: 'k',
          Body: 'x',
          ObjectLockMode: 'GOVERNANCE',
          ObjectLockRetainUntilDate: UNTIL,
          ObjectLockLegalHoldStatus: 'ON',
        }),
      )
    ).VersionId!;
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'held', Key: 'k' }));
    expect([head.ObjectLockMode, head.ObjectLockRetainUntilDate, head.ObjectLockLegalHoldStatus]).toEqual(['GOVERNANCE', UNTIL, 'ON']);
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: 'held', Key: 'k' }))).Retention).toEqual({ Mode: 'GOVERNANCE', RetainUntilDate: UNTIL });

    expect(await failure(s3.send(new DeleteObjectCommand({ Bucket: 'held', Key: 'k', VersionId: v, BypassGovernanceRetention: true })))).toEqual({
      name: 'AccessDenied',
      status: 403,
    });
    const multi = await s3.send(new DeleteObjectsCommand({ Bucket: 'held', Delete: { Objects: [{ Key: 'k', VersionId: v }] } }));
    expect(multi.Errors?.map((e) => [e.Key, e.Code])).toEqual([['k', 'AccessDenied']]);
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: 'held', Key: 'k', LegalHold: { Status: 'OFF' } }));
    expect((await s3.send(new GetObjectLegalHoldCommand({ Bucket: 'held', Key: 'k' }))).LegalHold).toEqual({ Status: 'OFF' });
    expect(await failure(s3.send(new DeleteObjectCommand({ Bucket: 'held', Key: 'k', VersionId: v })))).toEqual({ name: 'AccessDenied', status: 403 });

    // A delete without a version id only adds a marker: the locked version stays.
    expect((await s3.send(new DeleteObjectCommand({ Bucket: 'held', Key: 'k' }))).DeleteMarker).toBe(true);
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'held', Key: 'k', VersionId: v }))).ContentLength).toBe(1);

    // Retention: shortening needs the bypass; after a restart the lock still holds.
    const shorter = { Mode: 'GOVERNANCE' as const, RetainUntilDate: new Date('2029-01-01T00:00:00Z') };
    expect(await failure(s3.send(new PutObjectRetentionCommand({ Bucket: 'held', Key: 'k', VersionId: v, Retention: shorter })))).toEqual({
      name: 'AccessDenied',
      status: 403,
    });
    await store.stop({ keep: true });
    store = await startTestStore({ dir: store.dir });
    s3 = store.client();
    expect(await failure(s3.send(new DeleteObjectCommand({ Bucket: 'held', Key: 'k', VersionId: v })))).toEqual({ name: 'AccessDenied', status: 403 });
    await s3.send(new PutObjectRetentionCommand({ Bucket: 'held', Key: 'k', VersionId: v, Retention: shorter, BypassGovernanceRetention: true }));
    expect((await s3.send(new GetObjectRetentionCommand({ Bucket: 'held', Key: 'k', VersionId: v }))).Retention).toEqual(shorter);
    expect((await s3.send(new DeleteObjectCommand({ Bucket: 'held', Key: 'k', VersionId: v, BypassGovernanceRetention: true }))).VersionId).toBe(v);
    expect(await failure(s3.send(new HeadObjectCommand({ Bucket: 'held', Key: 'k', VersionId: v })))).toEqual({ name: 'NotFound', status: 404 });
  });

  it('COMPLIANCE gives way to nothing until it ends', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'compliance', ObjectLockEnabledForBucket: true }));
    const v = (await s3.send(new PutObjectCommand({ Bucket: 'compliance', Key: 'k', Body: 'x' }))).VersionId!;
    expect(await failure(s3.send(new GetObjectRetentionCommand({ Bucket: 'compliance', Key: 'k' })))).toEqual({
      name: 'NoSuchObjectLockConfiguration',
      status: 404,
    });
    await s3.send(new PutObjectRetentionCommand({ Bucket: 'compliance', Key: 'k', Retention: { Mode: 'COMPLIANCE', RetainUntilDate: UNTIL } }));
    expect(
      await failure(
        s3.send(
          new PutObjectRetentionCommand({
            Bucket: 'compliance',
            Key: 'k',
            Retention: { Mode: 'GOVERNANCE', RetainUntilDate: UNTIL },
            BypassGovernanceRetention: true,
          }),
        ),
      ),
    ).toEqual({ name: 'AccessDenied', status: 403 });
    expect(await failure(s3.send(new DeleteObjectCommand({ Bucket: 'compliance', Key: 'k', VersionId: v, BypassGovernanceRetention: true })))).toEqual({
      name: 'AccessDenied',
      status: 403,
    });
  });
});
