// callBackend: last pipeline stage; builds the backend URL, re-signs, sends with the backend's undici Pool; network errors → S3Error.
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { S3Error, isS3Error } from '../s3/errors.js';
import { encodeKeyPath, uriEncode } from '../s3/uri.js';
import type { Backend } from './backends.js';
import { signUpstream } from './sign.js';
import { classifyUpstreamError } from './instrument.js';

export interface BackendRequest {
  method: string;
  /** The bucket's name on the backend (undefined for ListBuckets). */
  bucket?: string;
  key?: string;
  query?: ReadonlyArray<readonly [string, string]>;
  headers: Record<string, string>;
  body?: Readable | null;
  /** Hex SHA-256 of the body as sent, or UNSIGNED-PAYLOAD. */
  payloadHash: string;
  signal?: AbortSignal;
}

export type BackendResponse = Dispatcher.ResponseData;

export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset';

/** Why a backend call failed, for logs and metrics; kept on the S3Error we throw. */
export class UpstreamError extends S3Error {
  constructor(readonly backend: string, readonly kind: UpstreamErrorKind, detail: string) {
    super('ServiceUnavailable', `The backend "${backend}" ${detail}.`, {}, { status: 503 });
  }
}

export function encodeQuery(query: ReadonlyArray<readonly [string, string]>): string {
  return query.map(([k, v]) => `${uriEncode(k, true)}=${uriEncode(v, true)}`).join('&');
}

/** Path and Host for a backend request in the backend's addressing style (sigv4.md §11 item 1). */
export function backendTarget(backend: Backend, bucket: string | undefined, key: string | undefined, query: ReadonlyArray<readonly [string, string]>): { host: string; path: string } {
  const q = query.length ? `?${encodeQuery(query)}` : '';
  const encodedKey = key === undefined ? '' : encodeKeyPath(key);
  if (bucket === undefined) return { host: backend.host, path: `/${q}` };
  if (backend.addressing === 'virtual') return { host: `${bucket}.${backend.host}`, path: `/${encodedKey}${q}` };
  return { host: backend.host, path: key === undefined ? `/${uriEncode(bucket, true)}${q}` : `/${uriEncode(bucket, true)}/${encodedKey}${q}` };
}

const DETAIL: Record<UpstreamErrorKind, string> = {
  connect: 'could not be reached',
  timeout: 'did not answer in time',
  reset: 'closed the connection',
};

/** Converts a failure of an upstream call into what the client should see. */
export function upstreamFailure(backend: Backend, err: unknown): Error {
  if (isS3Error(err)) return err;
  const e = err as NodeJS.ErrnoException;
  if (e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED') return e;
  // A request body that failed its integrity check surfaces as the cause of undici's error.
  if (isS3Error((e as { cause?: unknown })?.cause)) return (e as { cause: S3Error }).cause;
  const kind = classifyUpstreamError(e) ?? 'reset';
  return new UpstreamError(backend.name, kind, DETAIL[kind]);
}

export async function callBackend(backend: Backend, req: BackendRequest): Promise<BackendResponse> {
  const target = backendTarget(backend, req.bucket, req.key, req.query ?? []);
  const signed = signUpstream(backend, { method: req.method, host: target.host, path: target.path, headers: req.headers, payloadHash: req.payloadHash });
  try {
    return await backend.upstream.request({
      method: req.method as Dispatcher.HttpMethod,
      path: signed.path,
      headers: signed.headers,
      body: req.body ?? null,
      signal: req.signal,
    });
  } catch (err) {
    throw upstreamFailure(backend, err);
  }
}
