// Emulated CopyObject: directives, metadata and tags from the source or the request, encryption and checksum from the request, one PUT or a multipart upload (copy-semantics.md §5, §8.1, §11.5, §12).
import type { Routed } from '../context.js';
import { copyObjectResultXml } from '../s3/copy-result.js';
import { S3Error } from '../s3/errors.js';
import { xmlBlocks, xmlText } from '../s3/xml.js';
import { uriEncode } from '../s3/uri.js';
import { readText, sendUpstream } from '../upstream/client.js';
import { EMPTY_SHA256 } from '../s3/hash.js';
import { requireChecksumAlgorithm, type ChecksumAlgorithm } from '../s3/checksums.js';
import { committedAt, resultHeaders, type Destination } from './destination.js';
import { etagIsMd5, md5OfEtag, requestsOpaqueEtag } from './digests.js';
import { multipartCopy, type ObjectChecksum } from './multipart-copy.js';
import { headSource, type SourceObject } from './source.js';
import { copyRange, writePlan, type CopyAnswer, type CopyStats } from './transfer.js';
import { copyPreconditionsFrom, evaluateCopyPreconditions } from '../s3/copy-preconditions.js';
import type { CopyPlan } from './plan.js';

/** Metadata that the COPY directive takes from the source and REPLACE from the request (§5.1). */
const DIRECTIVE_HEADERS = ['content-type', 'content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires'];

/** Always from the request, never copied: storage class, ACL, encryption, lock, redirect (§5.1). */
const REQUEST_ONLY =
  /^(x-amz-storage-class|x-amz-acl|x-amz-grant-.*|x-amz-server-side-encryption.*|x-amz-website-redirect-location|x-amz-object-lock-.*|x-amz-expected-bucket-owner|x-amz-request-payer)$/;

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
  const up = await sendUpstream(src.backend, {
    operation: 'GetObjectTagging',
    method: 'GET',
    bucket: src.backendBucket,
    key: src.source.key,
    query,
    headers: {},
    payloadHash: EMPTY_SHA256,
    signal,
  });
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
  const changes =
    metadata === 'REPLACE' ||
    h['x-amz-storage-class'] !== undefined ||
    h['x-amz-website-redirect-location'] !== undefined ||
    h['x-amz-server-side-encryption'] !== undefined;
  return !changes;
}

/** The checksum the client asked the new object to carry (copy-semantics.md §5.1, §11.5). */
function requestedChecksum(ctx: Routed): ChecksumAlgorithm | undefined {
  const value = ctx.headers['x-amz-checksum-algorithm'];
  if (value === undefined) return undefined;
  return requireChecksumAlgorithm(value);
}

export async function copyObject(ctx: Routed, plan: CopyPlan, dest: Destination, stats: CopyStats): Promise<CopyAnswer> {
  const metadata = directive(ctx, 'x-amz-metadata-directive', 'metadata');
  const tagging = directive(ctx, 'x-amz-tagging-directive', 'tagging');
  if (isSelfCopy(ctx, plan, metadata)) {
    throw new S3Error(
      'InvalidRequest',
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  }
  const requested = requestedChecksum(ctx);
  const preconditions = copyPreconditionsFrom(ctx.headers);
  const src = await headSource(ctx, plan.source, plan.sourceBackend, plan.sourceRoute.backendBucket);
  evaluateCopyPreconditions(preconditions, { etag: src.etag, lastModified: src.lastModified });
  const headers = destinationHeaders(ctx, src, metadata);
  const tags = tagging === 'COPY' ? await sourceTags(src, ctx.abort.signal) : ctx.headers['x-amz-tagging'];
  if (tags) headers['x-amz-tagging'] = tags;
  // SSE-C or SSE-KMS makes the new ETag opaque: a CRC32 then proves the write where the store takes one (§12).
  const opaqueEtag = requestsOpaqueEtag(headers);
  const algorithm = requested ?? (opaqueEtag && dest.backend.capabilities.awsChunked ? 'CRC32' : undefined);

  let etag: string;
  let lastModified: Date;
  let out: Record<string, string>;
  let checksum: ObjectChecksum | undefined;
  if (src.size > ctx.app.config.copy.multipartThreshold) {
    ({ etag, lastModified, headers: out, checksum } = await multipartCopy(ctx, src, dest, headers, stats, { algorithm, opaqueEtag }));
  } else {
    // A whole single-part source whose ETag is its MD5 must arrive with that MD5 (not so for SSE-C/KMS sources, §12).
    const sourceMd5 = etagIsMd5(src.headers) ? md5OfEtag(src.etag) : undefined;
    const write = writePlan(dest, algorithm, opaqueEtag);
    const r = await copyRange(ctx, src, dest, 0, src.size, { headers, signal: ctx.abort.signal, stats, ...write, md5: write.md5 || sourceMd5 !== undefined });
    if (sourceMd5 !== undefined && sourceMd5 !== r.md5Hex) throw new S3Error('InternalError', 'The copied bytes do not match the source ETag.');
    etag = r.etag;
    lastModified = committedAt(r.headers);
    out = resultHeaders(r.headers);
    if (r.checksum) checksum = { ...r.checksum, type: 'FULL_OBJECT' };
  }
  if (src.versionId) out['x-amz-copy-source-version-id'] = src.versionId;
  const checksums = checksum ? { [checksum.alg]: checksum.base64, ChecksumType: checksum.type } : undefined;
  return { xml: copyObjectResultXml({ etag, lastModified, checksums }), headers: out };
}
