// Request auth, verify stage for Signature Version 2: the pure string-to-sign steps (positional headers, x-amz-* headers, resource, sub-resources) that verify-sigv2.ts runs (sigv2.md §3–§5).
import { createHmac } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { RESPONSE_OVERRIDES } from '../s3/operations.js';
import { percentDecode } from '../s3/uri.js';

/**
 * sigv2.md §4.2: the query parameters a SigV2 signer puts into the resource. AWS's documented list,
 * the response-* overrides, and every name botocore signs (its HmacV1Auth list, which is also
 * what the aws CLI v1 and boto3 presigned URLs use), so that any of their requests verifies.
 */
export const SIGNED_SUBRESOURCES: ReadonlySet<string> = new Set([
  'accelerate',
  'acl',
  'analytics',
  'cors',
  'defaultObjectAcl',
  'delete',
  'inventory',
  'lifecycle',
  'location',
  'logging',
  'metrics',
  'notification',
  'object-lock',
  'partNumber',
  'policy',
  'replication',
  'requestPayment',
  'restore',
  'select',
  'select-type',
  'storageClass',
  'tagging',
  'torrent',
  'uploadId',
  'uploads',
  'versionId',
  'versioning',
  'versions',
  'website',
  ...RESPONSE_OVERRIDES,
]);

/**
 * sigv2.md §4.3: parameters that select an S3 operation but that SigV2 signers leave out of the
 * resource (they post-date SigV2). In a presigned URL they must be signed, or anyone holding a
 * URL for PutObject could turn it into PutObjectRetention or PutObjectLegalHold.
 */
export const UNSIGNED_OPERATION_PARAMS: ReadonlySet<string> = new Set([
  'attributes',
  'encryption',
  'intelligent-tiering',
  'legal-hold',
  'metadataTable',
  'ownershipControls',
  'policyStatus',
  'publicAccessBlock',
  'renameObject',
  'retention',
]);

/** One query parameter as sent; `bare` when it had no `=` (`?acl` rather than `?acl=`). */
export interface RawParam {
  name: string;
  rawValue: string;
  bare: boolean;
}

/** Splits a raw query at `&`, names decoded (they are ASCII in practice), values left raw. */
export function splitRawQuery(rawQuery: string): RawParam[] {
  const out: RawParam[] = [];
  if (rawQuery === '') return out;
  for (const piece of rawQuery.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const rawName = eq < 0 ? piece : piece.slice(0, eq);
    out.push({ name: decodeOnce(rawName), rawValue: eq < 0 ? '' : piece.slice(eq + 1), bare: eq < 0 });
  }
  return out;
}

/**
 * Percent-decodes once with `+` kept literal, as botocore (urllib unquote) and the JS SDK v2
 * (decodeURIComponent) do before signing (sigv2.md §4.2). A broken escape is left as sent.
 */
export function decodeOnce(raw: string): string {
  if (!raw.includes('%')) return raw;
  return percentDecode(raw, false)?.toString('utf8') ?? raw;
}

export interface ResourceOptions {
  rawPath: string;
  rawQuery: string;
  /** The bucket named by the Host header (virtual-hosted style), undefined for path style. */
  hostBucket?: string;
  /** Which query names count as sub-resources. */
  subresources: ReadonlySet<string>;
  /** sigv2.md §4.1: sign a path-style bucket-level `/bucket` as `/bucket/`, the way botocore and S3 do. */
  bucketSlash: boolean;
  /** sigv2.md §4.2: decoded values (botocore, AWS) or raw ones (JS SDK v2 for non-response-* names). */
  decodeValues: boolean;
}

/** True for a path-style request naming a bucket and nothing after it: `/bucket`. */
export function isBareBucketPath(rawPath: string): boolean {
  return rawPath.length > 1 && rawPath.indexOf('/', 1) < 0;
}

/** sigv2.md §4: CanonicalizedResource = [/host-bucket] + raw path + sorted signed sub-resources. */
export function canonicalResource(o: ResourceOptions): string {
  const path = o.rawPath === '' ? '/' : o.rawPath;
  let resource: string;
  if (o.hostBucket !== undefined) resource = `/${o.hostBucket}${path}`;
  else resource = o.bucketSlash && isBareBucketPath(path) ? `${path}/` : path;

  const signed = splitRawQuery(o.rawQuery).filter((p) => o.subresources.has(p.name));
  if (signed.length === 0) return resource;
  // Sorted by name only; Array.prototype.sort is stable, so repeats keep their order as botocore's does.
  signed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const parts = signed.map((p) => {
    if (p.bare) return p.name;
    const value = o.decodeValues || p.name.startsWith('response-') ? decodeOnce(p.rawValue) : p.rawValue;
    return `${p.name}=${value}`;
  });
  return `${resource}?${parts.join('&')}`;
}

/** True when decoding changes the value of some signed non-response-* sub-resource (so raw values are a distinct candidate). */
export function decodingMatters(rawQuery: string, subresources: ReadonlySet<string>): boolean {
  return splitRawQuery(rawQuery).some((p) => subresources.has(p.name) && !p.name.startsWith('response-') && decodeOnce(p.rawValue) !== p.rawValue);
}

const LATIN1_ONLY = /^[\u0000-\u00ff]*$/;
const NON_ASCII = /[^\u0000-\u007f]/;
const OBS_FOLD = /\r?\n[ \t]+/g;

/**
 * sigv2.md §3.2 value rule: unfold obsolete line folding into one space and trim; inner runs of
 * spaces stay (botocore signs `y  z` as is). Node hands header bytes over as latin1 chars: when
 * those bytes are valid UTF-8 they are read as UTF-8, so we sign the text the client signed.
 */
export function canonicalAmzValue(value: string): string {
  let v = value;
  if (NON_ASCII.test(v) && LATIN1_ONLY.test(v)) {
    const bytes = Buffer.from(v, 'latin1');
    if (isUtf8(bytes)) v = bytes.toString('utf8');
  }
  return v.replace(OBS_FOLD, ' ').trim();
}

/**
 * sigv2.md §3.2: `name:v1,v2\n` per x-amz-* name, lower-cased, sorted by name, repeated headers
 * joined with `,` in the order given, no space after the comma.
 */
export function canonicalAmzHeaders(pairs: ReadonlyArray<readonly [string, string]>): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    const list = byName.get(lower);
    if (list) list.push(canonicalAmzValue(value));
    else byName.set(lower, [canonicalAmzValue(value)]);
  }
  let out = '';
  for (const name of [...byName.keys()].sort()) out += `${name}:${byName.get(name)!.join(',')}\n`;
  return out;
}

export interface StringToSignV2 {
  method: string;
  contentMd5: string;
  contentType: string;
  /** Date header, empty when x-amz-date is present; the Expires value for query auth (sigv2.md §3.1). */
  date: string;
  /** x-amz-* pairs, any order and case. */
  amzHeaders: ReadonlyArray<readonly [string, string]>;
  resource: string;
}

/** sigv2.md §3: the four positional lines, the x-amz-* lines, the resource; no trailing newline. */
export function stringToSignV2(p: StringToSignV2): string {
  return `${p.method}\n${p.contentMd5}\n${p.contentType}\n${p.date}\n${canonicalAmzHeaders(p.amzHeaders)}${p.resource}`;
}

/** sigv2.md §5: base64(HMAC-SHA1(secret, UTF-8 of the string to sign)). */
export function signV2(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}

/** `47 45 54 0a …`: the StringToSignBytes element S3 adds to SignatureDoesNotMatch for SigV2. */
export function stringToSignBytes(stringToSign: string): string {
  return [...Buffer.from(stringToSign, 'utf8')].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
