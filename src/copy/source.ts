// Copy emulation, source side: HEAD the source (the version named, with its SSE-C key), then GET the bytes pinned to the ETag (copy-semantics.md §8.1 steps 2-4, §12, §13).
import type { Readable } from 'node:stream';
import type { Routed } from '../context.js';
import type { CopySource } from '../s3/copy-source.js';
import { S3Error } from '../s3/errors.js';
import { headerValue, sseCustomerHeaders } from '../s3/headers.js';
import { xmlText } from '../s3/xml.js';
import type { Backend } from '../upstream/backends.js';
import { drain, readText, sendUpstream } from '../upstream/client.js';
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

/** A source-side failure as S3 would report it for the copy (client-visible names), from the source's error document. */
function sourceError(status: number, text: string, src: CopySource, backend: Backend): S3Error {
  const code = xmlText(text, 'Code');
  if (status === 404) {
    if (code === 'NoSuchBucket') return new S3Error('NoSuchBucket', undefined, { BucketName: src.bucket });
    if (src.versionId !== undefined && code !== 'NoSuchKey') return new S3Error('NoSuchVersion', undefined, { Key: src.key, VersionId: src.versionId });
    return new S3Error('NoSuchKey', undefined, { Key: src.key });
  }
  if (status === 403) return new S3Error('AccessDenied', 'Access Denied to the copy source', { BucketName: src.bucket });
  if (status === 412)
    return new S3Error('PreconditionFailed', 'The copy source changed while it was being copied', { Condition: 'x-amz-copy-source-If-Match' });
  if (status === 416) return new S3Error('InvalidRange');
  // SSE-C without (or with a malformed) key, a version id the store calls malformed: S3's own words (§12, §13).
  if (code === 'InvalidRequest' || code === 'InvalidArgument') return new S3Error(code, xmlText(text, 'Message'));
  return new S3Error('ServiceUnavailable', `The copy source backend "${backend.name}" answered ${status}${code ? ` ${code}` : ''}.`);
}

/**
 * A HEAD failure has no body to say why (missing bucket, key or version, a key needed for SSE-C): one 1-byte GET of
 * the same version asks the store for its error document (copy-semantics.md §13).
 */
async function explainHeadFailure(ctx: Routed, status: number, source: CopySource, backend: Backend, backendBucket: string): Promise<S3Error> {
  if (status !== 400 && status !== 404) return sourceError(status, '', source, backend);
  const up = await sendUpstream(backend, {
    operation: 'GetObject',
    method: 'GET',
    bucket: backendBucket,
    key: source.key,
    query: versionQuery(source),
    headers: { ...sourceSseHeaders(ctx), range: 'bytes=0-0' },
    payloadHash: EMPTY_SHA256,
    signal: ctx.abort.signal,
  }).catch(() => undefined);
  if (up === undefined || up.status < 400 || up.status === 416) {
    // Gone again, or there after all: the HEAD's status is all there is to go on.
    if (up) up.body.destroy();
    return sourceError(status, '', source, backend);
  }
  return sourceError(up.status, await readText(up.body, 64 * 1024).catch(() => ''), source, backend);
}

export async function headSource(ctx: Routed, source: CopySource, backend: Backend, backendBucket: string): Promise<SourceObject> {
  const up = await sendUpstream(backend, {
    operation: 'HeadObject',
    method: 'HEAD',
    bucket: backendBucket,
    key: source.key,
    query: versionQuery(source),
    headers: sourceSseHeaders(ctx),
    payloadHash: EMPTY_SHA256,
    signal: ctx.abort.signal,
  });
  await drain(up.body);
  // A version id naming a delete marker: S3 answers the HEAD 405 with x-amz-delete-marker (copy-semantics.md §2 item 5, §13).
  if (headerValue(up.headers, 'x-amz-delete-marker') === 'true' && source.versionId !== undefined) {
    throw new S3Error('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.');
  }
  if (up.status !== 200) throw await explainHeadFailure(ctx, up.status, source, backend, backendBucket);
  const etag = headerValue(up.headers, 'etag') ?? '';
  const lastModified = new Date(headerValue(up.headers, 'last-modified') ?? 0);
  return {
    backend,
    source,
    backendBucket,
    etag,
    lastModified,
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
    operation: 'GetObject',
    method: 'GET',
    bucket: src.backendBucket,
    key: src.source.key,
    query: versionQuery(src.source),
    headers,
    payloadHash: EMPTY_SHA256,
    signal,
  });
  if (up.status !== 200 && up.status !== 206) throw sourceError(up.status, await readText(up.body).catch(() => ''), src.source, src.backend);
  // A backend that ignored Range would send the whole object: the part would be wrong.
  const declared = Number(headerValue(up.headers, 'content-length') ?? -1);
  if (length > 0 && declared !== length) {
    up.body.destroy();
    throw new S3Error('ServiceUnavailable', `The copy source backend "${src.backend.name}" returned ${declared} bytes for a ${length}-byte range.`);
  }
  return up.body;
}
