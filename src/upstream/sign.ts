// signUpstream: re-signs a request for its backend with aws4; handlers never import aws4 themselves.
import aws4 from 'aws4';
import type { Backend } from './backends.js';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface UnsignedRequest {
  method: string;
  host: string;
  /** Encoded path and query, e.g. "/bucket/a%20b?partNumber=1&uploadId=x". */
  path: string;
  headers: Record<string, string>;
  /** Hex SHA-256 of the body as sent, or UNSIGNED-PAYLOAD (sigv4.md §11 item 5). */
  payloadHash: string;
}

/**
 * Returns the headers to send (Authorization, X-Amz-Date, X-Amz-Content-Sha256, token) and the
 * path as aws4 normalised it. X-Amz-Content-Sha256 is set before signing: aws4 would otherwise
 * hash request.body, which is a stream here.
 */
export function signUpstream(backend: Backend, req: UnsignedRequest): { path: string; headers: Record<string, string> } {
  const headers: Record<string, string> = { ...req.headers, host: req.host, 'x-amz-content-sha256': req.payloadHash };
  const opts = { method: req.method, host: req.host, path: req.path, headers, service: 's3', region: backend.region };
  aws4.sign(opts, backend.credentials);
  return { path: opts.path, headers: opts.headers as Record<string, string> };
}
