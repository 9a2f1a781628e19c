// forwardToBackend: the pass-through's upstream call on node:http (the client http-proxy builds on), measured faster
// and leaner than undici for pass-through (docs/design.md "http-proxy vs undici"); s3bridge's own calls stay on undici.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { Metrics } from '../metrics.js';
import type { Backend } from './backends.js';
import { backendTarget, upstreamFailure, type BackendRequest } from './call.js';
import { classifyUpstreamError } from './instrument.js';
import { signUpstream } from './sign.js';

/** A backend response as the pass-through relays it. */
export interface ForwardedResponse {
  statusCode: number;
  headers: IncomingMessage['headers'];
  body: Readable;
}

/** One keep-alive agent per backend, sized like its undici pool. */
export function createForwardAgent(origin: string, maxConnections: number): HttpAgent {
  const opts = { keepAlive: true, maxSockets: maxConnections, maxFreeSockets: maxConnections, scheduling: 'lifo' as const };
  return origin.startsWith('https:') ? new HttpsAgent(opts) : new HttpAgent(opts);
}

export async function forwardToBackend(backend: Backend, req: BackendRequest, operation: string, metrics?: Metrics): Promise<ForwardedResponse> {
  try {
    return await forwardOnce(backend, req, operation, metrics);
  } catch (err) {
    // A kept-alive connection the backend closed just as we reused it (node:http's documented race,
    // `request.reusedSocket`): the backend never saw the request, so one retry on a fresh connection
    // is safe. Only without a body: a body stream cannot be sent twice.
    if (!(err instanceof StaleSocketError)) throw err;
    return forwardOnce(backend, req, operation, metrics).catch((again: unknown) => {
      throw again instanceof StaleSocketError ? again.cause : again;
    });
  }
}

/** The request went out on a reused keep-alive socket that turned out to be closed. */
class StaleSocketError extends Error {
  constructor(override readonly cause: unknown) {
    super('stale keep-alive socket');
  }
}

function forwardOnce(backend: Backend, req: BackendRequest, operation: string, metrics?: Metrics): Promise<ForwardedResponse> {
  const target = backendTarget(backend, req.bucket, req.key, req.query ?? []);
  const signed = signUpstream(backend, { method: req.method, host: target.host, path: target.path, headers: req.headers, payloadHash: req.payloadHash });
  const url = new URL(backend.origin);
  const started = performance.now();
  const record = (status: number | undefined, err?: unknown) => {
    if (!metrics) return;
    const errorKind = err === undefined ? undefined : classifyUpstreamError(err);
    if (err !== undefined && errorKind === undefined) return; // our own abort or a body that failed its check
    metrics.recordUpstream({ backend: backend.name, operation, status, durationSeconds: (performance.now() - started) / 1000, errorKind });
  };
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const upstream = send({
      agent: backend.agent,
      hostname: url.hostname,
      port: url.port || undefined,
      method: req.method,
      path: signed.path,
      headers: signed.headers,
      signal: req.signal,
      timeout: backend.timeoutMs,
    });
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('backend timed out'), { code: 'ETIMEDOUT' })));
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (upstream.reusedSocket && err.code === 'ECONNRESET' && !req.body) {
        reject(new StaleSocketError(upstreamFailure(backend, err)));
        return;
      }
      record(undefined, err);
      reject(upstreamFailure(backend, err));
    });
    upstream.on('response', (res) => {
      res.once('end', () => record(res.statusCode));
      res.once('error', (err) => record(res.statusCode, err));
      resolve({ statusCode: res.statusCode ?? 502, headers: res.headers, body: res });
    });
    const body = req.body;
    if (!body) {
      upstream.end();
      return;
    }
    // A body that fails its check (or a client that leaves) aborts the upload before its last byte,
    // also when that happened before we got here.
    if (body.errored || body.destroyed) {
      upstream.destroy(body.errored ?? new Error('the request body was closed'));
      return;
    }
    body.on('error', (err) => upstream.destroy(err));
    body.pipe(upstream);
  });
}

/** Reads a small backend document (errors, listings) as text. */
export async function readText(body: Readable, limit = 32 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('backend document too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
