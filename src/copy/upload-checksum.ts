// Emulated UploadPartCopy, before any byte moves: does the destination upload exist, and which checksum must its parts carry (copy-semantics.md §8.2 step 1, §11.2).
import { LRUCache } from 'lru-cache';
import { parseChecksumAlgorithm, type ChecksumAlgorithm } from '../s3/checksums.js';
import { S3Error } from '../s3/errors.js';
import { EMPTY_SHA256 } from '../s3/hash.js';
import { xmlBlocks, xmlText } from '../s3/xml.js';
import { drain, readText, sendUpstream } from '../upstream/client.js';
import { destinationError, type Destination } from './destination.js';

/** What CreateMultipartUpload fixed for an upload. `name` keeps an algorithm s3bridge cannot compute, to refuse it by name. */
export interface UploadChecksum {
  algorithm?: ChecksumAlgorithm;
  type?: 'COMPOSITE' | 'FULL_OBJECT';
  /** An algorithm the store named that s3bridge does not implement. */
  unknown?: string;
}

/**
 * One answer per upload: an upload's algorithm never changes, so a replica asks once and stays stateless
 * (another replica asks for itself). Existence is never cached: ListParts runs for every part (§8.2 step 1).
 */
const CACHE = new LRUCache<string, UploadChecksum>({ max: 10_000 });
/** ListMultipartUploads pages read at most while looking for one upload. */
const MAX_LISTING_PAGES = 10;

/** The checksum fields of a ListPartsResult or of one <Upload> of a ListMultipartUploadsResult; undefined when it names no algorithm. */
export function readUploadChecksum(doc: string): UploadChecksum | undefined {
  // ListParts' <Part> children carry ChecksumCRC32 etc., never ChecksumAlgorithm: the first match is the upload's.
  const named = xmlText(doc, 'ChecksumAlgorithm')?.trim();
  if (!named) return undefined;
  const type = xmlText(doc, 'ChecksumType')?.trim().toUpperCase();
  const out: UploadChecksum = {};
  const algorithm = parseChecksumAlgorithm(named);
  if (algorithm) out.algorithm = algorithm;
  else out.unknown = named;
  if (type === 'COMPOSITE' || type === 'FULL_OBJECT') out.type = type;
  return out;
}

/** In a ListMultipartUploadsResult page: the upload with this id and key, if listed. */
export function findUpload(doc: string, uploadId: string, key: string): string | undefined {
  return xmlBlocks(doc, 'Upload').find((u) => xmlText(u, 'UploadId')?.trim() === uploadId && xmlText(u, 'Key') === key);
}

async function listParts(dest: Destination, uploadId: string, signal: AbortSignal): Promise<string> {
  const up = await sendUpstream(dest.backend, {
    operation: 'ListParts',
    method: 'GET',
    bucket: dest.backendBucket,
    key: dest.key,
    query: [
      ['max-parts', '1'],
      ['uploadId', uploadId],
    ],
    headers: {},
    payloadHash: EMPTY_SHA256,
    signal,
  });
  if (up.status === 404) {
    const err = await destinationError(up, dest);
    if (err.code === 'NoSuchUpload' || err.code === 'NoSuchKey') throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
    throw err;
  }
  // Stores without ListParts (s3rver: 405) cannot tell; the UploadPart itself will.
  if (up.status !== 200) {
    await drain(up.body);
    return '';
  }
  return readText(up.body, 1024 * 1024);
}

/**
 * ListMultipartUploads with prefix = key, paged, until the upload shows up: moto 5.2.1 names the algorithm there but
 * not in ListParts (§11.2). Undefined when the listing could not be read to the end (nothing is cached then); a store
 * that does not implement it (501, 405) answers "no algorithm".
 */
async function fromListing(dest: Destination, uploadId: string, signal: AbortSignal): Promise<UploadChecksum | undefined> {
  let markers: Array<[string, string]> = [];
  for (let page = 0; page < MAX_LISTING_PAGES; page++) {
    const up = await sendUpstream(dest.backend, {
      operation: 'ListMultipartUploads',
      method: 'GET',
      bucket: dest.backendBucket,
      query: [['prefix', dest.key], ['uploads', ''], ...markers],
      headers: {},
      payloadHash: EMPTY_SHA256,
      signal,
    });
    if (up.status !== 200) {
      await drain(up.body);
      // A store without the listing (s3rver: 501) has no checksum-typed uploads either: that answer is definitive.
      return up.status === 501 || up.status === 405 ? {} : undefined;
    }
    const doc = await readText(up.body, 4 * 1024 * 1024);
    const upload = findUpload(doc, uploadId, dest.key);
    if (upload !== undefined) return readUploadChecksum(upload) ?? {};
    const nextKey = xmlText(doc, 'NextKeyMarker');
    const nextId = xmlText(doc, 'NextUploadIdMarker');
    if (xmlText(doc, 'IsTruncated')?.trim() !== 'true' || nextKey === undefined || nextId === undefined) return {};
    markers = [
      ['key-marker', nextKey],
      ['upload-id-marker', nextId],
    ];
  }
  return undefined;
}

/**
 * Checks that the upload exists (404 NoSuchUpload otherwise) and returns the checksum its parts must carry
 * (copy-semantics.md §11.2): from ListParts when the store names it there (S3 does), else from
 * ListMultipartUploads, once per upload id.
 */
export async function destinationUpload(dest: Destination, uploadId: string, signal: AbortSignal): Promise<UploadChecksum> {
  const parts = await listParts(dest, uploadId, signal);
  const cacheKey = `${dest.backend.name}\n${dest.backendBucket}\n${dest.key}\n${uploadId}`;
  const named = readUploadChecksum(parts);
  if (named) {
    CACHE.set(cacheKey, named);
    return named;
  }
  const cached = CACHE.get(cacheKey);
  if (cached) return cached;
  const listed = await fromListing(dest, uploadId, signal);
  if (listed === undefined) return {};
  CACHE.set(cacheKey, listed);
  return listed;
}
