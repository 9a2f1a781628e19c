// Request auth, the verify stage for Signature Version 2 (header `AWS AKID:sig` and presigned `AWSAccessKeyId`/`Signature`/`Expires`), in the order of sigv2.md §7; returns who signed and how the body is covered.
import { secretsEqual } from '../s3/hash.js';
import type { ClientConfig } from '../config/schema.js';
import { S3Error } from '../s3/errors.js';
import { formatAmzDate, formatIsoSeconds, parseAmzDate, parseHttpDate } from '../s3/dates.js';
import type { KeyStore } from './keys.js';
import { decodeQueryComponent } from '../s3/uri.js';
import {
  SIGNED_SUBRESOURCES,
  UNSIGNED_OPERATION_PARAMS,
  canonicalResource,
  decodeOnce,
  decodingMatters,
  isBareBucketPath,
  signV2,
  splitRawQuery,
  stringToSignBytes,
  stringToSignV2,
  type RawParam,
  type StringToSignV2,
} from './sigv2.js';
import { parsePayloadHash } from './verify-parse.js';
import type { SignedRequest } from './verify.js';
import type { PayloadMode } from '../s3/payload.js';

/** What a SigV2 request proved (sigv2.md §8); shaped like verify.ts's AuthResult minus the SigV4 signing chain. */
export interface SigV2AuthResult {
  version: 2;
  client: ClientConfig;
  accessKeyId: string;
  presigned: boolean;
  payload: PayloadMode;
  /** Presigned: x-amz-*, content-type and content-md5 query parameters absent from the headers (lowercase names, decoded values). */
  hoistedHeaders: Array<[string, string]>;
  /** The verified signature. A secret for log purposes: never log it. */
  signature: string;
  /** Header auth: the request time (ISO basic); presigned: the expiry (ISO basic). */
  timestamp: string;
}

export interface SigV2Options {
  now: Date;
  /** The bucket named by the Host header of a virtual-hosted request; undefined for path style. */
  hostBucket?: string;
}

const MAX_SKEW_MS = 900_000; // sigv2.md §6
const BOTH_MESSAGE =
  'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified';
const HEADER_INVALID = 'AWS authorization header is invalid.  Expected AwsAccessKeyId:signature';
const QUERY_MISSING = 'Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters';

/** Query parameters that belong to SigV2 query auth itself; the forwarder drops them (sigv2.md §8). */
const AUTH_PARAMS = new Set(['AWSAccessKeyId', 'Signature', 'Expires']);
/** Headers botocore moves into a SigV2 presigned URL's query besides x-amz-* (sigv2.md §3.3). */
const HOISTABLE = new Set(['content-type', 'content-md5']);

/** True for a query parameter the forwarder must not send upstream after SigV2 query auth. */
export function isSigV2QueryAuthParam(name: string): boolean {
  return AUTH_PARAMS.has(name) || HOISTABLE.has(name.toLowerCase());
}

interface Facts {
  authorization: string[];
  /** Lowercase name → values in wire order. */
  headers: Map<string, string[]>;
  query: RawParam[];
}

function gather(req: SignedRequest): Facts {
  const headers = new Map<string, string[]>();
  const authorization: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'authorization') authorization.push(value);
    const list = headers.get(name);
    if (list) list.push(value);
    else headers.set(name, [value]);
  }
  return { authorization, headers, query: splitRawQuery(req.rawQuery) };
}

function queryValue(f: Facts, name: string): string | undefined {
  const p = f.query.find((q) => q.name === name);
  return p === undefined ? undefined : decodeOnce(p.rawValue);
}

function header(f: Facts, name: string): string | undefined {
  return f.headers
    .get(name)
    ?.map((v) => v.trim())
    .join(',');
}

/** sigv2.md §1: which SigV2 form a request uses, if any; SigV4 and anonymous requests give undefined. */
export function sigV2Mechanism(req: SignedRequest): 'header' | 'presigned' | undefined {
  return mechanismOf(gather(req));
}

function mechanismOf(f: Facts): 'header' | 'presigned' | undefined {
  if (f.authorization.some((v) => v.startsWith('AWS '))) return 'header';
  if (f.authorization.length > 0 || f.query.some((p) => p.name === 'X-Amz-Algorithm')) return undefined;
  return f.query.some((p) => p.name === 'Signature' || p.name === 'AWSAccessKeyId') ? 'presigned' : undefined;
}

