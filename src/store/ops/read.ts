// Embedded store, reading objects: GetObject and HeadObject with conditions, ranges, partNumber, response-content-* overrides and checksums.
import { pipeline } from 'node:stream/promises';
import { parsePartNumber } from '../../s3/names.js';
import { S3Error } from '../../s3/errors.js';
import { evaluateReadConditions } from '../conditions.js';
import { baseHeaders, bucketOf, header, keyOf, type StoreRequest } from '../context.js';
import { blobStream } from '../disk/blob.js';
import { applyResponseOverrides } from '../metadata.js';
import type { Bucket } from '../buckets.js';
import { noSuchVersion, versionIdOf, type OpenObject } from '../objects.js';
import { resolveRange, type ByteSpan } from '../range.js';
import type { ObjectRecord } from '../records.js';
import { expirationHeader } from '../lifecycle.js';
import { lockHeaders } from '../object-lock.js';
import { checkReadKey, customerKey } from '../sse.js';
import { checksumHeaders, objectHeaders, quote, versionHeaders, versionIdParam } from './common.js';

/** What of the object this request reads: all of it, a Range, or one part (GetObject?partNumber=N). */
interface Selection {
  span?: ByteSpan;
  /** The part's own checksum when a whole part is read. */
  partChecksum?: string;
  partsCount?: number;
}

/**
 * partNumber reads one part of a multipart object (an object that was not uploaded in parts has one part).
 * S3 refuses it together with a Range (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax).
 */
function select(r: StoreRequest, record: ObjectRecord, size: number): Selection {
  const partParam = r.s3.query.get('partNumber');
  const range = header(r, 'range');
  if (partParam === undefined) return { span: resolveRange(range, size) };
  if (range !== undefined) throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter');
  const partNumber = parsePartNumber(partParam);
  const parts = record.parts ?? [{ size }];
  if (partNumber > parts.length) throw new S3Error('InvalidPartNumber', undefined, { PartNumberRequested: partNumber, ActualPartCount: parts.length });
  let start = 0;
  for (let i = 0; i < partNumber - 1; i++) start += parts[i]!.size;
  const part = parts[partNumber - 1]!;
  return {
    span: { start, end: start + part.size - 1 },
    ...(part.checksum !== undefined ? { partChecksum: part.checksum } : {}),
    ...(record.parts ? { partsCount: record.parts.length } : {}),
  };
}

/**
 * The version to read. A delete marker is no object: NoSuchKey when it is the current version, 405 when named by
 * its id, both saying it is a marker (https://docs.aws.amazon.com/AmazonS3/latest/userguide/DeleteMarker.html).
 */
async function openForRead(r: StoreRequest): Promise<{ blob: OpenObject; bucket: Bucket }> {
  const bucket = r.store.buckets.require(bucketOf(r));
  const versionId = versionIdParam(r);
  const key = keyOf(r);
  const blob = await r.store.objects.open(bucket.name, key, versionId, { markers: true });
  if (!blob) throw versionId === undefined ? new S3Error('NoSuchKey', undefined, { Key: key }) : noSuchVersion(key, versionId);
  if (blob.record.deleteMarker) {
    await blob.handle.close();
    const headers = { 'x-amz-delete-marker': 'true', 'x-amz-version-id': versionIdOf(blob.record) };
    if (versionId === undefined) throw new S3Error('NoSuchKey', undefined, { Key: key }, { headers });
    throw new S3Error('MethodNotAllowed', undefined, { Method: r.s3.method, ResourceType: 'DeleteMarker' }, { headers: { ...headers, allow: 'DELETE' } });
  }
  return { blob, bucket };
}

/** GetObject (body) and HeadObject (none): same checks, same headers. An SSE-C object is read with its key only. */
async function read(r: StoreRequest, withBody: boolean): Promise<void> {
  const presented = customerKey(r.headers);
  const { blob, bucket } = await openForRead(r);
  let streaming = false;
  try {
    const { record, dataSize } = blob;
    checkReadKey(record.sseCustomer, presented);
    const condition = evaluateReadConditions(r.headers, { etag: quote(record.etag), lastModified: record.lastModified });
    const described = objectHeaders(record);
    const headers: Record<string, string | number> = { ...baseHeaders(r), ...described, ...versionHeaders(bucket, record) };
    if (bucket.record.objectLock) Object.assign(headers, lockHeaders(await r.store.objects.lock(bucket.name, record, blob.path)));
    if (condition === 'not-modified') {
      // 304 carries the validators only (RFC 9110 §15.4.5), no content headers.
      r.res.writeHead(304, { ...baseHeaders(r), etag: described.etag!, 'last-modified': described['last-modified']! });
      r.res.end();
      return;
    }
    const sel = select(r, record, dataSize);
    const overrides: Record<string, string> = {};
    applyResponseOverrides(overrides, r.s3.query);
    Object.assign(headers, overrides);
    if (sel.partsCount !== undefined) headers['x-amz-mp-parts-count'] = sel.partsCount;
    if (header(r, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') {
      // Only for what the checksum covers: the whole object, or a whole part (S3 sends none for a Range).
      if (sel.span === undefined && record.checksum) Object.assign(headers, checksumHeaders(record.checksum));
      else if (sel.partChecksum !== undefined && record.checksum)
        Object.assign(headers, checksumHeaders({ alg: record.checksum.alg, value: sel.partChecksum }));
    }
    // On HEAD too, as S3 answers it.
    const tags = await r.store.objects.tags(bucket.name, record, blob.path);
    if (tags.length > 0) headers['x-amz-tagging-count'] = tags.length;
    const expiration = expirationHeader(bucket.record.configs?.lifecycle, { ...record, tags });
    if (expiration) headers['x-amz-expiration'] = expiration;
    const start = sel.span?.start ?? 0;
    const end = sel.span?.end ?? dataSize - 1;
    headers['content-length'] = end - start + 1;
    if (sel.span) headers['content-range'] = `bytes ${start}-${end}/${dataSize}`;
    r.res.writeHead(sel.span ? 206 : 200, headers);
    if (!withBody) {
      r.res.end();
      return;
    }
    streaming = true;
    // The stream owns the file handle from here on and closes it when it ends or is destroyed (client gone).
    await pipeline(blobStream(blob, start, end), r.res).catch(() => undefined);
  } finally {
    if (!streaming) await blob.handle.close().catch(() => undefined);
  }
}

export function getObject(r: StoreRequest): Promise<void> {
  return read(r, true);
}

export function headObject(r: StoreRequest): Promise<void> {
  return read(r, false);
}
