// RequestContext: what one request has learned so far, filled stage by stage by proxy.ts.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { AuthResult } from './auth/verify.js';
import type { Route } from './routing/router.js';
import type { S3Request } from './parse/request.js';
import type { Target } from './auth/authorize.js';
import type { CopySource } from './s3/copy-source.js';
import type { Backend } from './upstream/backends.js';
import type { App } from './app.js';
import type { CopyStats } from './handlers/copy.js';

export interface RequestContext {
  readonly id: string;
  readonly app: App;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly startedAt: number;
  /** Aborted when the client goes away before the response finished. */
  readonly abort: AbortController;
  /** The effective request (parse stage). */
  s3?: S3Request;
  auth?: AuthResult;
  /** The client's headers the backend may receive (authorize stage). */
  headers?: Record<string, string>;
  route?: Route;
  backend?: Backend;
  /** Where a copy's source lives (authorize stage). */
  source?: Target<Backend> & { copySource: CopySource };
  /** The request body as it should reach a backend (decoded, integrity-checked), or null. */
  body?: Readable | null;
  /** x-amz-content-sha256 to send upstream for that body. */
  payloadHash?: string;
  /** Content-Length of that body. */
  bodyLength?: number;
  /** The client's checksum of the body once verified (header or trailer), to echo as S3 does. */
  verifiedChecksum?: () => { alg: string; base64: string } | undefined;
  /** Header changes the body's framing needs upstream (undefined = remove). */
  upstreamFraming?: Record<string, string | undefined>;
  /** Bytes of object body received from / sent to the client. */
  bytesIn: number;
  bytesOut: number;
  errorCode?: string;
  /** Set when the request was an emulated copy. */
  copy?: CopyStats;
  upstreamRequestId?: string;
}

// A random prefix per process plus a counter: unique, cheap, and sortable within a process.
const ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let counter = 0;

export function newRequestId(): string {
  counter = (counter + 1) >>> 0;
  return ID_PREFIX + counter.toString(16).toUpperCase().padStart(8, '0');
}

export function createContext(app: App, req: IncomingMessage, res: ServerResponse): RequestContext {
  const ctx: RequestContext = { id: newRequestId(), app, req, res, startedAt: performance.now(), abort: new AbortController(), bytesIn: 0, bytesOut: 0 };
  res.on('close', () => {
    if (!res.writableFinished) ctx.abort.abort();
  });
  return ctx;
}
