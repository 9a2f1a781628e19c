// RequestContext: what one request has learned so far, filled stage by stage by proxy.ts; Routed: what every handler works on.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Target } from './auth/authorize.js';
import type { KeyStore } from './auth/keys.js';
import type { Principal } from './auth/authenticate.js';
import type { ByteBudget } from './body/budget.js';
import type { PreparedBody } from './body/prepare.js';
import type { ClientConfig, Config } from './config/schema.js';
import type { Logger } from './log.js';
import type { CopyEmulationSample, Metrics } from './metrics.js';
import type { ParseOptions, S3Request } from './parse/request.js';
import type { Router } from './route/router.js';
import type { CopySource } from './s3/copy-source.js';
import type { Backend } from './upstream/backends.js';

/** The singletons a request uses, built once by app.ts (which sits above everything and implements this). */
export interface Services {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly keys: KeyStore;
  readonly router: Router;
  readonly backends: ReadonlyMap<string, Backend>;
  /** Regions a client may sign for: the configured one, plus us-east-1 and auto that SDKs default to. */
  readonly regions: string[];
  readonly parseOptions: ParseOptions;
  readonly tls: boolean;
  /** Bytes held before verification, across every request (server.maxBufferedBytes). */
  readonly budget: ByteBudget;
  /** The client's bucket allow-list, compiled once. */
  clientBuckets(client: ClientConfig): readonly RegExp[];
}

export interface RequestContext {
  readonly id: string;
  readonly app: Services;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly startedAt: number;
  /** Aborted when the client goes away before the response finished; made on first use (most requests never need one). */
  readonly abort: AbortController;
  /** The client went away before the response finished. */
  readonly aborted: boolean;
  /** Filled as the stages run; what the access log and the metrics report. */
  s3?: S3Request;
  auth?: Principal;
  backend?: Backend;
  /** The request body as the backend gets it (body stage); destroyed when the client stalls. */
  body?: PreparedBody;
  /** Bytes of object body received from / sent to the client. */
  bytesIn: number;
  bytesOut: number;
  errorCode?: string;
  /** Set when the request was an emulated copy. */
  copy?: CopyEmulationSample;
  upstreamRequestId?: string;
}

/** Where a copy's source lives (authorize stage). */
export type CopyTarget = Target<Backend> & { copySource: CopySource };

/** A request that was authenticated and authorized: what ListBuckets works on (no bucket, so no route). */
export interface Authorized extends RequestContext {
  s3: S3Request;
  auth: Principal;
  /** The client's headers the backend may receive (security.md §4). */
  headers: Record<string, string>;
  /** Forwarded without our signature (an unsigned request on a route with `anonymous: backend`). */
  unsigned?: boolean;
}

/** A request routed to its backend with its body prepared: what every bucket and object handler works on. */
export interface Routed extends Authorized {
  route: Target<Backend>['route'];
  backend: Backend;
  body: PreparedBody;
  /** Where a copy's source lives (CopyObject, UploadPartCopy). */
  source?: CopyTarget;
}

// A random prefix per process plus a counter: unique, cheap, and sortable within a process.
const ID_PREFIX = randomBytes(4).toString('hex').toUpperCase();
let counter = 0;

export function newRequestId(): string {
  counter = (counter + 1) >>> 0;
  return ID_PREFIX + counter.toString(16).toUpperCase().padStart(8, '0');
}

class Context implements RequestContext {
  readonly id = newRequestId();
  readonly startedAt = performance.now();
  bytesIn = 0;
  bytesOut = 0;
  aborted = false;
  #abort: AbortController | undefined;
  s3?: S3Request;
  auth?: Principal;
  backend?: Backend;
  body?: PreparedBody;
  errorCode?: string;
  copy?: CopyEmulationSample;
  upstreamRequestId?: string;

  constructor(
    readonly app: Services,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
  ) {}

  get abort(): AbortController {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.aborted) this.#abort.abort();
    }
    return this.#abort;
  }

  /** The response closed: if it did not finish, the client left, and whatever still runs for it stops. */
  closed(): void {
    if (this.res.writableFinished) return;
    this.aborted = true;
    // The access line is written now, possibly before the handler has heard of it.
    this.errorCode ??= 'ClientDisconnected';
    this.#abort?.abort();
  }
}

/** A new request's context; the caller calls `closed()` once the response closed (one listener per response, app.ts). */
export function createContext(app: Services, req: IncomingMessage, res: ServerResponse): RequestContext & { closed(): void } {
  return new Context(app, req, res);
}
