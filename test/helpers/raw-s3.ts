// Test helper: raw S3 requests (any method, literal path and query) signed by the AWS SDK's own signer and sent with node:http, which normalises nothing.
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { HttpRequest } from '@smithy/protocol-http';
import { expect } from 'vitest';
import { canonicalPath, parseQuery } from './recording-backend-sigv4.js';

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface RawS3Request {
  method: string;
  /** The path exactly as sent, e.g. "/t1/../zz/x" or "/t1/%2E%2E/zz/x". */
  path: string;
  /** The query exactly as sent, without "?". */
  query?: string;
  /** Headers covered by the signature (x-amz-content-sha256 defaults to UNSIGNED-PAYLOAD). */
  headers?: Record<string, string>;
  /** Headers added after signing. */
  unsigned?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body with Transfer-Encoding: chunked (no Content-Length). */
  chunked?: boolean;
  /** Sign in the query (a presigned URL) instead of the Authorization header. */
  presign?: boolean;
  /** Send the request target in absolute form ("GET http://host/path HTTP/1.1"). */
  absolute?: boolean;
  /** Content-Length to announce instead of the body's length (the body is sent as it is; the connection is closed after the answer). */
  declaredLength?: number;
}

export interface RawS3Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

const REGION = 'us-east-1';

/** "%XY" of every char outside SigV4's unreserved set (sigv4.md §3.1), for query parameters we add. */
export const uriEncode = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The S3 canonical form of a raw path (decoded once, re-encoded, "/" kept); a path that does not decode is
 * signed as it is (the request is refused before its signature matters).
 */
function signingPath(rawPath: string): string {
  try {
    return canonicalPath(rawPath);
  } catch {
    return rawPath;
  }
}

function signingQuery(rawQuery: string): Record<string, string | string[]> {
  try {
    return parseQuery(rawQuery);
  } catch {
    return {};
  }
}

/** The request line's target and the headers to send, signed for `base` with `creds`. */
export async function signRaw(base: string, creds: Creds, req: RawS3Request): Promise<{ target: string; headers: Record<string, string> }> {
  const url = new URL(base);
  const signer = new SignatureV4({ service: 's3', region: REGION, credentials: creds, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const rawQuery = req.query ?? '';
  const toSign = new HttpRequest({
    method: req.method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: signingPath(req.path),
    headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...req.headers },
    query: signingQuery(rawQuery),
  });
  if (!req.presign) {
    const signed = await signer.sign(toSign);
    const target = `${req.absolute ? `http://${url.host}` : ''}${req.path}${rawQuery ? `?${rawQuery}` : ''}`;
    return { target, headers: { ...(signed.headers as Record<string, string>), ...req.unsigned } };
  }
  const prefix = req.absolute ? `http://${url.host}` : '';
  const presigned = await signer.presign(toSign, { expiresIn: 300 });
  const before = new Set(Object.keys(toSign.query ?? {}));
  const added = Object.entries(presigned.query ?? {})
    .filter(([name]) => !before.has(name))
    .map(([name, value]) => `${uriEncode(name)}=${uriEncode(String(value))}`);
  const query = [rawQuery, ...added].filter(Boolean).join('&');
  return { target: `${prefix}${req.path}?${query}`, headers: { ...(presigned.headers as Record<string, string>), ...req.unsigned } };
}

/** Signs and sends one request; resolves with the whole response (also when it came before the body was all sent). */
export async function sendS3(base: string, creds: Creds, req: RawS3Request): Promise<RawS3Response> {
  const { target, headers } = await signRaw(base, creds, req);
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  if (req.declaredLength !== undefined) headers['content-length'] = String(req.declaredLength);
  else if (body && !req.chunked) headers['content-length'] = String(body.length);
  return sendTarget(base, req.method, target, headers, body, req.declaredLength !== undefined);
}

// Connections are reused between requests (the tables send thousands); a request cut short gets its own.
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** Sends a request as given; with `cut`, the connection is closed once the answer is in (the body may be incomplete). */
export function sendTarget(base: string, method: string, target: string, headers: Record<string, string>, body?: Buffer, cut = false): Promise<RawS3Response> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    let answered = false;
    const r = httpRequest({ host: url.hostname, port: url.port, method, path: target, headers, agent: cut ? false : agent }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (cut) r.destroy();
      });
      res.on('error', reject);
    });
    // s3bridge may refuse a request before reading its body and close the connection: writing the rest then
    // fails, but the answer already came (or is on its way) and is what the test looks at.
    r.on('error', (err) => {
      if (!answered) setImmediate(() => (answered ? undefined : reject(err)));
    });
    r.setTimeout(30_000, () => r.destroy(new Error(`no answer to ${method} ${target} within 30 s`)));
    if (cut) {
      // The announced length is never reached: only the answer to the head matters.
      if (body) r.write(body);
      r.flushHeaders();
    } else if (body && body.length > 64 * 1024) {
      // Large bodies in pieces, so an early answer is read while we write.
      let off = 0;
      const writeMore = (): void => {
        while (off < body.length) {
          const piece = body.subarray(off, off + 64 * 1024);
          off += piece.length;
          if (!r.write(piece)) {
            r.once('drain', writeMore);
            return;
          }
        }
        r.end();
      };
      writeMore();
    } else {
      r.end(body);
    }
  });
}

/** The text of the first <tag> element of an XML document. */
export function xmlField(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
}

/**
 * Asserts an S3 error answer exactly: status and Code, and that the RequestId of the document is the
 * x-amz-request-id of the response (the id s3bridge logged). HEAD answers carry no document.
 */
export function expectS3Error(res: RawS3Response, status: number, code: string, what = ''): void {
  const id = res.headers['x-amz-request-id'];
  if (res.body === '') {
    expect({ what, status: res.status, body: '' }).toEqual({ what, status, body: '' });
    expect(typeof id === 'string' && id.length > 0, `${what}: x-amz-request-id`).toBe(true);
    return;
  }
  expect({ what, status: res.status, code: xmlField(res.body, 'Code') }).toEqual({ what, status, code });
  expect(xmlField(res.body, 'RequestId'), `${what}: RequestId`).toBe(id);
}
