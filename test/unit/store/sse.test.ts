// The embedded store's server-side encryption rules (src/store/sse.ts): SSE-S3/KMS headers, SSE-C keys, the key checks of reads and parts, the answers' headers.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { S3Error } from '../../../src/s3/errors.js';
import {
  COPY_SOURCE_CUSTOMER,
  checkReadKey,
  checkUploadKey,
  customerKey,
  encryptionHeaders,
  withoutEncryption,
  writeEncryption,
} from '../../../src/store/sse.js';

const KEY = Buffer.alloc(32, 7);
const OTHER = Buffer.alloc(32, 9);
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');
const ssec = (key: Buffer, prefix = 'x-amz-server-side-encryption-customer-') => ({
  [`${prefix}algorithm`]: 'AES256',
  [`${prefix}key`]: key.toString('base64'),
  [`${prefix}key-md5`]: md5(key),
});

function failure(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    const e = err as S3Error;
    return `${e.status} ${e.code}: ${e.message}`;
  }
}

describe('writeEncryption', () => {
  it.each<[string, Record<string, string>, Record<string, string>]>([
    ['nothing asked, no default', {}, {}],
    ['SSE-S3', { 'x-amz-server-side-encryption': 'AES256' }, { 'x-amz-server-side-encryption': 'AES256' }],
    ['SSE-KMS without a key id', { 'x-amz-server-side-encryption': 'aws:kms' }, { 'x-amz-server-side-encryption': 'aws:kms' }],
    [
      'SSE-KMS with key id, context and bucket key',
      {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:us-east-1:111122223333:key/k',
        'x-amz-server-side-encryption-context': Buffer.from('{"a":"b"}').toString('base64'),
        'x-amz-server-side-encryption-bucket-key-enabled': 'TRUE',
      },
      {
        'x-amz-server-side-encryption': 'aws:kms',
        'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:us-east-1:111122223333:key/k',
        'x-amz-server-side-encryption-context': Buffer.from('{"a":"b"}').toString('base64'),
        'x-amz-server-side-encryption-bucket-key-enabled': 'true',
      },
    ],
    [
      'DSSE-KMS, bucket key false is not kept',
      { 'x-amz-server-side-encryption': 'aws:kms:dsse', 'x-amz-server-side-encryption-bucket-key-enabled': 'false' },
      { 'x-amz-server-side-encryption': 'aws:kms:dsse' },
    ],
  ])('%s', (_what, headers, stored) => {
    expect(writeEncryption(headers)).toEqual({ headers: stored });
  });

  it('applies the bucket default only when the request names no encryption, and KMS details only with KMS', () => {
    const kms = { algorithm: 'aws:kms' as const, kmsKeyId: 'k-1', bucketKeyEnabled: true };
    expect(writeEncryption({}, kms).headers).toEqual({
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': 'k-1',
      'x-amz-server-side-encryption-bucket-key-enabled': 'true',
    });
    expect(writeEncryption({ 'x-amz-server-side-encryption': 'AES256' }, kms).headers).toEqual({ 'x-amz-server-side-encryption': 'AES256' });
    expect(writeEncryption(ssec(KEY), kms)).toEqual({ headers: {}, customer: { algorithm: 'AES256', keyMd5: md5(KEY) } });
    expect(writeEncryption({}, { algorithm: 'AES256', kmsKeyId: 'ignored', bucketKeyEnabled: true }).headers).toEqual({
      'x-amz-server-side-encryption': 'AES256',
    });
  });

  it.each<[string, Record<string, string>, string]>([
    ['an unknown algorithm', { 'x-amz-server-side-encryption': 'ROT13' }, '400 InvalidArgument: The encryption method specified is not supported'],
    [
      'a KMS key id without aws:kms',
      { 'x-amz-server-side-encryption': 'AES256', 'x-amz-server-side-encryption-aws-kms-key-id': 'k' },
      '400 InvalidArgument: Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms',
    ],
    [
      'a context without any algorithm',
      { 'x-amz-server-side-encryption-context': 'e30=' },
      '400 InvalidArgument: Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms',
    ],
    [
      'a bucket key flag without aws:kms',
      { 'x-amz-server-side-encryption-bucket-key-enabled': 'true' },
      '400 InvalidArgument: Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms',
    ],
    [
      'a context that is not base64 JSON of strings',
      { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-context': Buffer.from('{"a":1}').toString('base64') },
      "400 InvalidArgument: The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
    ],
    [
      'a bucket key flag that is no boolean',
      { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-bucket-key-enabled': 'yes' },
      '400 InvalidArgument: Invalid value for header',
    ],
    [
      'SSE-C with SSE-S3',
      { ...ssec(KEY), 'x-amz-server-side-encryption': 'AES256' },
      '400 InvalidArgument: Server Side Encryption with Customer provided key is incompatible with the encryption method specified',
    ],
  ])('%s → %s', (_what, headers, expected) => {
    expect(failure(() => writeEncryption(headers))).toBe(expected);
  });
});

describe('customerKey', () => {
  const base = ssec(KEY);
  const without = (name: string) => Object.fromEntries(Object.entries(base).filter(([k]) => !k.endsWith(name)));
  it.each<[string, Record<string, string>, string]>([
    [
      'no algorithm',
      without('algorithm'),
      '400 InvalidArgument: Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.',
    ],
    [
      'another algorithm',
      { ...base, 'x-amz-server-side-encryption-customer-algorithm': 'AES128' },
      '400 InvalidEncryptionAlgorithmError: The Encryption request you specified is not valid. Supported value: AES256.',
    ],
    [
      'no key',
      without('key'),
      '400 InvalidArgument: Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.',
    ],
    [
      'a key of 16 bytes',
      { ...base, 'x-amz-server-side-encryption-customer-key': Buffer.alloc(16).toString('base64') },
      '400 InvalidArgument: The secret key was invalid for the specified algorithm.',
    ],
    [
      'a key that is not base64',
      { ...base, 'x-amz-server-side-encryption-customer-key': `${'!'.repeat(43)}=` },
      '400 InvalidArgument: The secret key was invalid for the specified algorithm.',
    ],
    [
      'no MD5',
      without('key-md5'),
      '400 InvalidArgument: Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.',
    ],
    [
      'the MD5 of another key',
      { ...base, 'x-amz-server-side-encryption-customer-key-md5': md5(OTHER) },
      '400 InvalidArgument: The calculated MD5 hash of the key did not match the hash that was provided.',
    ],
  ])('%s → %s', (_what, headers, expected) => {
    expect(failure(() => customerKey(headers))).toBe(expected);
  });

  it('keeps the MD5 only; reads the copy source headers with their prefix; no key, no record', () => {
    expect(customerKey(base)).toEqual({ algorithm: 'AES256', keyMd5: md5(KEY) });
    expect(customerKey(ssec(OTHER, COPY_SOURCE_CUSTOMER), COPY_SOURCE_CUSTOMER)).toEqual({ algorithm: 'AES256', keyMd5: md5(OTHER) });
    expect(customerKey(ssec(OTHER, COPY_SOURCE_CUSTOMER))).toBeUndefined();
    expect(JSON.stringify(customerKey(base))).not.toContain(KEY.toString('base64'));
  });

  it('no error message names the key', () => {
    const bad = { ...base, 'x-amz-server-side-encryption-customer-key-md5': md5(OTHER) };
    try {
      customerKey(bad);
    } catch (err) {
      expect(JSON.stringify({ m: (err as S3Error).message, e: (err as S3Error).elements })).not.toContain(KEY.toString('base64'));
      return;
    }
    throw new Error('expected a failure');
  });
});

describe('key checks', () => {
  const mine = { algorithm: 'AES256' as const, keyMd5: md5(KEY) };
  const theirs = { algorithm: 'AES256' as const, keyMd5: md5(OTHER) };
  it.each<[string, typeof mine | undefined, typeof mine | undefined, string, string]>([
    ['a plain object read plainly', undefined, undefined, 'ok', 'ok'],
    ['an SSE-C object with its key', mine, mine, 'ok', 'ok'],
    [
      'an SSE-C object without a key',
      mine,
      undefined,
      '400 InvalidRequest: The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
      '400 InvalidRequest: The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.',
    ],
    [
      'an SSE-C object with another key',
      mine,
      theirs,
      '403 AccessDenied: Access Denied',
      '400 InvalidRequest: The provided encryption parameters did not match the ones used originally.',
    ],
    [
      'a plain object with a key',
      undefined,
      mine,
      '400 InvalidRequest: The encryption parameters are not applicable to this object.',
      '400 InvalidRequest: The encryption parameters are not applicable to this object.',
    ],
  ])('%s: read → %s, part → %s', (_what, stored, presented, read, part) => {
    expect(failure(() => checkReadKey(stored, presented))).toBe(read);
    expect(failure(() => checkUploadKey(stored, presented))).toBe(part);
  });

  it('CompleteMultipartUpload may leave the key out, but not send another', () => {
    expect(failure(() => checkUploadKey(mine, undefined, false))).toBe('ok');
    expect(failure(() => checkUploadKey(mine, theirs, false))).toBe(
      '400 InvalidRequest: The provided encryption parameters did not match the ones used originally.',
    );
  });
});

describe('answers', () => {
  const stored = {
    'content-type': 'text/plain',
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-aws-kms-key-id': 'k',
    'x-amz-server-side-encryption-context': 'e30=',
  };
  it('echo the encryption; the context only where asked; SSE-C as algorithm and MD5', () => {
    expect(encryptionHeaders(stored, undefined)).toEqual({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'k' });
    expect(encryptionHeaders(stored, undefined, { context: true })).toMatchObject({ 'x-amz-server-side-encryption-context': 'e30=' });
    const customer = { algorithm: 'AES256' as const, keyMd5: md5(KEY) };
    expect(encryptionHeaders({}, customer)).toEqual({
      'x-amz-server-side-encryption-customer-algorithm': 'AES256',
      'x-amz-server-side-encryption-customer-key-md5': md5(KEY),
    });
    expect(encryptionHeaders({}, customer, { customer: false })).toEqual({});
    expect(withoutEncryption(stored)).toEqual({ 'content-type': 'text/plain' });
  });
});
