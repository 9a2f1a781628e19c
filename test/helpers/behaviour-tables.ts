// Test tables of S3 behaviour that every real backend must show, shared by the test backends' own tests (backends.test.ts) and the embedded store's (store-shared.test.ts).
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';

/** Keys whose SigV4 canonical form trips naive signers and path handling; each must be stored under exactly that key. */
export const AWKWARD_KEYS = ['with space', 'plus+sign', 'ünïcödé/ключ', "quote's(1)*!", '%25 literal percent', 'a//b/./c/../d', 'tilde~=&$@,;:'];

type Creds = { accessKeyId: string; secretAccessKey: string };

/** [what, AWS code, status, extra client settings, the credentials to sign with given the good ones]. */
export const AUTH_FAILURES: Array<[string, string, number, Record<string, unknown>, (good: Creds) => Creds]> = [
  ['a wrong secret', 'SignatureDoesNotMatch', 403, {}, (good) => ({ ...good, secretAccessKey: 'wrong' })],
  ['an unknown key', 'InvalidAccessKeyId', 403, {}, (good) => ({ ...good, accessKeyId: 'AKIDUNKNOWN' })],
  ['a wrong region', 'AuthorizationHeaderMalformed', 400, { region: 'eu-west-1' }, (good) => good],
];

/** [what, request headers, AWS code] for a PUT of the body "not empty": each must be 400 and store nothing. */
export const INTEGRITY_FAILURES: Array<[string, Record<string, string>, string]> = [
  ['a payload hash of other bytes', { 'x-amz-content-sha256': 'a'.repeat(64) }, 'XAmzContentSHA256Mismatch'],
  ['a wrong Content-MD5', { 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' }, 'BadDigest'],
];

/** [Range header, status, body] against the 10-byte object "0123456789" (body unchecked for 416). */
export const RANGES: Array<[string, number, string]> = [
  ['bytes=0-4', 206, '01234'],
  ['bytes=7-', 206, '789'],
  ['bytes=-3', 206, '789'],
  ['bytes=8-1000', 206, '89'],
  ['bytes=5-2', 200, '0123456789'],
  ['bytes=10-', 416, ''],
];

/** A multipart upload of two 2 KiB parts: S3 refuses it (EntityTooSmall) unless the part minimum was lowered. */
export async function multipartOf2k(client: S3Client, bucket: string): Promise<unknown> {
  const body2k = Buffer.alloc(2048, 1);
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'mp' }));
  const parts = [];
  for (const PartNumber of [1, 2]) {
    const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: 'mp', UploadId, PartNumber, Body: body2k }));
    parts.push({ PartNumber, ETag });
  }
  return client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: 'mp', UploadId, MultipartUpload: { Parts: parts } }));
}
