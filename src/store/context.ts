// Embedded store, one request: what the operations get (the store's parts, the parsed and verified request) and the few ways they answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthResult } from '../auth/verify.js';
import type { Logger } from '../log.js';
import type { S3Request } from '../parse/request.js';
import type { BucketRegistry } from './buckets.js';
import type { Layout } from './disk/layout.js';
import type { Objects } from './objects.js';
import type { Uploads } from './uploads.js';
import type { Owner } from './xml-write.js';

interface StoreOptions {
  /** Smallest part but the last that CompleteMultipartUpload accepts; S3's is 5 MiB (tests lower it). */
  minPartSize: number;
  /** The region requests are signed for and buckets report. */
  region: string;
}

/** Built once per store. */
export interface Store {
  readonly layout: Layout;
  readonly buckets: BucketRegistry;
  readonly objects: Objects;
  readonly uploads: Uploads;
  readonly options: StoreOptions;
  readonly owner: Owner;
  readonly log: Logger;
}

export interface StoreRequest {
  readonly store: Store;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly id: string;
  readonly s3: S3Request & { bucket: string | undefined };
  /** undefined: an unsigned request that access.ts let through. */
  readonly auth: AuthResult | undefined;
  /** Request headers as parse/request.ts gives them: lower-case, repeats joined, presigned x-amz-* parameters hoisted in. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Headers every answer carries. */
export function baseHeaders(r: StoreRequest): Record<string, string> {
  return { 'x-amz-request-id': r.id, 'x-amz-id-2': r.id };
}

export function sendXml(r: StoreRequest, status: number, xml: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(xml, 'utf8');
  r.res.writeHead(status, { ...baseHeaders(r), ...headers, 'content-type': 'application/xml', 'content-length': body.length });
  r.res.end(r.req.method === 'HEAD' ? undefined : body);
}

export function sendEmpty(r: StoreRequest, status: number, headers: Record<string, string> = {}): void {
  r.res.writeHead(status, { ...baseHeaders(r), ...headers, 'content-length': 0 });
  r.res.end();
}

/** The key of an object operation (parseS3Request leaves it undefined only for bucket operations). */
export function keyOf(r: StoreRequest): string {
  return r.s3.key!;
}

export function bucketOf(r: StoreRequest): string {
  return r.s3.bucket!;
}

/** A request header (repeats joined with ","). */
export function header(r: StoreRequest, name: string): string | undefined {
  return r.headers[name];
}
