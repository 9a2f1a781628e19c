// End-to-end test helper: hand-made browser POST forms — a policy signed the way AWS documents it (SigV4, by hand with node:crypto), and multipart/form-data bodies built byte by byte.
import { createHmac, randomBytes } from 'node:crypto';
import type { Creds } from './clients.js';

export type Fields = Array<[string, string]>;

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * "Authenticating Requests in Browser-Based Uploads Using POST (AWS Signature Version 4)": the policy (an object,
 * or any string for a malformed one) as base64, signed with the date-region-service key of `now`. Returns the
 * signature fields and `policy`; the caller adds `key` and the rest.
 */
export function signedPolicyFields(policy: object | string, creds: Creds, now = new Date()): Fields {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const credential = `${creds.accessKeyId}/${day}/us-east-1/s3/aws4_request`;
  const base64 = Buffer.from(typeof policy === 'string' ? policy : JSON.stringify(policy), 'utf8').toString('base64');
  const key = ['us-east-1', 's3', 'aws4_request'].reduce<Buffer>((k, part) => hmac(k, part), hmac(`AWS4${creds.secretAccessKey}`, day));
  return [
    ['x-amz-algorithm', 'AWS4-HMAC-SHA256'],
    ['x-amz-credential', credential],
    ['x-amz-date', amzDate],
    ['policy', base64],
    ['x-amz-signature', createHmac('sha256', key).update(base64, 'utf8').digest('hex')],
  ];
}

/** The conditions every SigV4 form needs for its own signature fields (clients add them the same way). */
export function signatureConditions(creds: Creds, now = new Date()): object[] {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return [
    { 'x-amz-algorithm': 'AWS4-HMAC-SHA256' },
    { 'x-amz-credential': `${creds.accessKeyId}/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request` },
    { 'x-amz-date': amzDate },
  ];
}

export interface FilePart {
  filename: string;
  contentType?: string;
  data: Buffer;
}

export interface Multipart {
  contentType: string;
  /** Everything before the file's bytes (fields, then the file part's header). */
  head: Buffer;
  /** Everything after them (the file part's CRLF, trailing fields, the closing delimiter). */
  tail: Buffer;
  body: Buffer;
}

const part = (boundary: string, name: string, value: string) =>
  Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8');

/** A multipart/form-data body as a browser writes it: `fields`, then the file (if any), then `after` (fields past the file). */
export function multipart(fields: Fields, file?: FilePart, after: Fields = []): Multipart {
  const boundary = `----s3bridgeForm${randomBytes(8).toString('hex')}`;
  const head = [...fields.map(([n, v]) => part(boundary, n, v))];
  if (file) {
    head.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\nContent-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
        'utf8',
      ),
    );
  }
  const tail = [...(file ? [Buffer.from('\r\n')] : []), ...after.map(([n, v]) => part(boundary, n, v)), Buffer.from(`--${boundary}--\r\n`)];
  const h = Buffer.concat(head);
  const t = Buffer.concat(tail);
  return { contentType: `multipart/form-data; boundary=${boundary}`, head: h, tail: t, body: Buffer.concat([h, file?.data ?? Buffer.alloc(0), t]) };
}

/** A policy document expiring `seconds` from now. */
export function policy(conditions: unknown[], seconds = 600): { expiration: string; conditions: unknown[] } {
  return { expiration: new Date(Date.now() + seconds * 1000).toISOString(), conditions };
}