/** Verifies a SigV2 request (sigv2.md §7); throws S3Error with AWS's code, status and elements. */
export function verifySigV2(req: SignedRequest, keys: KeyStore, opts: SigV2Options): SigV2AuthResult {
  const f = gather(req);
  const kind = mechanismOf(f);
  if (kind === undefined) throw new S3Error('AccessDenied');
  if (kind === 'header' && f.query.some((p) => p.name === 'Signature' || p.name === 'X-Amz-Algorithm')) throw new S3Error('InvalidArgument', BOTH_MESSAGE);
  return kind === 'header' ? verifyHeader(req, f, keys, opts) : verifyQuery(req, f, keys, opts);
}

function verifyHeader(req: SignedRequest, f: Facts, keys: KeyStore, opts: SigV2Options): SigV2AuthResult {
  // Step 1: `AWS <akid>:<signature>`; base64 has no ':', so the last one splits. AWS echoes the header
  // as ArgumentValue; we do not, since it carries the signature.
  const value = f.authorization.length === 1 ? f.authorization[0]! : '';
  const colon = value.lastIndexOf(':');
  const accessKeyId = colon < 0 ? '' : value.slice(4, colon).trim();
  const provided = colon < 0 ? '' : value.slice(colon + 1).trim();
  if (!accessKeyId || !provided) throw new S3Error('InvalidArgument', HEADER_INVALID, { ArgumentName: 'Authorization' });

  // Step 2: timestamp and skew (§6). x-amz-date wins over Date, and then the Date line is empty (§3.1).
  const amzDate = header(f, 'x-amz-date');
  const rawTime = amzDate ?? header(f, 'date');
  const now = opts.now.getTime();
  const ms = rawTime === undefined ? undefined : (parseHttpDate(rawTime, now) ?? (amzDate === undefined ? undefined : parseAmzDate(rawTime)));
  if (rawTime === undefined || ms === undefined) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  if (Math.abs(now - ms) > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', undefined, { RequestTime: rawTime, ServerTime: formatIsoSeconds(now), MaxAllowedSkewMilliseconds: MAX_SKEW_MS });
  }

  // Steps 3–4: key, token, body coverage.
  const client = lookupClient(keys, accessKeyId, f.headers.has('x-amz-security-token'));
  const payload = payloadMode(f);

  // Step 5: the signature over every candidate resource (§4.4).
  const amzHeaders = amzPairs(f);
  const base = {
    method: req.method,
    contentMd5: header(f, 'content-md5') ?? '',
    contentType: header(f, 'content-type') ?? '',
    date: amzDate === undefined ? rawTime : '',
    amzHeaders,
  };
  const signature = checkSignature(client, provided, base, candidateResources(req, opts, false));
  return { version: 2, client, accessKeyId, presigned: false, payload, hoistedHeaders: [], signature, timestamp: formatAmzDate(ms) };
}

function verifyQuery(req: SignedRequest, f: Facts, keys: KeyStore, opts: SigV2Options): SigV2AuthResult {
  // Step 1: the three parameters, first occurrence of each (§2.2).
  const accessKeyId = queryValue(f, 'AWSAccessKeyId');
  // An unencoded '+' in the URL is still a '+' here (decodeOnce keeps it); a space can only be a '+' mangled on the way.
  const provided = queryValue(f, 'Signature')?.replace(/ /g, '+');
  const expires = queryValue(f, 'Expires');
  if (!accessKeyId || !provided || expires === undefined) throw new S3Error('AccessDenied', QUERY_MISSING);

  // Step 2: expiry (§2.2, §6): a request received after the Expires instant is refused.
  if (!/^\d{1,12}$/.test(expires)) throw new S3Error('AccessDenied', `Invalid date (should be seconds since epoch): ${expires}`);
  const now = opts.now.getTime();
  const expiresMs = Number(expires) * 1000;
  if (now > expiresMs) {
    throw new S3Error('AccessDenied', 'Request has expired', { Expires: formatIsoSeconds(expiresMs), ServerTime: formatIsoSeconds(now) });
  }

  // Steps 3–4.
  const hasToken = f.headers.has('x-amz-security-token') || f.query.some((p) => p.name.toLowerCase() === 'x-amz-security-token');
  const client = lookupClient(keys, accessKeyId, hasToken);
  const payload = payloadMode(f);

  // Step 5, with the query standing in for headers the URL carries (§3.3).
  const hoistedHeaders = hoisted(f);
  const fromQuery = (name: string): string | undefined => hoistedHeaders.find(([n]) => n === name)?.[1];
  const base = {
    method: req.method,
    contentMd5: header(f, 'content-md5') ?? fromQuery('content-md5') ?? '',
    contentType: header(f, 'content-type') ?? fromQuery('content-type') ?? '',
    date: expires,
    amzHeaders: [...amzPairs(f), ...hoistedHeaders.filter(([n]) => n.startsWith('x-amz-'))],
  };
  const signature = checkSignature(client, provided, base, candidateResources(req, opts, true));
  return { version: 2, client, accessKeyId, presigned: true, payload, hoistedHeaders, signature, timestamp: formatAmzDate(expiresMs) };
}

