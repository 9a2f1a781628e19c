// Embedded store, object metadata: request headers → what an object keeps (system and user metadata, tags), and back to response headers; pure.
import { S3Error } from '../s3/errors.js';
import { decodeQueryComponent } from '../s3/uri.js';
import type { DefaultEncryption, SseCustomerRecord } from './records.js';
import { ENCRYPTION_HEADERS, writeEncryption } from './sse.js';

type Headers = Record<string, string | string[] | undefined>;

/** Headers S3 stores with an object and returns on GET/HEAD (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html). */
export const STORED_HEADERS = [
  'content-type',
  'content-encoding',
  'content-disposition',
  'content-language',
  'cache-control',
  'expires',
  'x-amz-website-redirect-location',
  'x-amz-storage-class',
  // SSE-S3 / SSE-KMS (sse.ts); GET and HEAD do not return the encryption context.
  ...ENCRYPTION_HEADERS,
] as const;

/** What PutObject / CreateMultipartUpload / CopyObject (REPLACE) keep besides the bytes. */
export interface ObjectMetadata {
  /** Lowercase names from STORED_HEADERS; values as received (latin1 strings: node:http's byte-for-byte decoding). */
  headers: Record<string, string>;
  /** User metadata: name without the x-amz-meta- prefix (lowercase), value as received. */
  meta: Array<[string, string]>;
}

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html: user metadata is at most 2 KB (names + values, UTF-8). */
const MAX_USER_METADATA_BYTES = 2048;

const STORAGE_CLASSES = new Set([
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'OUTPOSTS',
  'GLACIER_IR',
  'SNOW',
  'EXPRESS_ONEZONE',
]);

function first(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * x-amz-meta-* and the stored system headers of a write request, validated; its encryption (sse.ts) with the
 * bucket's default applied when it names none.
 */
export function metadataFromRequest(headers: Headers, defaultEncryption?: DefaultEncryption): ObjectMetadata & { sseCustomer?: SseCustomerRecord } {
  const encryption = writeEncryption(headers, defaultEncryption);
  const stored: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const value = first(headers, name);
    if (value !== undefined && !(ENCRYPTION_HEADERS as readonly string[]).includes(name)) stored[name] = value;
  }
  Object.assign(stored, encryption.headers);
  // aws-chunked is the request's framing, not the object's encoding (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html).
  if (stored['content-encoding'] !== undefined) {
    const rest = stored['content-encoding']
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s && s.toLowerCase() !== 'aws-chunked');
    if (rest.length) stored['content-encoding'] = rest.join(',');
    else delete stored['content-encoding'];
  }
  stored['content-type'] ??= 'binary/octet-stream';
  const storageClass = stored['x-amz-storage-class'];
  if (storageClass !== undefined) {
    if (!STORAGE_CLASSES.has(storageClass)) throw new S3Error('InvalidStorageClass', undefined, { StorageClassRequested: storageClass });
    if (storageClass === 'STANDARD') delete stored['x-amz-storage-class'];
  }
  const meta: Array<[string, string]> = [];
  let size = 0;
  for (const [name, raw] of Object.entries(headers)) {
    if (!name.startsWith('x-amz-meta-') || raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    const short = name.slice('x-amz-meta-'.length);
    meta.push([short, value]);
    // node:http hands over header bytes as latin1 chars: their count is the byte count.
    size += Buffer.byteLength(short, 'latin1') + Buffer.byteLength(value, 'latin1');
  }
  if (size > MAX_USER_METADATA_BYTES) throw new S3Error('MetadataTooLarge', undefined, { Size: size, MaxSizeAllowed: MAX_USER_METADATA_BYTES });
  return { headers: stored, meta, ...(encryption.customer ? { sseCustomer: encryption.customer } : {}) };
}

/** The response headers of a stored object's metadata (GET, HEAD). */
export function metadataHeaders(m: ObjectMetadata): Record<string, string> {
  const out: Record<string, string> = { ...m.headers };
  for (const [name, value] of m.meta) out[`x-amz-meta-${name}`] = value;
  return out;
}

/** GetObject query parameters that override a response header (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). */
const OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

/** Applies response-content-* overrides; a value that cannot be a header (control or non-latin1 chars) is refused. */
export function applyResponseOverrides(headers: Record<string, string>, query: ReadonlyMap<string, string>): void {
  for (const [param, header] of OVERRIDES) {
    const value = query.get(param);
    if (value === undefined) continue;
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
      throw new S3Error('InvalidArgument', `Header value cannot be represented: ${param}`, { ArgumentName: param, ArgumentValue: value });
    }
    headers[header] = value;
  }
}

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-tagging.html: limits of object tags. */
const MAX_TAGS = 10;
const MAX_TAG_KEY = 128;
const MAX_TAG_VALUE = 256;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const invalidTag = (message: string): S3Error => new S3Error('InvalidTag', message);

/** Validates a tag set as S3 does (objects have at most 10 tags, buckets 50); returns it unchanged. */
export function validateTags(tags: Array<[string, string]>, max = MAX_TAGS): Array<[string, string]> {
  if (tags.length > max) throw invalidTag(max === MAX_TAGS ? 'Object tags cannot be greater than 10' : `Bucket tag count cannot be greater than ${max}`);
  const seen = new Set<string>();
  for (const [key, value] of tags) {
    if ([...key].length > MAX_TAG_KEY) throw invalidTag('The TagKey you have provided is too long, max 128');
    if ([...value].length > MAX_TAG_VALUE) throw invalidTag('The TagValue you have provided is too long, max 256');
    if (key === '' || !TAG_CHARS.test(key)) throw invalidTag('The TagKey you have provided is invalid');
    if (!TAG_CHARS.test(value)) throw invalidTag('The TagValue you have provided is invalid');
    if (key.toLowerCase().startsWith('aws:')) throw invalidTag('Your TagKey cannot be prefixed with aws:');
    if (seen.has(key)) throw invalidTag('Cannot provide multiple Tags with the same key');
    seen.add(key);
  }
  return tags;
}

/** x-amz-tagging: a URL query string ("k1=v1&k2=v2"), https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html. */
export function parseTaggingHeader(value: string | undefined): Array<[string, string]> {
  if (value === undefined || value === '') return [];
  const tags: Array<[string, string]> = [];
  for (const piece of value.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const decode = (s: string): string => {
      const out = decodeQueryComponent(s);
      if (out === undefined)
        throw invalidTag("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.");
      return out;
    };
    tags.push([decode(eq < 0 ? piece : piece.slice(0, eq)), decode(eq < 0 ? '' : piece.slice(eq + 1))]);
  }
  return validateTags(tags);
}
