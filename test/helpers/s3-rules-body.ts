// Test backend helper (s3-rules-backend.ts): reads a write's body as S3 does (aws-chunked unsigned trailer or plain), verifying the checksum it carries, and checks SSE-C key headers.
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { CHECKSUM_ALGORITHMS, createChecksum, type ChecksumAlgorithm } from '../../src/s3/checksums.js';

export interface SentChecksum {
  alg: ChecksumAlgorithm;
  value: string;
}

/** An S3 error the fake answers with. */
export class RuleError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function checksumOf(alg: ChecksumAlgorithm, data: Buffer): string {
  const c = createChecksum(alg);
  c.update(data);
  return c.digestBase64();
}

const one = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** `hex CRLF data CRLF … 0 CRLF name:value CRLF CRLF` (STREAMING-UNSIGNED-PAYLOAD-TRAILER): the data and the trailers. */
function decodeUnsignedTrailer(raw: Buffer): { data: Buffer; trailers: Record<string, string> } {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) throw new RuleError(400, 'IncompleteBody', 'The aws-chunked body ended inside a size line.');
    const size = Number.parseInt(raw.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    if (!Number.isInteger(size)) throw new RuleError(400, 'InvalidChunkSizeError', 'Bad chunk size line.');
    at = eol + 2;
    if (size === 0) break;
    chunks.push(raw.subarray(at, at + size));
    if (raw.subarray(at + size, at + size + 2).toString('latin1') !== '\r\n') throw new RuleError(400, 'IncompleteBody', 'A chunk did not end with CRLF.');
    at += size + 2;
  }
  const trailers: Record<string, string> = {};
  for (const line of raw.subarray(at).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { data: Buffer.concat(chunks), trailers };
}

/**
 * The object bytes of a PutObject/UploadPart and the checksum it carried (header or trailer), verified: a value
 * that does not match is 400 BadDigest, as S3 answers.
 */
export function readWrite(headers: IncomingHttpHeaders, raw: Buffer): { data: Buffer; checksum?: SentChecksum } {
  let data = raw;
  const sent: Record<string, string> = {};
  if (/aws-chunked/i.test(one(headers, 'content-encoding') ?? '')) {
    if (one(headers, 'x-amz-content-sha256') !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER')
      throw new RuleError(501, 'NotImplemented', 'Only unsigned trailers are implemented here.');
    const decoded = decodeUnsignedTrailer(raw);
    data = decoded.data;
    if (String(data.length) !== one(headers, 'x-amz-decoded-content-length'))
      throw new RuleError(400, 'IncompleteBody', 'The decoded length differs from x-amz-decoded-content-length.');
    const announced = one(headers, 'x-amz-trailer')?.toLowerCase();
    if (announced !== undefined && decoded.trailers[announced] === undefined)
      throw new RuleError(400, 'MalformedTrailerError', 'The announced trailer is missing.');
    Object.assign(sent, decoded.trailers);
  }
  for (const alg of CHECKSUM_ALGORITHMS) {
    const name = `x-amz-checksum-${alg.toLowerCase()}`;
    const v = one(headers, name);
    if (v !== undefined) sent[name] = v;
  }
  const found = CHECKSUM_ALGORITHMS.filter((alg) => sent[`x-amz-checksum-${alg.toLowerCase()}`] !== undefined);
  if (found.length > 1) throw new RuleError(400, 'InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  const alg = found[0];
  if (alg === undefined) return { data };
  const value = sent[`x-amz-checksum-${alg.toLowerCase()}`]!;
  if (checksumOf(alg, data) !== value) throw new RuleError(400, 'BadDigest', `The ${alg} you specified did not match the calculated checksum.`);
  return { data, checksum: { alg, value } };
}

/** The SSE-C key a request names (under `prefix`), checked as S3 checks it; undefined without SSE-C headers. */
export function sseCustomerKey(headers: IncomingHttpHeaders, prefix = 'x-amz-server-side-encryption-customer-'): string | undefined {
  const algorithm = one(headers, `${prefix}algorithm`);
  const key = one(headers, `${prefix}key`);
  const keyMd5 = one(headers, `${prefix}key-md5`);
  if (algorithm === undefined && key === undefined && keyMd5 === undefined) return undefined;
  if (algorithm !== 'AES256')
    throw new RuleError(400, 'InvalidEncryptionAlgorithmError', 'The encryption request you specified is not valid. The valid value is AES256.');
  if (key === undefined || keyMd5 === undefined)
    throw new RuleError(
      400,
      'InvalidArgument',
      'Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.',
    );
  if (createHash('md5').update(Buffer.from(key, 'base64')).digest('base64') !== keyMd5) {
    throw new RuleError(400, 'InvalidArgument', 'The calculated MD5 hash of the key did not match the hash that was provided.');
  }
  return keyMd5;
}

/** A stored object's SSE-C key must be presented again to read it (or to write parts of its upload). */
export function assertSameKey(stored: string | undefined, presented: string | undefined): void {
  if (stored === presented) return;
  if (presented === undefined)
    throw new RuleError(
      400,
      'InvalidRequest',
      'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.',
    );
  if (stored === undefined) throw new RuleError(400, 'InvalidRequest', 'The encryption parameters are not applicable to this object.');
  throw new RuleError(403, 'AccessDenied', 'Access Denied');
}
