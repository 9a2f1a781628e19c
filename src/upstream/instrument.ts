// Upstream boundary: an undici interceptor composed onto each backend's Pool; times every backend call and counts its failures, so no handler touches metrics.
import type { Dispatcher, Pool } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Metrics } from '../metrics.js';
import { isS3Error } from '../s3/errors.js';
import { classifyOperation, type Method } from '../s3/operations.js';

/**
 * Optional dispatch option naming the AWS operation of a backend call. undici hands the caller's
 * options object to every interceptor unchanged, so a symbol key rides along without reaching the
 * wire (unlike a header, which would also have to be left out of the signature).
 */
export const UPSTREAM_OPERATION: unique symbol = Symbol('s3bridge.upstreamOperation');

export type OperationTagged = { [UPSTREAM_OPERATION]?: string };

/** `pool.request(withOperation({ method, path, ... }, 'UploadPart'))`: skips inferring the name from the request line. */
export function withOperation<T extends object>(opts: T, operation: string): T & OperationTagged {
  (opts as OperationTagged)[UPSTREAM_OPERATION] = operation;
  return opts as T & OperationTagged;
}

export type NetworkErrorKind = 'connect' | 'timeout' | 'reset';

const CONNECT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
/**
 * Failures that are s3bridge's or the client's doing, not the backend's: we aborted the call (the
 * client went away), the client's body came up short, or our own pool was already closed.
 */
const NOT_BACKEND_CODES = new Set(['UND_ERR_ABORTED', 'ABORT_ERR', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED']);

/**
 * The contract's upstream error kind for a failed call (undici errors carry fixed `code`s,
 * lib/core/errors.js), or undefined when the backend is not to blame. Same kinds as call.ts uses
 * for UpstreamError.
 */
export function classifyUpstreamError(err: unknown): NetworkErrorKind | undefined {
  const e = err as (NodeJS.ErrnoException & { cause?: unknown }) | undefined;
  if (!e || typeof e !== 'object') return 'reset';
  if (e.name === 'AbortError' || NOT_BACKEND_CODES.has(e.code ?? '')) return undefined;
  // A request body that failed its integrity check (aws-chunked signature, checksum) aborts the call.
  if (isS3Error(e) || isS3Error(e.cause)) return undefined;
  const code = e.code ?? '';
  if (CONNECT_CODES.has(code)) return 'connect';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  return 'reset';
}

export interface InstrumentOptions {
  /** The backend's addressing style and endpoint host[:port]: needed to find the bucket of a virtual-hosted call. */
  addressing?: 'path' | 'virtual';
  host?: string;
}

function headerOf(headers: Dispatcher.DispatchOptions['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    return undefined;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') return undefined;
  for (const [k, v] of Object.entries(headers as IncomingHttpHeaders)) {
    if (k.toLowerCase() === name && v !== undefined) return Array.isArray(v) ? v.join(',') : String(v);
  }
  return undefined;
}

/**
 * The AWS operation of an upstream request, from its method, path and headers: the backend speaks
 * the same S3 API, so classifyOperation applies unchanged (bucket and key only need to be present).
 */
export function inferOperation(opts: Pick<Dispatcher.DispatchOptions, 'method' | 'path' | 'headers'>, instrument: InstrumentOptions = {}): string {
  const q = opts.path.indexOf('?');
  const pathname = q === -1 ? opts.path : opts.path.slice(0, q);
  const query = new Map(q === -1 ? [] : new URLSearchParams(opts.path.slice(q + 1)));
  let bucket: string | undefined;
  let key: string | undefined;
  const rest = pathname.replace(/^\/+/, '');
  if (instrument.addressing === 'virtual') {
    const host = headerOf(opts.headers, 'host')?.toLowerCase();
    const base = instrument.host?.toLowerCase();
    if (host && base && host !== base && host.endsWith(`.${base}`)) bucket = host.slice(0, -base.length - 1);
    key = rest || undefined;
  } else if (rest) {
    const slash = rest.indexOf('/');
    bucket = slash === -1 ? rest : rest.slice(0, slash);
    key = slash === -1 ? undefined : rest.slice(slash + 1) || undefined;
  }
  const level = bucket === undefined ? 'service' : key === undefined ? 'bucket' : 'object';
  try {
    return classifyOperation(opts.method as Method, level, new Set(query.keys()), headerOf(opts.headers, 'x-amz-copy-source') !== undefined, query.get('list-type')).name;
  } catch {
    return 'Unknown';
  }
}

/** Passes every callback on; notes the status and reports once, when the response ended or failed. */
class MeasuringHandler implements Dispatcher.DispatchHandler {
  #status: number | undefined;
  #done = false;

  constructor(
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly report: (status: number | undefined, err: Error | undefined) => void,
  ) {}

  #finish(err: Error | undefined): void {
    if (this.#done) return;
    this.#done = true;
    this.report(this.#status, err);
  }

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.#status = statusCode;
    this.#finish(undefined);
    this.handler.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    this.#status = statusCode;
    this.handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.handler.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.#finish(undefined);
    this.handler.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    this.#finish(err);
    this.handler.onResponseError?.(controller, err);
  }
}

function isAborted(signal: unknown): boolean {
  return (signal as AbortSignal | undefined)?.aborted === true;
}

/** The interceptor itself, for composing with others: `pool.compose(upstreamMetrics(...), ...)`. */
export function upstreamMetrics(backend: string, metrics: Pick<Metrics, 'recordUpstream'>, instrument: InstrumentOptions = {}): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    const started = performance.now();
    const operation = (opts as OperationTagged)[UPSTREAM_OPERATION] ?? inferOperation(opts, instrument);
    return dispatch(opts, new MeasuringHandler(handler, (status, err) => {
      const durationSeconds = (performance.now() - started) / 1000;
      if (!err) return metrics.recordUpstream({ backend, operation, status, durationSeconds });
      const errorKind = classifyUpstreamError(err);
      if (errorKind === undefined) return;
      // A client that disconnects mid-upload surfaces here as a body error that looks like a reset;
      // proxy.ts aborts the call's signal in the same turn of the event loop, so decide once it is over.
      setImmediate(() => {
        if (isAborted((opts as { signal?: unknown }).signal)) return;
        metrics.recordUpstream({ backend, operation, status, durationSeconds, errorKind });
      });
    }));
  };
}

/**
 * Wraps a backend's Pool so every call through the returned dispatcher is measured as
 * `backend` (its config name). Keep the Pool itself for close()/destroy().
 */
export function instrumentPool(pool: Pool, backend: string, metrics: Pick<Metrics, 'recordUpstream'>, instrument: InstrumentOptions = {}): Dispatcher {
  return pool.compose(upstreamMetrics(backend, metrics, instrument));
}
