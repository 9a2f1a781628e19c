// sendUpstream: THE call to a backend, for pass-through and s3bridge's own requests alike: re-sign, send on node:http, one response shape; failures → S3Error here and nowhere else; upstream metrics recorded here.
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { isS3Error, S3Error } from '../s3/errors.js';
import { encodeKeyPath, uriEncode } from '../s3/uri.js';
import type { Backend } from './backends.js';
import { signUpstream } from './sign.js';

export interface UpstreamRequest {
  /** The AWS operation this call performs, for the upstream metrics (passed, never re-derived). */
  operation: string;
  method: string;
  /** The bucket's name on the backend (undefined for ListBuckets). */
  bucket?: string;
  key?: string;
  query?: ReadonlyArray<readonly [string, string]>;
  headers: Record<string, string>;
  body?: Readable | Buffer | null;
  /** Hex SHA-256 of the body as sent, or UNSIGNED-PAYLOAD (sigv4.md §11 item 5). */
  payloadHash: string;
  signal?: AbortSignal;
  /** Send without our signature: an unsigned client request on a route with `anonymous: backend` (the backend's ACLs decide). */
  unsigned?: boolean;
}

/** A backend's answer: the one shape every caller gets. */
export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset';

/** A backend could not be reached or stopped answering; the client sees 503 ServiceUnavailable naming it. */
export class UpstreamError extends S3Error {
  constructor(
    readonly backend: string,
    readonly kind: UpstreamErrorKind,
  ) {
    super('ServiceUnavailable', `The backend "${backend}" ${DETAIL[kind]}.`, {}, { status: 503 });
  }
}

