// Emulated CopyObject: directives, metadata and tags from the source or the request, one PUT or a multipart upload (copy-semantics.md §5, §8.1).
import type { Routed } from '../context.js';
import { copyObjectResultXml } from './result-xml.js';
import { S3Error } from '../s3/errors.js';
import { headerValue } from '../s3/headers.js';
import { xmlBlocks, xmlText } from '../s3/xml.js';
import { uriEncode } from '../s3/uri.js';
import { drain, readText, sendUpstream } from '../upstream/client.js';
import { EMPTY_SHA256, sha256Hex } from '../s3/hash.js';
import { committedAt, completeXml, destinationError, md5OfEtag, type Destination } from './destination.js';
import { headSource, type SourceObject } from './source.js';
import { copyRange, destinationSseHeaders, type CopyAnswer, type CopyStats } from './transfer.js';
import { copyPreconditionsFrom, evaluateCopyPreconditions } from './preconditions.js';
import type { CopyPlan } from './plan.js';

/** Metadata that the COPY directive takes from the source and REPLACE from the request (§5.1). */
const DIRECTIVE_HEADERS = ['content-type', 'content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires'];

/** Always from the request, never copied: storage class, ACL, encryption, lock, redirect (§5.1). */
const REQUEST_ONLY = /^(x-amz-storage-class|x-amz-acl|x-amz-grant-.*|x-amz-server-side-encryption.*|x-amz-website-redirect-location|x-amz-object-lock-.*|x-amz-expected-bucket-owner|x-amz-request-payer)$/;

function directive(ctx: Routed, header: string, what: string): 'COPY' | 'REPLACE' {
  const value = ctx.headers[header];
  if (value === undefined) return 'COPY';
  const v = value.trim().toUpperCase();
  if (v === 'COPY' || v === 'REPLACE') return v;
  throw new S3Error('InvalidArgument', `Unknown ${what} directive.`, { ArgumentName: header, ArgumentValue: value });
}

async function sourceTags(src: SourceObject, signal: AbortSignal): Promise<string | undefined> {
  const query: Array<[string, string]> = [['tagging', '']];
  if (src.source.versionId !== undefined) query.push(['versionId', src.source.versionId]);
  const up = await sendUpstream(src.backend, { operation: 'GetObjectTagging', method: 'GET', bucket: src.backendBucket, key: src.source.key, query, headers: {}, payloadHash: EMPTY_SHA256, signal });
  const text = await readText(up.body);
  // Stores without object tagging (501/405) have no tags to copy.
  if (up.status === 501 || up.status === 405) return undefined;
  if (up.status !== 200) throw new S3Error('ServiceUnavailable', `Reading the copy source's tags on "${src.backend.name}" failed with ${up.status}.`);
  const tags = xmlBlocks(text, 'Tag').map((t) => `${uriEncode(xmlText(t, 'Key') ?? '', true)}=${uriEncode(xmlText(t, 'Value') ?? '', true)}`);
  return tags.length ? tags.join('&') : undefined;
}

