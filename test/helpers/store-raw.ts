// Test helper: raw requests to the embedded store, signed with aws4 (the library s3bridge re-signs with), sent over node:http exactly as given.
import { request, type IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import aws4 from 'aws4';

export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RawOptions {
  method: string;
  /** Path and query exactly as sent (percent-encode "+" as %2B: aws4 reads a raw "+" as a space). */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
  /** false: send it unsigned (anonymous). */
  sign?: boolean;
  /** Presign in the query instead of the Authorization header. */
  presign?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function raw(endpoint: string, creds: { accessKeyId: string; secretAccessKey: string }, opts: RawOptions): Promise<RawReply> {
  const url = new URL(endpoint);
  let headers: Record<string, string> = { ...opts.headers };
  let path = opts.path;
  if (opts.sign !== false) {
    if (!opts.presign) headers['x-amz-content-sha256'] ??= 'UNSIGNED-PAYLOAD';
    const signed = aws4.sign(
      { host: url.host, path, method: opts.method, service: 's3', region: 'us-east-1', headers, signQuery: opts.presign },
      opts.credentials ?? creds,
    );
    headers = signed.headers as Record<string, string>;
    path = signed.path!;
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: opts.method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    const body = opts.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** The text of <tag> in an XML reply (first one). */
export function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
}