const DETAIL: Record<UpstreamErrorKind, string> = {
  connect: 'could not be reached',
  timeout: 'did not answer in time',
  reset: 'closed the connection',
};

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
/** Errors that are s3bridge's or its client's doing, not the backend's: an abort, a client that left mid-upload. */
const NOT_BACKEND_CODES = new Set(['ABORT_ERR', 'ERR_CLIENT_ABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Marks an error that a backend's response stream raised, so whoever it travels to still blames that backend. */
const FROM_BACKEND = Symbol('s3bridge.fromBackend');
type Tagged = Error & { [FROM_BACKEND]?: UpstreamError };

/** The contract's error kind of a failed call, or undefined when the backend is not to blame. */
export function classifyUpstreamError(err: unknown): UpstreamErrorKind | undefined {
  const e = err as (NodeJS.ErrnoException & { cause?: unknown }) | undefined;
  if (!e || typeof e !== 'object') return 'reset';
  if (e.name === 'AbortError' || NOT_BACKEND_CODES.has(e.code ?? '')) return undefined;
  // A request body that failed its integrity check (aws-chunked signature, checksum) aborts the call.
  if (isS3Error(e) || isS3Error(e.cause)) return undefined;
  if (CONNECT_CODES.has(e.code ?? '')) return 'connect';
  if (e.code === 'ETIMEDOUT') return 'timeout';
  return 'reset';
}

/** What the caller sees of a failed call: the S3Error a body check raised, an abort as is, or UpstreamError naming the right backend. */
function failure(backend: Backend, err: unknown): Error {
  const tagged = (err as Tagged | undefined)?.[FROM_BACKEND];
  if (tagged) return tagged;
  if (isS3Error(err)) return err;
  const cause = (err as { cause?: unknown })?.cause;
  if (isS3Error(cause)) return cause;
  const kind = classifyUpstreamError(err);
  return kind === undefined ? (err as Error) : new UpstreamError(backend.name, kind);
}

function encodeQuery(query: ReadonlyArray<readonly [string, string]>): string {
  return query.map(([k, v]) => `${uriEncode(k, true)}=${uriEncode(v, true)}`).join('&');
}

/** Path and Host for a backend request in the backend's addressing style (sigv4.md §11 item 1, security.md §3.2). */
export function backendTarget(
  backend: Backend,
  bucket: string | undefined,
  key: string | undefined,
  query: ReadonlyArray<readonly [string, string]>,
): { host: string; path: string } {
  const q = query.length ? `?${encodeQuery(query)}` : '';
  const encodedKey = key === undefined ? '' : encodeKeyPath(key);
  if (bucket === undefined) return { host: backend.host, path: `/${q}` };
  if (backend.addressing === 'virtual') return { host: `${bucket}.${backend.host}`, path: `/${encodedKey}${q}` };
  return { host: backend.host, path: key === undefined ? `/${uriEncode(bucket, true)}${q}` : `/${uriEncode(bucket, true)}/${encodedKey}${q}` };
}

export async function sendUpstream(backend: Backend, req: UpstreamRequest): Promise<UpstreamResponse> {
  try {
    return await sendOnce(backend, req);
  } catch (err) {
    // A kept-alive connection the backend closed just as we reused it (node:http's documented race,
    // `request.reusedSocket`): the backend never saw the request, so one retry on a fresh connection is safe.
    // Only without a stream body: a stream cannot be sent twice.
    if (!(err instanceof StaleSocketError)) throw err;
    return sendOnce(backend, req).catch((again: unknown) => {
      throw again instanceof StaleSocketError ? again.cause : again;
    });
  }
}

class StaleSocketError extends Error {
  constructor(override readonly cause: unknown) {
    super('stale keep-alive socket');
  }
}

function sendOnce(backend: Backend, req: UpstreamRequest): Promise<UpstreamResponse> {
  const target = backendTarget(backend, req.bucket, req.key, req.query ?? []);
  const headers = { ...req.headers };
  if (Buffer.isBuffer(req.body)) headers['content-length'] = String(req.body.length);
  // What Node adds by itself to a PUT or POST ended without a body, when its headers are given as a list (below).
  else if (!req.body && req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE' && req.method !== 'OPTIONS') {
    headers['content-length'] ??= '0';
  }
  const signed = req.unsigned
    ? { path: target.path, headers: Object.assign(headers, { host: target.host }) }
    : signUpstream(backend, { method: req.method, host: target.host, path: target.path, headers, payloadHash: req.payloadHash });
  const started = performance.now();
  const record = (status: number | undefined, err?: unknown) => {
    if (!backend.metrics) return;
    const errorKind = err === undefined ? undefined : classifyUpstreamError(err);
    if (err !== undefined && errorKind === undefined) return; // our own abort or a body that failed its check
    backend.metrics.recordUpstream({
      backend: backend.name,
      operation: req.operation,
      status,
      durationSeconds: (performance.now() - started) / 1000,
      errorKind,
    });
  };
  return new Promise((resolve, reject) => {
    const send = backend.tls ? httpsRequest : httpRequest;
    const upstream = send({
      agent: backend.agent,
      hostname: backend.hostname,
      port: backend.port,
      method: req.method,
      path: signed.path,
      // As a flat [name, value, …] list: written as it is (each name and value still validated once), not
      // stored header by header through setHeader first; the headers are ours and set once.
      headers: flatHeaders(signed.headers),
      signal: req.signal,
      timeout: backend.timeoutMs,
    });
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('backend timed out'), { code: 'ETIMEDOUT' })));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      const streamBody = req.body && !Buffer.isBuffer(req.body);
      if (upstream.reusedSocket && err.code === 'ECONNRESET' && !streamBody) {
        reject(new StaleSocketError(failure(backend, err)));
        return;
      }
      record(undefined, err);
      reject(failure(backend, err));
    });
    let answer: IncomingMessage | undefined;
    upstream.on('response', (res: IncomingMessage) => {
      answer = res;
      const status = res.statusCode ?? 502;
      let settled = false;
      const done = (err?: unknown) => {
        if (settled) return;
        settled = true;
        record(status, err);
      };
      res.once('end', () => done());
      res.once('error', (err: Tagged) => {
        // Whoever this error reaches (a copy's destination upload, the client's response) must blame this backend.
        const kind = classifyUpstreamError(err);
        if (kind !== undefined) err[FROM_BACKEND] = new UpstreamError(backend.name, kind);
        done(err);
      });
      res.once('close', () => done());
      resolve({ status, headers: res.headers, body: res });
    });
    const body = req.body;
    if (!body) return void upstream.end();
    if (Buffer.isBuffer(body)) return void upstream.end(body);
    // A body that fails its check (or a client that leaves) aborts the upload before its last byte, also when
    // that happened before we got here.
    if (body.errored || body.destroyed) return void upstream.destroy(body.errored ?? new Error('the request body was closed'));
    body.on('error', (err) => upstream.destroy(err));
    // A body destroyed without an error before its end (a source that was closed quietly) must abort the upload
    // too: pipe() would just stop, and the backend would wait for the rest until its timeout, with the temp file open.
    // An answer that already arrived (a backend that refused early) is relayed whole first.
    body.on('close', () => {
      if (body.readableEnded || upstream.destroyed) return;
      const abort = () => upstream.destroy(Object.assign(new Error('the request body closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      if (!answer || answer.complete || answer.destroyed) abort();
      else answer.once('close', abort);
    });
    body.pipe(upstream);
  });
}

function flatHeaders(headers: Record<string, string>): string[] {
  const flat: string[] = [];
  for (const name in headers) flat.push(name, headers[name]!);
  return flat;
}

/** Reads a small backend document (errors, listings, copy results) as text; bounded. */
export async function readText(body: Readable, limit = 32 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new S3Error('InternalError', 'A backend document was larger than s3bridge reads.', {}, { status: 502 });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a body we do not need to its end, so the connection can be reused. */
export async function drain(body: Readable): Promise<void> {
  body.resume();
  await new Promise<void>((resolve) => {
    if (body.readableEnded || body.destroyed) return resolve();
    body.once('end', resolve);
    body.once('close', resolve);
    body.once('error', () => resolve());
  });
}
