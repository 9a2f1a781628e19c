// Table tests for the answer to a browser POST upload (src/s3/post-response.ts, post-object.md §9).
import { describe, expect, it } from 'vitest';
import { postLocation, postObjectAnswer, type PostOutcome } from '../../../src/s3/post-response.js';

const base: PostOutcome = {
  bucket: 'photos',
  key: 'user/a b.png',
  etag: '"9b2cf535f27731c974343645a3985328"',
  location: 'http://s3.test:9000/photos/user%2Fa%20b.png',
};

describe('postObjectAnswer', () => {
  it.each([
    ['default', {}, 204],
    ['success_action_status 204', { successActionStatus: '204' }, 204],
    ['success_action_status 200', { successActionStatus: '200' }, 200],
    ['an invalid status is the default', { successActionStatus: '302' }, 204],
    ['a redirect S3 cannot interpret is ignored', { successActionRedirect: 'not a url', successActionStatus: '200' }, 200],
    ['a non-http redirect is ignored', { successActionRedirect: 'javascript:alert(1)' }, 204],
  ] as Array<[string, Partial<PostOutcome>, number]>)('%s → %i with an empty body', (_name, extra, status) => {
    const answer = postObjectAnswer({ ...base, ...extra });
    expect(answer).toEqual({ status, headers: { etag: base.etag, location: base.location }, body: '' });
  });

  it('201 → the PostResponse document', () => {
    const answer = postObjectAnswer({ ...base, successActionStatus: '201' });
    expect(answer.status).toBe(201);
    expect(answer.headers['content-type']).toBe('application/xml');
    expect(answer.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse><Location>http://s3.test:9000/photos/user%2Fa%20b.png</Location>' +
        '<Bucket>photos</Bucket><Key>user/a b.png</Key><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></PostResponse>',
    );
  });

  it.each([
    ['plain URL', 'https://app.example/done', 'https://app.example/done?bucket=photos&key=user%2Fa%20b.png&etag=%229b2cf535f27731c974343645a3985328%22'],
    [
      'URL with a query',
      'https://app.example/done?x=1',
      'https://app.example/done?x=1&bucket=photos&key=user%2Fa%20b.png&etag=%229b2cf535f27731c974343645a3985328%22',
    ],
    [
      'URL with a fragment',
      'https://app.example/done#top',
      'https://app.example/done?bucket=photos&key=user%2Fa%20b.png&etag=%229b2cf535f27731c974343645a3985328%22#top',
    ],
  ])('success_action_redirect, %s → 303 with bucket, key, etag (over any status)', (_name, redirect, location) => {
    const answer = postObjectAnswer({ ...base, successActionRedirect: redirect, successActionStatus: '201' });
    expect(answer).toEqual({ status: 303, headers: { etag: base.etag, location }, body: '' });
  });
});

describe('postLocation', () => {
  it.each([
    ['path style', 'http://s3.test:9000', 'photos', 'user/a b.png', false, 'http://s3.test:9000/photos/user%2Fa%20b.png'],
    ['virtual-hosted', 'https://photos.s3.test/', 'photos', 'k', true, 'https://photos.s3.test/k'],
  ])('%s', (_name, origin, bucket, key, virtual, expected) => {
    expect(postLocation(origin, bucket, key, virtual)).toBe(expected);
  });
});
