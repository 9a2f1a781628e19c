// Copy emulation, source side: HEAD the source, then GET the bytes pinned to the ETag (copy-semantics.md §8.1 steps 2-4).
import type { Readable } from 'node:stream';
import type { RequestContext } from '../context.js';
import type { CopySource } from '../s3/copy-source.js';
import { S3Error } from '../s3/errors.js';
import { headerValue, sseCustomerHeaders } from '../s3/headers.js';
import { xmlText } from '../s3/xml.js';
import type { Backend } from '../upstream/backends.js';
import { callBackend, upstreamFailure, type BackendResponse } from '../upstream/call.js';
import { EMPTY_SHA256 } from '../upstream/sign.js';

export interface SourceObject {
  backend: Backend;
  /** Client-visible source (errors name it). */
  source: CopySource;
  backendBucket: string;
  size: number;
  etag: string;
  lastModified: Date;
  versionId?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** SSE-C keys the client sent to read an encrypted source, as the source backend wants them. */
function sourceSseHeaders(ctx: RequestContext): Record<string, string> {
  return sseCustomerHeaders(ctx.headers!, 'x-amz-copy-source-server-side-encryption-customer-');
}

function versionQuery(source: CopySource): Array<[string, string]> {
  return source.versionId !== undefined ? [['versionId', source.versionId]] : [];
}

/** A source-side failure as S3 would report it for the copy (client-visible names). */
async function sourceError(up: BackendResponse, src: CopySource, backend: Backend, backendBucket: string, signal: AbortSignal, hasBody: boolean): Promise<S3Error> {
  const text = hasBody ? await up.body.text().catch(() => '') : '';
  const code = xmlText(text, 'Code');
  if (up.statusCode === 404) {
    if (code === 'NoSuchBucket') return new S3Error('NoSuchBucket', undefined, { BucketName: src.bucket });
    if (code === 'NoSuchVersion' || (src.versionId !== undefined && code !== 'NoSuchKey')) return new S3Error('NoSuchVersion', undefined, { Key: src.key, VersionId: src.versionId });
    if (code === 'NoSuchKey') return new S3Error('NoSuchKey', undefined, { Key: src.key });
    // HEAD answers carry no body: ask the bucket itself to tell a missing bucket from a missing key.
    const bucket = await callBackend(backend, { method: 'HEAD', bucket: backendBucket, headers: {}, payloadHash: EMPTY_SHA256, signal }).catch(() => undefined);
    await bucket?.body.dump();
    if (bucket?.statusCode === 404) return new S3Error('NoSuchBucket', undefined, { BucketName: src.bucket });
    return src.versionId !== undefined ? new S3Error('NoSuchVersion', undefined, { Key: src.key, VersionId: src.versionId }) : new S3Error('NoSuchKey', undefined, { Key: src.key });
  }
  if (up.statusCode === 403) return new S3Error('AccessDenied', 'Access Denied to the copy source', { BucketName: src.bucket });
  if (up.statusCode === 412) return new S3Error('PreconditionFailed', 'The copy source changed while it was being copied', { Condition: 'x-amz-copy-source-If-Match' });
  if (up.statusCode === 416) return new S3Error('InvalidRange');
  if (code === 'InvalidRequest' || code === 'InvalidArgument') return new S3Error(code, xmlText(text, 'Message'));
  return new S3Error('ServiceUnavailable', `The copy source backend "${backend.name}" answered ${up.statusCode}${code ? ` ${code}` : ''}.`);
}

export async function headSource(ctx: RequestContext, source: CopySource, backend: Backend, backendBucket: string): Promise<SourceObject> {
  let up: BackendResponse;
  try {
    up = await callBackend(backend, {
      method: 'HEAD', bucket: backendBucket, key: source.key, query: versionQuery(source),
      headers: sourceSseHeaders(ctx), payloadHash: EMPTY_SHA256, signal: ctx.abort.signal,
    });
  } catch (err) {
    throw upstreamFailure(backend, err);
  }
  await up.body.dump();
  if (up.statusCode !== 200) throw await sourceError(up, source, backend, backendBucket, ctx.abort.signal, false);
  if (headerValue(up.headers, 'x-amz-delete-marker') === 'true' && source.versionId !== undefined) {
    throw new S3Error('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.');
  }
  const etag = headerValue(up.headers, 'etag') ?? '';
  const lastModified = new Date(headerValue(up.headers, 'last-modified') ?? 0);
  return {
    backend, source, backendBucket, etag, lastModified,
    size: Number(headerValue(up.headers, 'content-length') ?? 0),
    versionId: headerValue(up.headers, 'x-amz-version-id'),
    headers: up.headers,
  };
}

/**
 * Opens the source bytes first..last, pinned to the ETag seen by HEAD so a concurrent overwrite
 * fails the copy instead of producing a mixture (copy-semantics.md §8.1 step 4).
 */
export async function openSourceRange(ctx: RequestContext, src: SourceObject, first: number, length: number, signal: AbortSignal): Promise<Readable> {
  const headers: Record<string, string> = { ...sourceSseHeaders(ctx) };
  if (src.etag) headers['if-match'] = src.etag;
  if (length > 0) headers.range = `bytes=${first}-${first + length - 1}`;
  let up: BackendResponse;
  try {
    up = await callBackend(src.backend, {
      method: 'GET', bucket: src.backendBucket, key: src.source.key, query: versionQuery(src.source),
      headers, payloadHash: EMPTY_SHA256, signal,
    });
  } catch (err) {
    throw upstreamFailure(src.backend, err);
  }
  if (up.statusCode !== 200 && up.statusCode !== 206) throw await sourceError(up, src.source, src.backend, src.backendBucket, signal, true);
  // A backend that ignored Range would send the whole object: the part would be wrong.
  const declared = Number(headerValue(up.headers, 'content-length') ?? -1);
  if (length > 0 && declared !== length) {
    up.body.destroy();
    throw new S3Error('ServiceUnavailable', `The copy source backend "${src.backend.name}" returned ${declared} bytes for a ${length}-byte range.`);
  }
  return up.body;
}
