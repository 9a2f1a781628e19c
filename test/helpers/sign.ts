// Test helper: headers of a request signed by the AWS SDK's own signer (@smithy/signature-v4), for raw requests to s3bridge.
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { DEMO } from './bridge.js';

export interface SignOptions {
  method: string;
  /** Path as sent, e.g. "/bucket/key". */
  path: string;
  headers?: Record<string, string>;
  /** Host to sign for (default: the base URL's host); a virtual-hosted name such as "b.s3.test". */
  hostname?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Signs for `base` (the proxy URL); x-amz-content-sha256 defaults to UNSIGNED-PAYLOAD. */
export async function signedHeaders(base: string, opts: SignOptions): Promise<Record<string, string>> {
  const url = new URL(base);
  const hostname = opts.hostname ?? url.hostname;
  const signer = new SignatureV4({
    service: 's3',
    region: 'us-east-1',
    credentials: opts.credentials ?? DEMO,
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign({
    method: opts.method,
    protocol: 'http:',
    hostname,
    port: Number(url.port),
    path: opts.path,
    headers: { host: `${hostname}:${url.port}`, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...opts.headers },
    query: {},
  });
  return signed.headers as Record<string, string>;
}
