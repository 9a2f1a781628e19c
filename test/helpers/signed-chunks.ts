// Test helper: raw aws-chunked requests (any method, path and query) whose head is signed by the AWS SDK's signer and whose chunks continue its signature chain.
import type { AwsChunkedMode } from '../../src/s3/payload.js';
import { deriveSigningKey, encodeAwsChunked } from './aws-chunked-encode.js';
import { signRaw, type Creds } from './raw-s3.js';

export interface ChunkedRequest {
  method: string;
  path: string;
  query?: string;
  data: Buffer;
  mode: AwsChunkedMode;
  chunkSizes: number | number[];
  /** x-amz-decoded-content-length to announce (and sign) instead of data.length. */
  decodedLength?: number;
}

const REGION = 'us-east-1';

/** The request target, headers and encoded body (aws-chunked.md §3–§4); Content-Length is the caller's to set. */
export async function signChunked(base: string, creds: Creds, req: ChunkedRequest): Promise<{ target: string; headers: Record<string, string>; body: Buffer }> {
  const { target, headers } = await signRaw(base, creds, {
    method: req.method,
    path: req.path,
    query: req.query,
    headers: {
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': req.mode,
      'x-amz-decoded-content-length': String(req.decodedLength ?? req.data.length),
    },
  });
  const seedSignature = /Signature=([0-9a-f]{64})/.exec(headers.authorization ?? '')?.[1];
  const timestamp = headers['x-amz-date'];
  if (!seedSignature || !timestamp) throw new Error('the signer produced no signature');
  const date = timestamp.slice(0, 8);
  const body = encodeAwsChunked(req.data, {
    chunkSizes: req.chunkSizes,
    mode: req.mode,
    signing:
      req.mode === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'
        ? undefined
        : { signingKey: deriveSigningKey(creds.secretAccessKey, date, REGION), timestamp, scope: `${date}/${REGION}/s3/aws4_request`, seedSignature },
  });
  return { target, headers, body };
}
