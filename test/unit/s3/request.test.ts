import { describe, expect, it } from 'vitest';
import { parseS3Request, splitTarget } from '../../../src/s3/request.js';
import { S3Error } from '../../../src/s3/errors.js';

const opts = { virtualHostSuffixes: ['s3.example.com', 'localhost'] };

describe('parseS3Request', () => {
  it.each([
    // method, url, host, copy, bucket, key, operation
    ['GET', '/', '127.0.0.1:8080', false, undefined, undefined, 'ListBuckets'],
    ['GET', '/photos', '127.0.0.1:8080', false, 'photos', undefined, 'ListObjects'],
    ['GET', '/photos/', '127.0.0.1:8080', false, 'photos', undefined, 'ListObjects'],
    ['GET', '/photos?list-type=2&prefix=a%2Fb', '127.0.0.1', false, 'photos', undefined, 'ListObjectsV2'],
    ['GET', '/photos/a/b.jpg', '127.0.0.1', false, 'photos', 'a/b.jpg', 'GetObject'],
    ['GET', '/photos/a%20b+c.txt', '127.0.0.1', false, 'photos', 'a b+c.txt', 'GetObject'],
    ['GET', '/photos/a//b/./c/../d', '127.0.0.1', false, 'photos', 'a//b/./c/../d', 'GetObject'],
    ['GET', '/photos/%E2%82%AC.txt', '127.0.0.1', false, 'photos', '€.txt', 'GetObject'],
    ['GET', '/photos/a%2Fb', '127.0.0.1', false, 'photos', 'a/b', 'GetObject'],
    ['HEAD', '/photos/k', '127.0.0.1', false, 'photos', 'k', 'HeadObject'],
    ['HEAD', '/photos', '127.0.0.1', false, 'photos', undefined, 'HeadBucket'],
    ['PUT', '/photos', '127.0.0.1', false, 'photos', undefined, 'CreateBucket'],
    ['DELETE', '/photos', '127.0.0.1', false, 'photos', undefined, 'DeleteBucket'],
    ['PUT', '/photos/k', '127.0.0.1', false, 'photos', 'k', 'PutObject'],
    ['PUT', '/photos/k', '127.0.0.1', true, 'photos', 'k', 'CopyObject'],
    ['PUT', '/photos/k?partNumber=1&uploadId=abc', '127.0.0.1', false, 'photos', 'k', 'UploadPart'],
    ['PUT', '/photos/k?partNumber=1&uploadId=abc', '127.0.0.1', true, 'photos', 'k', 'UploadPartCopy'],
    ['POST', '/photos/k?uploads', '127.0.0.1', false, 'photos', 'k', 'CreateMultipartUpload'],
    ['POST', '/photos/k?uploads=', '127.0.0.1', false, 'photos', 'k', 'CreateMultipartUpload'],
    ['POST', '/photos/k?uploadId=abc', '127.0.0.1', false, 'photos', 'k', 'CompleteMultipartUpload'],
    ['DELETE', '/photos/k?uploadId=abc', '127.0.0.1', false, 'photos', 'k', 'AbortMultipartUpload'],
    ['GET', '/photos/k?uploadId=abc', '127.0.0.1', false, 'photos', 'k', 'ListParts'],
    ['GET', '/photos?uploads', '127.0.0.1', false, 'photos', undefined, 'ListMultipartUploads'],
    ['GET', '/photos?versions', '127.0.0.1', false, 'photos', undefined, 'ListObjectVersions'],
    ['POST', '/photos?delete', '127.0.0.1', false, 'photos', undefined, 'DeleteObjects'],
    ['DELETE', '/photos/k', '127.0.0.1', false, 'photos', 'k', 'DeleteObject'],
    ['GET', '/photos/k?tagging', '127.0.0.1', false, 'photos', 'k', 'GetObjectTagging'],
    ['PUT', '/photos/k?tagging', '127.0.0.1', false, 'photos', 'k', 'PutObjectTagging'],
    ['DELETE', '/photos/k?tagging', '127.0.0.1', false, 'photos', 'k', 'DeleteObjectTagging'],
    ['GET', '/photos?tagging', '127.0.0.1', false, 'photos', undefined, 'GetBucketTagging'],
    ['GET', '/photos?versioning', '127.0.0.1', false, 'photos', undefined, 'GetBucketVersioning'],
    ['PUT', '/photos?versioning', '127.0.0.1', false, 'photos', undefined, 'PutBucketVersioning'],
    ['GET', '/photos?location', '127.0.0.1', false, 'photos', undefined, 'GetBucketLocation'],
    ['GET', '/photos?policy', '127.0.0.1', false, 'photos', undefined, 'GetBucketPolicy'],
    ['GET', '/photos?policyStatus', '127.0.0.1', false, 'photos', undefined, 'GetBucketPolicyStatus'],
    ['PUT', '/photos?lifecycle', '127.0.0.1', false, 'photos', undefined, 'PutBucketLifecycleConfiguration'],
    ['GET', '/photos/k?acl', '127.0.0.1', false, 'photos', 'k', 'GetObjectAcl'],
    ['GET', '/photos/k?attributes', '127.0.0.1', false, 'photos', 'k', 'GetObjectAttributes'],
    ['POST', '/photos/k?restore', '127.0.0.1', false, 'photos', 'k', 'RestoreObject'],
    ['PATCH', '/photos/k', '127.0.0.1', false, 'photos', 'k', 'Unknown'],
    ['POST', '/photos/k', '127.0.0.1', false, 'photos', 'k', 'Unknown'],
    // virtual-hosted style
    ['GET', '/a/b.jpg', 'photos.s3.example.com', false, 'photos', 'a/b.jpg', 'GetObject'],
    ['GET', '/', 'photos.s3.example.com:8080', false, 'photos', undefined, 'ListObjects'],
    ['GET', '/', 'photos.localhost:8080', false, 'photos', undefined, 'ListObjects'],
    ['GET', '/', 's3.example.com', false, undefined, undefined, 'ListBuckets'],
    ['GET', '/photos/k', 'other.host', false, 'photos', 'k', 'GetObject'],
    // absolute-form request target
    ['GET', 'http://127.0.0.1:8080/photos/k?x=1', '127.0.0.1:8080', false, 'photos', 'k', 'GetObject'],
  ])('%s %s (Host %s, copy %s) → %s / %s / %s', (method, url, host, copy, bucket, key, operation) => {
    const r = parseS3Request(method, url, host, copy, opts);
    expect(r.bucket).toBe(bucket);
    expect(r.key).toBe(key);
    expect(r.operation).toBe(operation);
  });

  it('keeps the raw path and query exactly as received', () => {
    const r = parseS3Request('GET', '/b/test$file.text?prefix=a+b&x=%2B', 'h', false, opts);
    expect(r.rawPath).toBe('/b/test$file.text');
    expect(r.rawQuery).toBe('prefix=a+b&x=%2B');
    expect(r.query.get('prefix')).toBe('a b');
    expect(r.query.get('x')).toBe('+');
  });

  it('keeps repeated query parameters', () => {
    const r = parseS3Request('GET', '/b?a=1&a=2&b', 'h', false, opts);
    expect(r.queryPairs).toEqual([['a', '1'], ['a', '2'], ['b', '']]);
    expect(r.query.get('a')).toBe('1');
  });

  it.each([
    ['/b/%zz', 'InvalidURI'],
    ['/b/%E2%82', 'InvalidURI'],
    ['/b/k?x=%G0', 'InvalidURI'],
    ['*', 'InvalidURI'],
    ['/bad%20bucket/k', 'InvalidBucketName'],
    ['/-bucket/k', 'InvalidBucketName'],
  ])('%s → %s', (url, code) => {
    try {
      parseS3Request('GET', url, 'h', false, opts);
      expect.fail('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(S3Error);
      expect((err as S3Error).code).toBe(code);
      expect((err as S3Error).status).toBe(400);
    }
  });
});

describe('splitTarget', () => {
  it('splits at the first "?" only', () => {
    expect(splitTarget('/b/k?a=1?b=2')).toEqual({ rawPath: '/b/k', rawQuery: 'a=1?b=2' });
    expect(splitTarget('/b/k')).toEqual({ rawPath: '/b/k', rawQuery: '' });
    expect(splitTarget('https://h:1?x')).toEqual({ rawPath: '/', rawQuery: 'x' });
  });
});
