// End-to-end test helper: hand-built aws-chunked PUTs signed with the AWS SDK's own signer at the current time, sent over a raw HTTP connection.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsChunkedMode } from '../../../src/body/chunked.js';
import { deriveSigningKey, encodeAwsChunked } from '../../helpers/aws-chunked-encode.js';
import type { Creds } from './clients.js';

const REGION = 'us-east-1';

export interface ChunkedPut {
  bucket: string;
  key: string;
  data: Buffer;
  mode: AwsChunkedMode;
  chunkSizes: number | number[];
  /** x-amz-trailer and the trailer line (value defaults to the data's real checksum). */
  trailer?: { name: string; value?: string };
  /** x-amz-decoded-content-length to announce (and sign) instead of data.length. */
  decodedLength?: number;
}

export interface RawRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Signs the request head with @smithy/signature-v4 (an implementation independent of s3bridge's) and
 * continues the chain from its signature with encodeAwsChunked (aws-chunked.md §4).
 */
export async function buildChunkedPut(endpoint: string, creds: Creds, put: ChunkedPut): Promise<RawRequest> {
  const url = new URL(endpoint);
  const path = `/${put.bucket}/${put.key}`;
  const headers: Record<string, string> = {
    host: url.host,
    'content-encoding': 'aws-chunked',
    'x-amz-content-sha256': put.mode,
    'x-amz-decoded-content-length': String(put.decodedLength ?? put.data.length),
  };
  if (put.trailer) headers['x-amz-trailer'] = put.trailer.name;
  const signer = new SignatureV4({ service: 's3', region: REGION, credentials: creds, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const signed = await signer.sign(new HttpRequest({ method: 'PUT', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path, headers }));
  const authorization = String(signed.headers.authorization);
  const amzDate = String(signed.headers['x-amz-date']);
  const seedSignature = /Signature=([0-9a-f]{64})/.exec(authorization)?.[1];
  if (!seedSignature) throw new Error('the signer produced no signature');
  const date = amzDate.slice(0, 8);
  const body = encodeAwsChunked(put.data, {
    chunkSizes: put.chunkSizes,
    mode: put.mode,
    trailer: put.trailer,
    signing:
      put.mode === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
        ? undefined
        : { signingKey: deriveSigningKey(creds.secretAccessKey, date, REGION), timestamp: amzDate, scope: `${date}/${REGION}/s3/aws4_request`, seedSignature },
  });
  return { path, headers: { ...(signed.headers as Record<string, string>) }, body };
}

/** Flips one hex digit of the n-th (0-based) `chunk-signature=` value in an encoded body. */
export function corruptChunkSignature(body: Buffer, n: number): Buffer {
  const text = body.toString('latin1');
  let at = -1;
  for (let i = 0; i <= n; i++) {
    at = text.indexOf(';chunk-signature=', at + 1);
    if (at < 0) throw new Error(`the body has no chunk signature #${n}`);
  }
  const pos = at + ';chunk-signature='.length;
  const out = Buffer.from(body);
  out[pos] = out[pos] === 0x30 ? 0x31 : 0x30; // '0' <-> '1'
  return out;
}

/** The body up to (not including) its final 0-size chunk line: every data chunk, no end. */
export function withoutFinalChunk(body: Buffer): Buffer {
  const text = body.toString('latin1');
  const at = text.search(/\r\n0(;chunk-signature=[0-9a-f]{64})?\r\n/);
  if (at < 0) throw new Error('the body has no final chunk');
  return body.subarray(0, at + 2);
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The connection failed before any response (e.g. we aborted it ourselves). */
  error?: Error;
}

/**
 * Sends `body` with an explicit Content-Length (default: its length). With `abortAfterBody`, the
 * socket is destroyed once the bytes are written, so the server sees a client that went away.
 * A response that arrives before the whole body is written (early rejection) is still returned.
 */
export function sendRaw(endpoint: string, req: RawRequest & { contentLength?: number; abortAfterBody?: boolean }): Promise<RawResponse> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: RawResponse) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const headers = { ...req.headers, 'content-length': String(req.contentLength ?? req.body.length) };
    const r = httpRequest({ host: url.hostname, port: url.port, method: 'PUT', path: req.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), error }));
    });
    // A write error (the proxy refused early and closed) may still be followed by its response: give it 200 ms.
    r.on('error', (error) => setTimeout(() => finish({ status: 0, headers: {}, body: '', error }), 200));
    r.setTimeout(30_000, () => r.destroy(new Error('no response within 30 s')));
    if (req.abortAfterBody) {
      // The client dies a moment after its last byte without ending the request: the delay is the point.
      r.write(req.body, () => setTimeout(() => r.destroy(new Error('aborted by the test')), 100));
    } else {
      r.end(req.body);
    }
  });
}

/** The <Code> of an S3 error document. */
export function errorCode(body: string): string | undefined {
  return /<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}
