// Embedded store, server-side encryption: SSE-S3, SSE-KMS and SSE-C request headers → what an object or upload keeps, the key checks of reads, parts and copy sources, and the answers' headers; pure.
//
// This is a local development store: it speaks S3's encryption API but the bytes stay unencrypted on disk (the data
// folder is owner-only, mode 0700). Of an SSE-C key only its MD5 is kept, never the key itself.
import { createHash } from 'node:crypto';
import { S3Error } from '../s3/errors.js';
import type { DefaultEncryption, SseCustomerRecord } from './records.js';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

export const SSE = 'x-amz-server-side-encryption';
export const SSE_KMS_KEY_ID = 'x-amz-server-side-encryption-aws-kms-key-id';
export const SSE_CONTEXT = 'x-amz-server-side-encryption-context';
export const SSE_BUCKET_KEY = 'x-amz-server-side-encryption-bucket-key-enabled';
/** What an object keeps of SSE-S3 / SSE-KMS (in ObjectRecord.headers). */
export const ENCRYPTION_HEADERS = [SSE, SSE_KMS_KEY_ID, SSE_CONTEXT, SSE_BUCKET_KEY] as const;

const CUSTOMER = 'x-amz-server-side-encryption-customer-';
export const COPY_SOURCE_CUSTOMER = 'x-amz-copy-source-server-side-encryption-customer-';

/** A write's encryption: stored headers (SSE-S3 / SSE-KMS) or an SSE-C key digest, never both. */
export interface Encryption {
  headers: Record<string, string>;
  customer?: SseCustomerRecord;
}