/** §5: configured clients have long-lived keys only, so any session token is one we did not issue. */
function lookupClient(keys: KeyStore, accessKeyId: string, hasSessionToken: boolean): ClientConfig {
  const client = keys.lookup(accessKeyId);
  if (client === undefined) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKeyId });
  if (hasSessionToken) throw new S3Error('InvalidToken');
  return client;
}

/**
 * sigv2.md §8: SigV2 signs no body hash. An x-amz-content-sha256 header is an ordinary signed
 * x-amz-* header, so a hex hash is held to; Content-MD5, when sent, is signed and checked by the
 * body stage. Chunk signatures need a SigV4 signing key, which a SigV2 request does not have.
 */
function payloadMode(f: Facts): PayloadMode {
  const value = header(f, 'x-amz-content-sha256');
  if (value === undefined) return { kind: 'unsigned' };
  const mode = parsePayloadHash(value, 'x-amz-content-sha256');
  if (mode.kind === 'streaming' && mode.mode !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
    throw new S3Error('InvalidRequest', `${mode.mode} requires AWS Signature Version 4; this request is signed with Signature Version 2.`);
  }
  return mode;
}

function amzPairs(f: Facts): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [name, values] of f.headers) if (name.startsWith('x-amz-')) for (const v of values) pairs.push([name, v]);
  return pairs;
}

/** §3.3: x-amz-*, content-type and content-md5 query parameters whose header is absent; the header wins. */
function hoisted(f: Facts): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const p of f.query) {
    const lower = p.name.toLowerCase();
    if (!(lower.startsWith('x-amz-') || HOISTABLE.has(lower)) || f.headers.has(lower)) continue;
    out.push([lower, decodeQueryComponent(p.rawValue) ?? p.rawValue]);
  }
  return out;
}

/**
 * §4.4: the resources a legitimate client may have signed, the one S3 itself uses first (it is
 * the one named in SignatureDoesNotMatch). Extra candidates only widen what is accepted for the
 * same signed facts: `/bucket` without the slash botocore adds, raw sub-resource values.
 */
function candidateResources(req: SignedRequest, opts: SigV2Options, presigned: boolean): string[] {
  const names = new Set(splitRawQuery(req.rawQuery).map((p) => p.name));
  const extra = [...UNSIGNED_OPERATION_PARAMS].some((n) => names.has(n));
  const strict = new Set([...SIGNED_SUBRESOURCES, ...UNSIGNED_OPERATION_PARAMS]);
  // §4.3: a presigned URL must sign what selects its operation; a header-signed request may follow
  // botocore, whose list lacks the newer names, since it cannot be replayed past the skew window.
  const sets = presigned && extra ? [strict] : extra ? [SIGNED_SUBRESOURCES, strict] : [SIGNED_SUBRESOURCES];
  const slashes = opts.hostBucket === undefined && isBareBucketPath(req.rawPath) ? [true, false] : [true];
  const out: string[] = [];
  for (const subresources of sets) {
    const decodes = decodingMatters(req.rawQuery, subresources) ? [true, false] : [true];
    for (const bucketSlash of slashes) {
      for (const decodeValues of decodes) {
        const r = canonicalResource({ rawPath: req.rawPath, rawQuery: req.rawQuery, hostBucket: opts.hostBucket, subresources, bucketSlash, decodeValues });
        if (!out.includes(r)) out.push(r);
      }
    }
  }
  return out;
}

type Base = Omit<StringToSignV2, 'resource'>;

/**
 * Step 5 (§5). Every candidate is computed and compared in constant time; the error names the
 * first candidate's string to sign (and its bytes, as S3 does), never the provided signature.
 */
function checkSignature(client: ClientConfig, provided: string, base: Base, resources: string[]): string {
  let ok = false;
  for (const resource of resources) {
    if (secretsEqual(signV2(client.secretAccessKey, stringToSignV2({ ...base, resource })), provided)) ok = true;
  }
  if (!ok) {
    const sts = stringToSignV2({ ...base, resource: resources[0]! });
    throw new S3Error('SignatureDoesNotMatch', undefined, { AWSAccessKeyId: client.accessKeyId, StringToSign: sts, StringToSignBytes: stringToSignBytes(sts) });
  }
  return provided;
}
