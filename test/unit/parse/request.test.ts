import { describe, expect, it } from 'vitest';
import { parseS3Request as parseRaw, splitTarget } from '../../../src/parse/request.js';
import { S3Error } from '../../../src/s3/errors.js';

const opts = { virtualHostSuffixes: ['s3.example.com', 'localhost'] };

/** The old call shape of these tables: method, url, Host, whether an x-amz-copy-source header is sent. */
function parseS3Request(method: string, url: string, host: string | undefined, copy: boolean, o = opts) {
  const rawHeaders = [...(host ? ['Host', host] : []), ...(copy ? ['x-amz-copy-source', 'src/k'] : [])];
  return parseRaw({ method, url, rawHeaders }, o);
}

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
    const r = parseS3Request('GET', '/b?prefix=a+b&delimiter=%2B', 'h', false, opts);
    expect(r.rawPath).toBe('/b');
    expect(r.rawQuery).toBe('prefix=a+b&delimiter=%2B');
    expect(r.query.get('prefix')).toBe('a b');
    expect(r.query.get('delimiter')).toBe('+');
  });

  it("forwards only the operation's subresources and parameters, in wire order", () => {
    const r = parseS3Request('GET', '/b?prefix=1&foo=x&foo=y&x-id=ListObjects&X-Amz-Date=1&list-type=2', 'h', false, opts);
    expect(r.operation).toBe('ListObjectsV2');
    expect(r.params).toEqual([
      ['prefix', '1'],
      ['list-type', '2'],
    ]);
    expect(r.query.get('prefix')).toBe('1');
  });

  // Stores disagree on which of several values counts; s3rver joins them, and "1,../../x" became a file path.
  it.each([
    ['/b?prefix=1&prefix=2', 'prefix'],
    ['/b/k?partNumber=1&partNumber=..%2F..%2Fx&uploadId=u', 'partNumber'],
    ['/b/k?uploadId=u&partNumber=1&uploadId=..%2Fx', 'uploadId'],
    ['/b/k?versionId=v&versionId=v', 'versionId'],
    ['/b?uploads&uploads', 'uploads'],
  ])('refuses a repeated operation parameter: %s', (url, name) => {
    try {
      parseS3Request(url.includes('partNumber') ? 'PUT' : 'GET', url, 'h', false, opts);
      expect.fail('should throw');
    } catch (err) {
      expect(err).toBeInstanceOf(S3Error);
      expect((err as S3Error).code).toBe('InvalidArgument');
      expect((err as S3Error).elements.ArgumentName).toBe(name);
    }
  });

  it.each([
    ['/b/%zz', 'InvalidURI'],
    ['/b/%E2%82', 'InvalidURI'],
    ['/b/k?x=%G0', 'InvalidURI'],
    ['*', 'InvalidURI'],
    ['/bad%20bucket/k', 'InvalidBucketName'],
    ['/-bucket/k', 'InvalidBucketName'],
    ['/a%2Fb/k', 'InvalidBucketName'],
    ['/a%5Cb/k', 'InvalidBucketName'],
    ['/%2E%2E/k', 'InvalidBucketName'],
    ['//emb-private/secret.txt', 'InvalidURI'],
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

function refusal(fn: () => unknown): { code: string; status: number } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(S3Error);
    return { code: (err as S3Error).code, status: (err as S3Error).status };
  }
}

