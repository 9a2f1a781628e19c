import { describe, expect, it } from 'vitest';
import { Router, globToRegExp } from '../../../src/route/router.js';
import type { S3Error } from '../../../src/s3/errors.js';

const router = new Router([
  { bucket: 'photos', backend: 'aws', backendBucket: 'prod-photos' },
  { bucket: 'logs-*', backend: 'r2' },
  { bucket: 'logs-special', backend: 'aws' }, // shadowed by the glob above
  { bucket: 'b?ckup', backend: 'r2' },
  { bucket: 'mirror', backend: 'local', backendBucket: 'photos-copy' },
  { bucket: 'data-*', backend: 'local' },
]);

describe('Router', () => {
  it.each([
    ['photos', 'aws', 'prod-photos'],
    ['logs-2024', 'r2', 'logs-2024'],
    ['logs-special', 'r2', 'logs-special'],
    ['backup', 'r2', 'backup'],
    ['bickup', 'r2', 'bickup'],
    ['mirror', 'local', 'photos-copy'],
    ['data-x', 'local', 'data-x'],
  ])('%s → %s/%s (first match wins)', (bucket, backend, backendBucket) => {
    expect(router.resolve(bucket)).toEqual({ backend, backendBucket, anonymous: 'deny', cors: undefined });
    expect(router.resolve(bucket)).toEqual({ backend, backendBucket, anonymous: 'deny', cors: undefined }); // cached path
  });

  it.each(['unrouted', 'bckup', 'logs', 'prod-photos'])('%s is NoSuchBucket', (bucket) => {
    expect(router.lookup(bucket)).toBeUndefined();
    try {
      router.resolve(bucket);
      expect.fail('should throw');
    } catch (err) {
      expect((err as S3Error).code).toBe('NoSuchBucket');
      expect((err as S3Error).status).toBe(404);
      expect((err as S3Error).elements.BucketName).toBe(bucket);
    }
  });

  it.each([
    ['aws', 'prod-photos', ['photos']],
    ['r2', 'logs-1', ['logs-1']],
    ['aws', 'logs-special', []],
    ['local', 'photos-copy', ['mirror']],
    ['local', 'data-1', ['data-1']],
    ['local', 'other', []],
    ['r2', 'data-1', []],
  ])('visibleNames(%s, %s) = %j', (backend, bucket, names) => {
    expect(router.visibleNames(backend, bucket)).toEqual(names);
  });

  it('globs escape regex metacharacters', () => {
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('a.b').test('a.b')).toBe(true);
    expect(globToRegExp('*').test('anything')).toBe(true);
  });
});