function destinationHeaders(ctx: Routed, src: SourceObject, metadata: 'COPY' | 'REPLACE'): Record<string, string> {
  const out: Record<string, string> = {};
  const from = metadata === 'COPY' ? src.headers : ctx.headers;
  for (const [name, value] of Object.entries(from)) {
    if (value === undefined) continue;
    if (DIRECTIVE_HEADERS.includes(name) || name.startsWith('x-amz-meta-')) out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  for (const [name, value] of Object.entries(ctx.headers)) {
    if (value !== undefined && REQUEST_ONLY.test(name)) out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

function isSelfCopy(ctx: Routed, plan: CopyPlan, metadata: string): boolean {
  const s3 = ctx.s3;
  if (plan.source.bucket !== s3.bucket || plan.source.key !== s3.key || plan.source.versionId !== undefined) return false;
  const h = ctx.headers;
  const changes = metadata === 'REPLACE' || h['x-amz-storage-class'] !== undefined || h['x-amz-website-redirect-location'] !== undefined || h['x-amz-server-side-encryption'] !== undefined;
  return !changes;
}

/** Above copy.multipartThreshold: a multipart upload on the destination with parallel ranged GETs; aborted on any failure. */
async function multipartCopy(ctx: Routed, src: SourceObject, dest: Destination, headers: Record<string, string>, stats: CopyStats): Promise<{ etag: string; lastModified: Date }> {
  const { partSize, maxConcurrentParts } = ctx.app.config.copy;
  const created = await sendUpstream(dest.backend, { operation: 'CreateMultipartUpload', method: 'POST', bucket: dest.backendBucket, key: dest.key, query: [['uploads', '']], headers, payloadHash: EMPTY_SHA256, signal: ctx.abort.signal });
  if (created.status !== 200) throw await destinationError(created, dest);
  const uploadId = xmlText(await readText(created.body), 'UploadId');
  if (!uploadId) throw new S3Error('InternalError', 'The destination did not return an UploadId.');
  const parts = Math.ceil(src.size / partSize);
  const etags: string[] = new Array(parts);
  const failFast = new AbortController();
  const signal = AbortSignal.any([ctx.abort.signal, failFast.signal]);
  let next = 0;
  const worker = async () => {
    while (next < parts && !signal.aborted) {
      const i = next++;
      const first = i * partSize;
      const r = await copyRange(ctx, src, dest, first, Math.min(partSize, src.size - first), {
        query: [['partNumber', String(i + 1)], ['uploadId', uploadId]], headers: destinationSseHeaders(ctx), signal, stats,
      });
      etags[i] = r.etag;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(maxConcurrentParts, parts) }, () => worker().catch((err) => { failFast.abort(); throw err; })));
    const body = completeXml(etags.map((etag, i) => ({ partNumber: i + 1, etag })));
    const done = await sendUpstream(dest.backend, {
      operation: 'CompleteMultipartUpload',
      method: 'POST', bucket: dest.backendBucket, key: dest.key, query: [['uploadId', uploadId]],
      headers: { 'content-length': String(Buffer.byteLength(body)), 'content-type': 'application/xml' },
      body: Buffer.from(body), payloadHash: sha256Hex(body), signal: ctx.abort.signal,
    });
    if (done.status !== 200) throw await destinationError(done, dest);
    const text = await readText(done.body);
    // CompleteMultipartUpload can fail inside a 200 (copy-semantics.md §1).
    if (xmlText(text, 'Code')) throw new S3Error('InternalError', xmlText(text, 'Message') ?? 'CompleteMultipartUpload failed on the destination.');
    return { etag: xmlText(text, 'ETag') ?? '', lastModified: committedAt(done.headers) };
  } catch (err) {
    // No orphan upload: abort it, whatever went wrong (and even when the client left).
    const abort = await sendUpstream(dest.backend, { operation: 'AbortMultipartUpload', method: 'DELETE', bucket: dest.backendBucket, key: dest.key, query: [['uploadId', uploadId]], headers: {}, payloadHash: EMPTY_SHA256 }).catch(() => undefined);
    if (abort) await drain(abort.body);
    throw err;
  }
}

export async function copyObject(ctx: Routed, plan: CopyPlan, dest: Destination, stats: CopyStats): Promise<CopyAnswer> {
  const metadata = directive(ctx, 'x-amz-metadata-directive', 'metadata');
  const tagging = directive(ctx, 'x-amz-tagging-directive', 'tagging');
  if (isSelfCopy(ctx, plan, metadata)) {
    throw new S3Error('InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
  const preconditions = copyPreconditionsFrom(ctx.headers);
  const src = await headSource(ctx, plan.source, plan.sourceBackend, plan.sourceRoute.backendBucket);
  evaluateCopyPreconditions(preconditions, { etag: src.etag, lastModified: src.lastModified });
  const headers = destinationHeaders(ctx, src, metadata);
  const tags = tagging === 'COPY' ? await sourceTags(src, ctx.abort.signal) : ctx.headers['x-amz-tagging'];
  if (tags) headers['x-amz-tagging'] = tags;

  let etag: string;
  let lastModified: Date;
  let versionId: string | undefined;
  if (src.size > ctx.app.config.copy.multipartThreshold) {
    ({ etag, lastModified } = await multipartCopy(ctx, src, dest, headers, stats));
  } else {
    const r = await copyRange(ctx, src, dest, 0, src.size, { headers, signal: ctx.abort.signal, stats });
    // A whole single-part source whose ETag is its MD5 must arrive with that MD5.
    const srcMd5 = md5OfEtag(src.etag);
    if (srcMd5 !== undefined && srcMd5 !== r.md5Hex) throw new S3Error('InternalError', 'The copied bytes do not match the source ETag.');
    etag = r.etag;
    lastModified = committedAt(r.headers);
    versionId = headerValue(r.headers, 'x-amz-version-id');
  }
  const out: Record<string, string> = {};
  if (src.versionId) out['x-amz-copy-source-version-id'] = src.versionId;
  if (versionId) out['x-amz-version-id'] = versionId;
  return { xml: copyObjectResultXml({ etag, lastModified }), headers: out };
}
