// Browser POST forms made by real clients (boto3 generate_presigned_post, SigV4 and SigV2; @aws-sdk/s3-presigned-post) verify, and fail when a field is changed (post-object.md §10).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { describe, expect, it } from 'vitest';
import { verifyPostPolicy } from '../../../src/auth/post-policy.js';
import { keyStore, rejection } from './sigv2-helpers.js';

interface Form {
  name: string;
  version: 2 | 4;
  url: string;
  fields: Record<string, string>;
}
interface Forms {
  source: string;
  now: number;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  forms: Form[];
}

const SCRIPT = fileURLToPath(new URL('../../fixtures/post-policy/boto3-forms.py', import.meta.url));
const committed = JSON.parse(readFileSync(new URL('../../fixtures/post-policy/boto3-forms.json', import.meta.url), 'utf8')) as Forms;

function fresh(): Forms | undefined {
  const run = spawnSync('python3', [SCRIPT], { encoding: 'utf8', timeout: 30_000 });
  return run.status === 0 ? (JSON.parse(run.stdout) as Forms) : undefined;
}

/** The fields a browser sends: the client's, plus what the page's policy allows it to add. */
function browserFields(form: Form): Array<[string, string]> {
  return Object.entries(form.fields);
}

function check(set: Forms): void {
  const keys = keyStore([set.accessKeyId, set.secretAccessKey]);
  const opts = { regions: [set.region], now: new Date(set.now) };
  for (const form of set.forms) {
    const fields = browserFields(form);
    const upload = verifyPostPolicy({ fields, filename: 'dir/photo.png', bucket: 'photos' }, keys, opts);
    expect(upload, form.name).toMatchObject({ version: form.version, accessKeyId: set.accessKeyId });
    expect(upload.key, form.name).toBe(form.fields.key!.replace('${filename}', 'photo.png'));

    // A form posted to another bucket, or with its key changed, is refused.
    expect(rejection(() => verifyPostPolicy({ fields, filename: 'photo.png', bucket: 'other' }, keys, opts)).code, form.name).toBe('AccessDenied');
    const moved = fields.map(([n, v]): [string, string] => [n, n === 'key' ? `../elsewhere/${v}` : v]);
    expect(rejection(() => verifyPostPolicy({ fields: moved, filename: 'photo.png', bucket: 'photos' }, keys, opts)).message, form.name).toMatch(
      /^Invalid according to Policy: Policy Condition failed: \["(eq|starts-with)", "\$key", /,
    );
  }
}

describe('boto3 generate_presigned_post', () => {
  it(`committed forms (${committed.source}, ${committed.forms.length} forms) verify`, () => {
    expect(committed.forms.filter((f) => f.version === 4).length).toBeGreaterThanOrEqual(5);
    expect(committed.forms.filter((f) => f.version === 2).length).toBeGreaterThanOrEqual(5);
    check(committed);
  });

  const live = fresh();
  it.skipIf(live === undefined)('fresh forms from the python3 boto3 on this machine verify', () => check(live!));

  it('the length range and the answer fields come through', () => {
    const form = committed.forms.find((f) => f.name === 'boto3-v4-length-range-and-status')!;
    const upload = verifyPostPolicy({ fields: browserFields(form), bucket: 'photos' }, keyStore([committed.accessKeyId, committed.secretAccessKey]), {
      regions: ['us-east-1'],
      now: new Date(committed.now),
    });
    expect(upload).toMatchObject({ lengthRange: { min: 1, max: 1048576 }, successActionStatus: '201' });
  });

  it('a boto3 form is refused once its policy expired', () => {
    const form = committed.forms[0]!;
    const later = new Date(committed.now + 16 * 60_000);
    const err = rejection(() =>
      verifyPostPolicy({ fields: browserFields(form), bucket: 'photos' }, keyStore([committed.accessKeyId, committed.secretAccessKey]), {
        regions: ['us-east-1'],
        now: later,
      }),
    );
    expect(err).toMatchObject({ code: 'AccessDenied', message: 'Invalid according to Policy: Policy expired.' });
  });
});

describe('@aws-sdk/s3-presigned-post createPresignedPost', () => {
  const credentials = { accessKeyId: 'AKIDJSPOST', secretAccessKey: 'js/post+secret' };
  const s3 = new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, credentials });
  const keys = keyStore([credentials.accessKeyId, credentials.secretAccessKey]);

  it.each([
    ['plain key', { Key: 'uploads/a.txt' }],
    ['${filename} key', { Key: 'uploads/${filename}' }],
    [
      'fields and conditions',
      {
        Key: 'img/${filename}',
        Fields: { 'Content-Type': 'image/png', acl: 'public-read', success_action_status: '201' },
        Conditions: [
          ['starts-with', '$Content-Type', 'image/'],
          ['content-length-range', 1, 5000],
        ],
      },
    ],
  ])("%s: the SDK's fields (capitalised Policy and X-Amz-*, a bucket field) verify", async (_name, params) => {
    const { fields } = await createPresignedPost(s3, { Bucket: 'photos', Expires: 600, ...params } as Parameters<typeof createPresignedPost>[1]);
    const upload = verifyPostPolicy({ fields: Object.entries(fields), filename: 'cat.png', bucket: 'photos' }, keys, {
      regions: ['us-east-1'],
      now: new Date(),
    });
    expect(upload).toMatchObject({ version: 4, accessKeyId: credentials.accessKeyId, key: params.Key.replace('${filename}', 'cat.png') });
    const tampered = Object.entries(fields).map(([n, v]): [string, string] => [
      n,
      n === 'X-Amz-Signature' ? v.replace(/^./, (c) => (c === '0' ? '1' : '0')) : v,
    ]);
    expect(rejection(() => verifyPostPolicy({ fields: tampered, bucket: 'photos' }, keys, { regions: ['us-east-1'], now: new Date() })).code).toBe(
      'SignatureDoesNotMatch',
    );
  });
});
