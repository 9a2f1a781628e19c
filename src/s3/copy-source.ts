// Copy request parsing, before any backend is called: x-amz-copy-source, x-amz-copy-source-range, partNumber (copy-semantics.md §2, §3, §6.2).
import { S3Error } from './errors.js';
import { hasDotSegment, isValidBucketName } from './names.js';
import { encodeKeyPath, uriEncode } from './uri.js';

export interface CopySource {
  bucket: string;
  key: string;
  versionId?: string;
}

export interface ByteRange {
  first: number;
  last: number;
  length: number;
}

/** Largest object a single CopyObject, or an UploadPartCopy without a range, may copy (copy-semantics.md §1, §3). */
export const MAX_COPY_SOURCE_SIZE = 5 * 1024 ** 3;

/** Longest version id accepted; AWS ids are far shorter, this only bounds garbage. */
const MAX_VERSION_ID_LENGTH = 1024;

const SOURCE_ARG = 'x-amz-copy-source';
const RANGE_ARG = 'x-amz-copy-source-range';

const MSG_NO_BUCKET_KEY = 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey';
const MSG_BAD_ENCODING = 'Invalid copy source encoding.';
const MSG_BAD_VERSION = 'Invalid version id specified';
const MSG_BAD_BUCKET = 'Invalid copy source bucket name';
// AWS has no wording of its own for this: access points and Outposts are not proxied (copy-semantics.md §2 item 4).
const MSG_ARN = 'Access point and Outposts ARNs are not supported as a copy source.';
const MSG_RANGE_SYNTAX =
  'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function sourceError(message: string, header: string): S3Error {
  return new S3Error('InvalidArgument', message, { ArgumentName: SOURCE_ARG, ArgumentValue: header });
}

/**
 * Percent-decodes one component into UTF-8 text; undefined on a bad escape or bad UTF-8.
 * The header string is what node:http hands over: latin1, one char per received byte, so a
 * raw (unencoded) UTF-8 key arrives as several chars 0x80–0xFF and is reassembled here.
 * A char above 0xFF cannot come off the wire and is refused. '+' stays '+' (copy-semantics.md §2 rule 2).
 */
function percentDecode(text: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x25 /* % */) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c > 0xff) {
      return undefined;
    } else {
      bytes.push(c);
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
}

/** The versionId parameter of the query part; other parameters mean nothing to S3 here. */
function versionIdParam(query: string, header: string): string | undefined {
  let versionId: string | undefined;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (name !== 'versionId') continue;
    const value = percentDecode(eq < 0 ? '' : pair.slice(eq + 1));
    if (value === undefined) throw sourceError(MSG_BAD_ENCODING, header);
    // Empty, over-long or control-character ids cannot name a version on any store.
    if (value === '' || value.length > MAX_VERSION_ID_LENGTH || /[\x00-\x20\x7f\\]/.test(value) || value.startsWith('/') || hasDotSegment(value)) {
      throw sourceError(MSG_BAD_VERSION, header);
    }
    versionId = value;
  }
  return versionId;
}

/**
 * Parses x-amz-copy-source (copy-semantics.md §2): split at the first '?', strip one leading
 * '/', split bucket/key at the first '/', then percent-decode each. boto3 sends the version id
 * raw (with '+' and '/'), JS v3 may send the whole value raw: both are accepted.
 */
export function parseCopySource(header: string): CopySource {
  const q = header.indexOf('?');
  let path = q < 0 ? header : header.slice(0, q);
  const query = q < 0 ? '' : header.slice(q + 1);
  if (path.startsWith('/')) path = path.slice(1);

  // Access point / Outposts ARN forms (usually fully encoded, so there may be no raw '/').
  if (/^arn(:|%3A)/i.test(path)) throw sourceError(MSG_ARN, header);

  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) throw sourceError(MSG_NO_BUCKET_KEY, header);
  const bucket = percentDecode(path.slice(0, slash));
  const key = percentDecode(path.slice(slash + 1));
  if (bucket === undefined || key === undefined) throw sourceError(MSG_BAD_ENCODING, header);
  if (bucket === '' || key === '') throw sourceError(MSG_NO_BUCKET_KEY, header);
  // The source bucket is a name that reaches a backend like the request's own (security.md §3.1).
  if (!isValidBucketName(bucket)) throw sourceError(MSG_BAD_BUCKET, header);

  const versionId = versionIdParam(query, header);
  return versionId === undefined ? { bucket, key } : { bucket, key, versionId };
}

/**
 * x-amz-copy-source as sent to a backend for a native copy (copy-semantics.md §8): every part
 * encoded so that any S3 implementation decodes it back to the same bucket, key and version.
 */
export function encodeCopySource(src: CopySource): string {
  let out = `${uriEncode(src.bucket, true)}/${encodeKeyPath(src.key)}`;
  if (src.versionId !== undefined) out += `?versionId=${uriEncode(src.versionId, true)}`;
  return out;
}

function rangeSyntaxError(header: string): S3Error {
  return new S3Error('InvalidArgument', MSG_RANGE_SYNTAX, { ArgumentName: RANGE_ARG, ArgumentValue: header });
}

/**
 * x-amz-copy-source-range syntax (copy-semantics.md §3): only `bytes=first-last`, decimal,
 * first <= last. Suffix, open, multi-range and non-decimal forms are refused.
 * Offsets beyond 2^53 are returned imprecise; resolveCopySourceRange rejects them against any size.
 */
export function parseCopySourceRange(header: string): { first: number; last: number } {
  const m = /^bytes=(\d+)-(\d+)$/.exec(header);
  if (!m) throw rangeSyntaxError(header);
  // BigInt so that first > last is decided exactly even for absurdly long numbers.
  if (BigInt(m[1]!) > BigInt(m[2]!)) throw rangeSyntaxError(header);
  return { first: Number(m[1]), last: Number(m[2]) };
}

/**
 * The bytes an UploadPartCopy copies. Out-of-range answers AWS's 400 InvalidArgument (not
 * Ceph's 416 InvalidRange), and an over-long last byte is not clamped (copy-semantics.md §3).
 * No header: the whole object (an empty object gives length 0, last -1).
 */
export function resolveCopySourceRange(header: string | undefined, sourceSize: number): ByteRange {
  if (header === undefined) return { first: 0, last: sourceSize - 1, length: sourceSize };
  const { first, last } = parseCopySourceRange(header);
  if (!Number.isSafeInteger(last) || last >= sourceSize) {
    throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${sourceSize}`, {
      ArgumentName: RANGE_ARG,
      ArgumentValue: header,
    });
  }
  return { first, last, length: last - first + 1 };
}

/**
 * Refuses a source too big for a single copy (CopyObject, or UploadPartCopy without a range).
 * Clients fall back to multipart copy on exactly this wording (copy-semantics.md §5.1).
 */
export function assertCopySourceSize(sourceSize: number): void {
  if (sourceSize > MAX_COPY_SOURCE_SIZE) {
    throw new S3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE_SIZE}`);
  }
}