describe('strict classification: shapes that are no S3 operation are refused (security.md §2.2)', () => {
  it.each([
    // method, url, copy header, code, status
    ['PATCH', '/photos/k', false, 'MethodNotAllowed', 405],
    ['TRACE', '/photos/k', false, 'MethodNotAllowed', 405],
    ['CONNECT', '/photos/k', false, 'MethodNotAllowed', 405],
    ['POST', '/photos/k', false, 'MethodNotAllowed', 405],
    ['DELETE', '/', false, 'MethodNotAllowed', 405],
    ['PUT', '/', false, 'MethodNotAllowed', 405],
    ['POST', '/', false, 'MethodNotAllowed', 405],
    ['POST', '/photos/k?select&uploads', false, 'InvalidRequest', 400],
    ['POST', '/photos/k?select&uploadId=u', false, 'InvalidRequest', 400],
    ['GET', '/photos/k?acl&tagging', false, 'InvalidRequest', 400],
    ['GET', '/photos?versions&uploads', false, 'InvalidRequest', 400],
    ['POST', '/photos/k?select', false, 'InvalidRequest', 400],
    ['PUT', '/photos/k?renameObject', false, 'NotImplemented', 501],
    ['GET', '/photos?session', false, 'NotImplemented', 501],
    ['PUT', '/photos/k?attributes', true, 'MethodNotAllowed', 405],
    ['PUT', '/photos/k?tagging', true, 'InvalidRequest', 400],
    ['PUT', '/photos/k?acl', true, 'InvalidRequest', 400],
    ['POST', '/photos/k?uploads', true, 'InvalidRequest', 400],
    ['POST', '/photos/k?uploadId=u', true, 'InvalidRequest', 400],
    ['PUT', '/photos?tagging', true, 'InvalidRequest', 400],
    ['GET', '/photos/k', true, 'InvalidRequest', 400],
    // The two listings share a shape; picking one must not let a copy source through (it was forwarded, unchecked).
    ['GET', '/photos', true, 'InvalidRequest', 400],
    ['GET', '/photos?list-type=2', true, 'InvalidRequest', 400],
    ['PUT', '/photos/k?uploadId=u', false, 'InvalidRequest', 400],
    ['POST', '/photos/k?acl', false, 'MethodNotAllowed', 405],
    ['DELETE', '/photos?location', false, 'MethodNotAllowed', 405],
  ])('%s %s (copy source %s) → %s', (method, url, copy, code, status) => {
    expect(refusal(() => parseS3Request(method, url, '127.0.0.1', copy))).toEqual({ code, status });
  });

  it('a copy source in a presigned query is a copy source', () => {
    const r = parseRaw(
      { method: 'PUT', url: '/t1-dst/x?x-amz-copy-source=zz-private%2Fsecret.txt&X-Amz-Algorithm=AWS4-HMAC-SHA256', rawHeaders: ['Host', 'h'] },
      opts,
    );
    expect(r.operation).toBe('CopyObject');
    expect(r.copySource).toEqual({ bucket: 'zz-private', key: 'secret.txt' });
    expect(r.params).toEqual([]);
  });

  it('a copy source in the query on an operation that cannot copy is refused', () => {
    expect(refusal(() => parseRaw({ method: 'PUT', url: '/b/x?tagging&x-amz-copy-source=o%2Fk', rawHeaders: [] }, opts))).toEqual({
      code: 'InvalidRequest',
      status: 400,
    });
  });

  it('a query value that contradicts a header of the same name is refused', () => {
    expect(refusal(() => parseRaw({ method: 'PUT', url: '/b/x?x-amz-copy-source=a%2Fk', rawHeaders: ['x-amz-copy-source', 'b/k'] }, opts))).toEqual({
      code: 'InvalidArgument',
      status: 400,
    });
  });

  it.each([
    ['/b/k?uploadId=..%2F..%2Fother&partNumber=1', 'NoSuchUpload', 404],
    ['/b/k?uploadId=%2Fetc%2Fpasswd&partNumber=1', 'NoSuchUpload', 404],
    ['/b/k?uploadId=a%5Cb&partNumber=1', 'NoSuchUpload', 404],
    ['/b/k?uploadId=a%00b&partNumber=1', 'NoSuchUpload', 404],
    ['/b/k?uploadId=u&partNumber=..%2F1', 'InvalidArgument', 400],
    ['/b/k?uploadId=u&partNumber=0', 'InvalidArgument', 400],
    ['/b/k?uploadId=u&partNumber=10001', 'InvalidArgument', 400],
    ['/b/k?uploadId=u&partNumber=1e3', 'InvalidArgument', 400],
  ])('PUT %s → %s', (url, code, status) => {
    expect(refusal(() => parseS3Request('PUT', url, 'h', false))).toEqual({ code, status });
  });

  it.each([
    ['/b/k?versionId=..%2F..%2Fx', 'InvalidArgument'],
    ['/b/k?versionId=%2Fabs', 'InvalidArgument'],
    ['/b/k?versionId=', 'InvalidArgument'],
  ])('GET %s → %s', (url, code) => {
    expect(refusal(() => parseS3Request('GET', url, 'h', false))?.code).toBe(code);
  });

  it.each([
    ['zz%2F..%2Fother/k', 'InvalidArgument'],
    ['a%5Cb/k', 'InvalidArgument'],
    ['src/k?versionId=..%2Fx', 'InvalidArgument'],
  ])('copy source %s → %s', (source, code) => {
    expect(refusal(() => parseRaw({ method: 'PUT', url: '/b/k', rawHeaders: ['x-amz-copy-source', source] }, opts))?.code).toBe(code);
  });

  it.each(['bytes=0-1,3-4', 'bytes=5-1', 'bytes=-5', 'bytes=1-'])('an UploadPartCopy with copy-source-range %s is refused before any backend call', (range) => {
    const r = refusal(() =>
      parseRaw({ method: 'PUT', url: '/b/k?partNumber=1&uploadId=u', rawHeaders: ['x-amz-copy-source', 'src/k', 'x-amz-copy-source-range', range] }, opts),
    );
    expect(r).toEqual({ code: 'InvalidArgument', status: 400 });
  });

  it('unknown parameters are not forwarded, whatever they look like', () => {
    const r = parseS3Request('GET', '/b/k?events&lambdaArn=x&versionId=v1&response-content-type=a%2Fb&x-id=GetObject', 'h', false);
    expect(r.operation).toBe('GetObject');
    expect(r.params).toEqual([
      ['versionId', 'v1'],
      ['response-content-type', 'a/b'],
    ]);
  });
});

describe('splitTarget', () => {
  it('splits at the first "?" only', () => {
    expect(splitTarget('/b/k?a=1?b=2')).toEqual({ rawPath: '/b/k', rawQuery: 'a=1?b=2' });
    expect(splitTarget('/b/k')).toEqual({ rawPath: '/b/k', rawQuery: '' });
    expect(splitTarget('https://h:1?x')).toEqual({ rawPath: '/', rawQuery: 'x' });
  });
});