function first(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

const invalidArgument = (message: string, name: string, value?: string): S3Error =>
  new S3Error('InvalidArgument', message, { ArgumentName: name, ArgumentValue: value ?? 'null' });

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html: the context is base64 of a
 * JSON object of strings.
 */
function checkContext(value: string): void {
  let ok = /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0;
  if (ok) {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
      ok = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.values(parsed).every((v) => typeof v === 'string');
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    throw invalidArgument(
      "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map",
      SSE_CONTEXT,
      value,
    );
  }
}

/**
 * x-amz-server-side-encryption and its SSE-KMS companions
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html): the KMS headers need aws:kms or
 * aws:kms:dsse. The bucket key flag is kept only when true (S3 answers it only then).
 */
function managedEncryption(headers: Headers): Record<string, string> {
  const algorithm = first(headers, SSE);
  const keyId = first(headers, SSE_KMS_KEY_ID);
  const context = first(headers, SSE_CONTEXT);
  const bucketKey = first(headers, SSE_BUCKET_KEY);
  const out: Record<string, string> = {};
  if (algorithm !== undefined) {
    if (algorithm !== 'AES256' && algorithm !== 'aws:kms' && algorithm !== 'aws:kms:dsse') {
      throw invalidArgument('The encryption method specified is not supported', SSE, algorithm);
    }
    out[SSE] = algorithm;
  }
  const kms = algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse';
  for (const [name, value] of [
    [SSE_KMS_KEY_ID, keyId],
    [SSE_CONTEXT, context],
    [SSE_BUCKET_KEY, bucketKey],
  ] as const) {
    if (value !== undefined && !kms) {
      throw invalidArgument('Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms', name, value);
    }
  }
  if (keyId !== undefined && keyId.trim() !== '') out[SSE_KMS_KEY_ID] = keyId.trim();
  if (context !== undefined) {
    checkContext(context);
    out[SSE_CONTEXT] = context;
  }
  if (bucketKey !== undefined) {
    const flag = bucketKey.trim().toLowerCase();
    if (flag !== 'true' && flag !== 'false') throw invalidArgument('Invalid value for header', SSE_BUCKET_KEY, bucketKey);
    if (flag === 'true') out[SSE_BUCKET_KEY] = 'true';
  }
  return out;
}

/**
 * The SSE-C key a request presents with `prefix` (x-amz-server-side-encryption-customer- or the copy source's
 * x-amz-copy-source-server-side-encryption-customer-), checked: all three headers, AES256, a base64 key of 32
 * bytes, its MD5 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html).
 * Undefined when none of the three was sent. Only the key's MD5 leaves this function; no message names the key.
 */
export function customerKey(headers: Headers, prefix: string = CUSTOMER): SseCustomerRecord | undefined {
  const algorithm = first(headers, `${prefix}algorithm`);
  const key = first(headers, `${prefix}key`);
  const keyMd5 = first(headers, `${prefix}key-md5`);
  if (algorithm === undefined && key === undefined && keyMd5 === undefined) return undefined;
  const argument = prefix === CUSTOMER ? SSE : 'x-amz-copy-source-server-side-encryption';
  if (algorithm === undefined) {
    throw invalidArgument('Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.', argument);
  }
  if (algorithm !== 'AES256') {
    throw new S3Error('InvalidEncryptionAlgorithmError', undefined, { ArgumentName: `${prefix}algorithm`, ArgumentValue: algorithm });
  }
  if (key === undefined) {
    throw invalidArgument('Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.', argument);
  }
  const bytes = /^[A-Za-z0-9+/]*={0,2}$/.test(key) && key.length % 4 === 0 ? Buffer.from(key, 'base64') : Buffer.alloc(0);
  if (bytes.length !== 32) throw invalidArgument('The secret key was invalid for the specified algorithm.', argument);
  if (keyMd5 === undefined) {
    throw invalidArgument(
      'Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.',
      argument,
    );
  }
  const digest = createHash('md5').update(bytes).digest('base64');
  bytes.fill(0);
  if (keyMd5 !== digest) throw invalidArgument('The calculated MD5 hash of the key did not match the hash that was provided.', argument);
  return { algorithm: 'AES256', keyMd5: digest };
}

/**
 * What a write (PutObject, CreateMultipartUpload, CopyObject's destination) asks for. SSE-C excludes
 * x-amz-server-side-encryption; a request that names no encryption gets the bucket's default
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-encryption.html).
 */
export function writeEncryption(headers: Headers, bucketDefault?: DefaultEncryption): Encryption {
  const customer = customerKey(headers);
  const managed = managedEncryption(headers);
  if (customer) {
    if (managed[SSE] !== undefined) {
      throw invalidArgument('Server Side Encryption with Customer provided key is incompatible with the encryption method specified', SSE, managed[SSE]);
    }
    return { headers: {}, customer };
  }
  if (managed[SSE] === undefined && bucketDefault) {
    const kms = bucketDefault.algorithm !== 'AES256';
    return {
      headers: {
        [SSE]: bucketDefault.algorithm,
        ...(kms && bucketDefault.kmsKeyId ? { [SSE_KMS_KEY_ID]: bucketDefault.kmsKeyId } : {}),
        ...(kms && bucketDefault.bucketKeyEnabled ? { [SSE_BUCKET_KEY]: 'true' } : {}),
      },
    };
  }
  return { headers: managed };
}

/** Removes what an object keeps of its encryption from a header set (a copy never inherits it from its source). */
export function withoutEncryption(headers: Record<string, string>): Record<string, string> {
  const out = { ...headers };
  for (const name of ENCRYPTION_HEADERS) delete out[name];
  return out;
}

const storedWithSse = (): S3Error =>
  new S3Error(
    'InvalidRequest',
    'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
  );
const notApplicable = (): S3Error => new S3Error('InvalidRequest', 'The encryption parameters are not applicable to this object.');

/**
 * GetObject, HeadObject and a copy's source (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ServerSideEncryptionCustomerKeys.html):
 * an SSE-C object is read only with its key; a key for any other object is an error.
 */
export function checkReadKey(stored: SseCustomerRecord | undefined, presented: SseCustomerRecord | undefined): void {
  if (stored && !presented) throw storedWithSse();
  if (!stored && presented) throw notApplicable();
  if (stored && presented && stored.keyMd5 !== presented.keyMd5) throw new S3Error('AccessDenied');
}

/**
 * UploadPart, UploadPartCopy's destination and (when it sends a key) CompleteMultipartUpload: the parts of an
 * SSE-C upload carry the key it was created with (https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html).
 */
export function checkUploadKey(stored: SseCustomerRecord | undefined, presented: SseCustomerRecord | undefined, required = true): void {
  if (stored && !presented) {
    if (!required) return;
    throw new S3Error(
      'InvalidRequest',
      'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.',
    );
  }
  if (!stored && presented) throw notApplicable();
  if (stored && presented && stored.keyMd5 !== presented.keyMd5) {
    throw new S3Error('InvalidRequest', 'The provided encryption parameters did not match the ones used originally.');
  }
}

/**
 * The encryption headers of an answer. `context` for the answers that return the SSE-KMS encryption context
 * (PutObject, CreateMultipartUpload, CopyObject); `customer: false` for CompleteMultipartUpload, whose answer has no
 * SSE-C headers (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html#API_CompleteMultipartUpload_ResponseSyntax).
 */
export function encryptionHeaders(
  stored: Record<string, string>,
  customer: SseCustomerRecord | undefined,
  opts: { context?: boolean; customer?: boolean } = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ENCRYPTION_HEADERS) {
    const value = stored[name];
    if (value !== undefined && (name !== SSE_CONTEXT || opts.context)) out[name] = value;
  }
  if (customer && opts.customer !== false) {
    out[`${CUSTOMER}algorithm`] = customer.algorithm;
    out[`${CUSTOMER}key-md5`] = customer.keyMd5;
  }
  return out;
}
