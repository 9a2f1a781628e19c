import { describe, expect, it } from 'vitest';
import { mapBucketNames } from '../../../src/route/alias.js';
import { authenticatedHeaders, forwardableResponseHeaders } from '../../../src/s3/headers.js';
import { headerMap } from '../../../src/parse/request.js';
import { S3Error, errorXml, backendError } from '../../../src/s3/errors.js';

describe('mapBucketNames', () => {
  it.each([
    [
      '<Error><Code>NoSuchKey</Code><BucketName>prod-photos</BucketName><Resource>/prod-photos/a/b</Resource></Error>',
      '<Error><Code>NoSuchKey</Code><BucketName>photos</BucketName><Resource>/photos/a/b</Resource></Error>',
    ],
    [
      '<ListBucketResult><Name>prod-photos</Name><Contents><Key>prod-photos</Key></Contents></ListBucketResult>',
      '<ListBucketResult><Name>photos</Name><Contents><Key>prod-photos</Key></Contents></ListBucketResult>',
    ],
    [
      '<InitiateMultipartUploadResult><Bucket>prod-photos</Bucket><Key>k</Key></InitiateMultipartUploadResult>',
      '<InitiateMultipartUploadResult><Bucket>photos</Bucket><Key>k</Key></InitiateMultipartUploadResult>',
    ],
    ['<Error><BucketName>prod-photos-2</BucketName></Error>', '<Error><BucketName>prod-photos-2</BucketName></Error>'],
    ['<Error><Resource>/prod-photosX/k</Resource></Error>', '<Error><Resource>/prod-photosX/k</Resource></Error>'],
  ])('%s', (input, output) => {
    expect(mapBucketNames(input, 'prod-photos', 'photos')).toBe(output);
  });

  it('replaces Location with the client-visible URL', () => {
    const xml =
      '<CompleteMultipartUploadResult><Location>http://backend:9000/prod-photos/k</Location><Bucket>prod-photos</Bucket></CompleteMultipartUploadResult>';
    expect(mapBucketNames(xml, 'prod-photos', 'photos', 'http://proxy/photos/k')).toBe(
      '<CompleteMultipartUploadResult><Location>http://proxy/photos/k</Location><Bucket>photos</Bucket></CompleteMultipartUploadResult>',
    );
  });
});

describe('authenticatedHeaders (security.md §4)', () => {
  const raw = [
    'Host',
    'proxy:8080',
    'Authorization',
    'AWS4-HMAC-SHA256 Credential=…',
    'X-Amz-Date',
    '20260101T000000Z',
    'X-Amz-Content-SHA256',
    'UNSIGNED-PAYLOAD',
    'X-Amz-Security-Token',
    'tok',
    'Content-Length',
    '5',
    'Connection',
    'keep-alive, X-Custom-Hop',
    'X-Custom-Hop',
    'drop me',
    'Transfer-Encoding',
    'chunked',
    'Expect',
    '100-continue',
    'amz-sdk-invocation-id',
    'x',
    'User-Agent',
    'aws-cli',
    'Range',
    'bytes=0-1',
    'If-None-Match',
    '"abc"',
    'Content-MD5',
    'md5==',
    'x-amz-meta-a',
    '1',
    'x-amz-meta-a',
    '2',
    'x-amz-checksum-crc32',
    'AAAAAA==',
    'Content-Encoding',
    'aws-chunked,gzip',
    'x-amz-decoded-content-length',
    '5',
    'Content-Type',
    'text/plain',
  ];
  const none = new Set<string>();
  it('keeps S3 semantics, drops auth, hop-by-hop and framing headers', () => {
    expect(authenticatedHeaders(headerMap(raw), none)).toEqual({
      range: 'bytes=0-1',
      'if-none-match': '"abc"',
      'content-md5': 'md5==',
      'x-amz-meta-a': '1,2',
      'x-amz-checksum-crc32': 'AAAAAA==',
      'content-encoding': 'gzip',
      'content-type': 'text/plain',
    });
  });
  it('drops Content-Encoding that was only aws-chunked', () => {
    expect(authenticatedHeaders(headerMap(['Content-Encoding', 'aws-chunked']), none)).toEqual({});
  });
  it.each([
    // header, signed?, forwarded?
    ['cookie', true, false],
    ['x-http-method-override', true, false],
    ['x-http-method-override', false, false],
    ['x-forwarded-host', true, false],
    ['forwarded', false, false],
    ['via', true, false],
    ['x-custom', false, false],
    ['x-custom', true, true],
    ['accept', false, false],
    ['cache-control', false, true],
    ['if-match', false, true],
    ['origin', false, true],
  ])('%s (signed %s) forwarded: %s', (name, signed, forwarded) => {
    const out = authenticatedHeaders({ [name]: 'v' }, new Set(signed ? [name] : []));
    expect(name in out).toBe(forwarded);
  });
  it.each([
    ['x-amz-server-side-encryption', new Set<string>()],
    ['x-amz-meta-owner', new Set<string>()],
    ['content-type', new Set(['content-type'])],
  ])('a Connection header naming %s (signed or x-amz-*) is refused', (name, signed) => {
    try {
      authenticatedHeaders({ connection: `close, ${name}`, [name]: 'v' }, signed);
      expect.fail('should throw');
    } catch (err) {
      expect((err as S3Error).code).toBe('InvalidRequest');
      expect((err as S3Error).status).toBe(400);
    }
  });
  it('drops hop-by-hop response headers', () => {
    expect(forwardableResponseHeaders({ connection: 'close', 'transfer-encoding': 'chunked', etag: '"x"', 'content-length': '3' })).toEqual({
      etag: '"x"',
      'content-length': '3',
    });
  });
});

describe('errorXml', () => {
  it('escapes values and carries request id and elements', () => {
    const xml = errorXml(new S3Error('NoSuchKey', undefined, { Key: 'a<b>&"c"' }), 'REQ1', '/b/a<b>');
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&lt;b&gt;&amp;&quot;c&quot;</Key><Resource>/b/a&lt;b&gt;</Resource><RequestId>REQ1</RequestId><HostId>REQ1</HostId></Error>',
    );
  });
  it('keeps a backend code and status as the backend said them', () => {
    const err = backendError(400, 'EntityTooSmall', 'Your proposed upload is smaller');
    expect([err.code, err.status]).toEqual(['EntityTooSmall', 400]);
    expect(backendError(500, '<script>', 'x').code).toBe('InternalError');
  });
});
