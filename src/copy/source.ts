// Copy emulation, source side: HEAD the source, then GET the bytes pinned to the ETag (copy-semantics.md §8.1 steps 2-4).
import type { Readable } from 'node:stream';
import type { Routed } from '../context.js';
import type { CopySource } from '../s3/copy-source.js';
import { S3Error } from '../s3/errors.js';
import { headerValue, sseCustomerHeaders } from '../s3/headers.js';
import { xmlText } from '../s3/xml.js';
import type { Backend } from '../upstream/backends.js';
import { drain, readText, sendUpstream, type UpstreamResponse } from '../upstream/client.js';
import { EMPTY_SHA256 } from '../s3/hash.js';

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
function sourceSseHeaders(ctx: Routed): Record<string, string> {
  return sseCustomerHeaders(ctx.headers, 'x-amz-copy-source-server-side-encryption-customer-');
}

function versionQuery(source: CopySource): Array<[string, string]> {
  return source.versionId !== undefined ? [['versionId', source.versionId]] : [];
}

/** A source-side failure as S3 would report it for the copy (client-visible names). */
async function sourceError(up: UpstreamResponse, src: CopySource, backend: Backend, backendBucket: string, signal: AbortSignal, hasBody: boolean): Promise<S3Error> {
  const text = hasBody ? await readText(up.body).catch(() => '') : '';
  const code = xmlText(text, 'Code');
  if (up.status === 404) {
    if (code === 'NoSuchBucket') return new S3Error('NoSuchBucket', undefined, { BucketName: src.bucket });
    if (code === 'NoSuchVersion' || (src.versionId !== undefined && code !== 'NoSuchKey')) return new S3Error('NoSuchVersion', undefined, { Key: src.key, VersionId: src.versionId });
    if (code === 'NoSuchKey') return new S3Error('NoSuchKey', undefined, { Key: src.key });
    // HEAD answers carry no body: ask the bucket itself to tell a missing bucket from a missing key.
    const bucket = await sendUpstream(backend, { operation: 'HeadBucket', method: 'HEAD', bucket: backendBucket, headers: {}, payloadHash: EMPTY_SHA256, signal }).catch(() => undefined);
    if (bucket) await drain(bucket.body);
    if (bucket?.status === 404) return new S3Error('NoSuchBucket', undefined, { BucketName: src.bucket });
    return src.versionId !== undefined ? new S3Error('NoSuchVersion', undefined, { Key: src.key, VersionId: src.versionId }) : new S3Error('NoSuchKey', undefined, { Key: src.key });
  }
  if (up.status === 403) return new S3Error('AccessDenied', 'Access Denied to the copy source', { BucketName: src.bucket });
  if (up.status === 412) return new S3Error('PreconditionFailed', 'The copy source changed while it was being copied', { Condition: 'x-amz-copy-source-If-Match' });
  if (up.status === 416) return new S3Error('InvalidRange');
  if (code === 'InvalidRequest' || code === 'InvalidArgument') return new S3Error(code, xmlText(text, 'Message'));
  return new S3Error('ServiceUnavailable', `The copy source backend "${backend.name}" answered ${up.status}${code ? ` ${code}` : ''}.`);
}

export async function headSource(ctx: Routed, source: CopySource, backend: Backend, backendBucket: string): Promise<SourceObject> {
  const up = await sendUpstream(backend, {
    operation: 'HeadObject', method: 'HEAD', bucket: backendBucket, key: source.key, query: versionQuery(source),
    headers: sourceSseHeaders(ctx), payloadHash: EMPTY_SHA256, signal: ctx.abort.signal,
  });
  await drain(up.body);
  if (up.status !== 200) throw await sourceError(up, source, backend, backendBucket, ctx.abort.signal, false);
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
export async function openSourceRange(ctx: Routed, src: SourceObject, first: number, length: number, signal: AbortSignal): Promise<Readable> {
  const headers: Record<string, string> = { ...sourceSseHeaders(ctx) };
  if (src.etag) headers['if-match'] = src.etag;
  if (length > 0) headers.range = `bytes=${first}-${first + length - 1}`;
  const up = await sendUpstream(src.backend, {
    operation: 'GetObject', method: 'GET', bucket: src.backendBucket, key: src.source.key, query: versionQuery(src.source),
    headers, payloadHash: EMPTY_SHA256, signal,
  });
  if (up.status !== 200 && up.status !== 206) throw await sourceError(up, src.source, src.backend, src.backendBucket, signal, true);
  // A backend that ignored Range would send the whole object: the part would be wrong.
  const declared = Number(headerValue(up.headers, 'content-length') ?? -1);
  if (length > 0 && declared !== length) {
    up.body.destroy();
    throw new S3Error('ServiceUnavailable', `The copy source backend "${src.backend.name}" returned ${declared} bytes for a ${length}-byte range.`);
  }
  return up.body;
}
