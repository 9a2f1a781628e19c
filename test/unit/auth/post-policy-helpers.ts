// Test support for the POST policy tests: hand-made policies signed the way clients sign them (SigV4 or SigV2).
import { createHmac } from 'node:crypto';
import { deriveSigningKey } from '../../../src/auth/sigv4.js';

export const AKID = 'AKIDPOSTTEST';
export const SECRET = 'post-test-secret';
export const NOW = new Date('2026-12-06T10:00:00Z');
export const DATE = '20261206T100000Z';
export const CREDENTIAL = `${AKID}/20261206/us-east-1/s3/aws4_request`;

export function policyBase64(conditions: unknown[], expiration = '2026-12-06T11:00:00.000Z'): string {
  return Buffer.from(JSON.stringify({ expiration, conditions })).toString('base64');
}

/** The SigV4 fields boto3 adds, with their conditions, around the given fields and conditions. */
export function v4Form(
  fields: Array<[string, string]>,
  conditions: unknown[],
  opts: { expiration?: string; secret?: string; credential?: string } = {},
): Array<[string, string]> {
  const credential = opts.credential ?? CREDENTIAL;
  const policy = policyBase64(
    [...conditions, { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' }, { 'x-amz-credential': credential }, { 'x-amz-date': DATE }],
    opts.expiration,
  );
  const [, date, region] = credential.split('/');
  const signature = createHmac('sha256', deriveSigningKey(opts.secret ?? SECRET, date!, region!, 's3'))
    .update(policy)
    .digest('hex');
  return [
    ...fields,
    ['x-amz-algorithm', 'AWS4-HMAC-SHA256'],
    ['x-amz-credential', credential],
    ['x-amz-date', DATE],
    ['policy', policy],
    ['x-amz-signature', signature],
  ];
}

export function v2Form(fields: Array<[string, string]>, conditions: unknown[], opts: { expiration?: string } = {}): Array<[string, string]> {
  const policy = policyBase64(conditions, opts.expiration);
  const signature = createHmac('sha1', SECRET).update(policy).digest('base64');
  return [...fields, ['AWSAccessKeyId', AKID], ['policy', policy], ['signature', signature]];
}

/** Replaces (or appends) one field of a form. */
export function setField(form: Array<[string, string]>, name: string, value: string): Array<[string, string]> {
  const i = form.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
  return i < 0 ? [...form, [name, value]] : form.map((f, j) => (j === i ? [f[0], value] : f));
}

export function withoutField(form: Array<[string, string]>, name: string): Array<[string, string]> {
  return form.filter(([n]) => n.toLowerCase() !== name.toLowerCase());
}
