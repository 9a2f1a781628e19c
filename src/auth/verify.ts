// Request auth, the verify stage after parsing the request: checks header or presigned SigV4 in the order of sigv4.md §9 and says who signed and how the body is covered.
import type { ClientConfig } from '../config/schema.js';
import type { PayloadMode } from '../s3/payload.js';
import { formatIsoSeconds, parseAmzDate, parseHttpDate } from '../s3/dates.js';
import { S3Error } from '../s3/errors.js';
import type { KeyStore } from './keys.js';
import { canonicalRequest, stringToSign } from './sigv4.js';
import { hmacSha256Hex, secretsEqual } from '../s3/hash.js';
import {
  HEADER_FAMILY,
  QUERY_FAMILY,
  checkScope,
  parseAuthorization,
  parseCredential,
  parsePayloadHash,
  parseSignedHeaders,
  scanHeaders,
  scanQuery,
  type Credential,
  type HeaderFacts,
  type QueryFacts,
} from './verify-parse.js';

/** rawPath/rawQuery = req.url split at the FIRST '?', untouched; rawHeaders = Node's req.rawHeaders. */
export interface SignedRequest {
  method: string;
  rawPath: string;
  rawQuery: string;
  rawHeaders: string[];
}

export type { PayloadMode } from '../s3/payload.js';

export interface AuthResult {
  client: ClientConfig;
  accessKeyId: string;
  presigned: boolean;
  payload: PayloadMode;
  /** kSigning of the scope, to continue the aws-chunked signature chain. */
  signingKey: Buffer;
  /** ISO basic, e.g. 20130524T000000Z. */
  timestamp: string;
  /** yyyymmdd/region/s3/aws4_request */
  scope: string;
  /** The verified seed signature. A secret for log purposes: never log it. */
  signature: string;
  /** Lower-case names of the headers the signature covers (forwarding keeps these, security.md §4). */
  signedHeaders: string[];
}

/** regions: accepted in the scope; the first is the one named in wrong-region errors. */
export interface VerifyOptions {
  regions: string[];
  now: Date;
}

const MAX_SKEW_MS = 900_000; // sigv4.md §8
const MAX_EXPIRES_SECONDS = 604_800; // sigv4.md §7: 7 days, inclusive

const SIGV2_MESSAGE = 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.';
const BOTH_MESSAGE =
  'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified';
const QUERY_MISSING_MESSAGE =
  'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.';

function mechanism(h: HeaderFacts, q: QueryFacts): 'header' | 'presigned' | 'anonymous' {
  if (h.authorization.length > 0) return 'header';
  if (q.has('X-Amz-Algorithm') || q.has('X-Amz-Credential') || q.has('X-Amz-Signature') || q.has('Signature') || q.has('AWSAccessKeyId')) return 'presigned';
  return 'anonymous';
}

/** sigv4.md §1. Anonymous requests carry no credentials at all; the caller answers AccessDenied. */
export function authMechanism(req: SignedRequest): 'header' | 'presigned' | 'anonymous' {
  return mechanism(scanHeaders(req.rawHeaders), scanQuery(req.rawQuery));
}

/** Verifies a SigV4 request (sigv4.md §9 steps 1–8); throws S3Error with AWS's code, status and elements. */
export function verifyRequest(req: SignedRequest, keys: KeyStore, opts: VerifyOptions): AuthResult {
  const h = scanHeaders(req.rawHeaders);
  const q = scanQuery(req.rawQuery);
  // Step 1: classify (§1).
  const kind = mechanism(h, q);
  if (kind === 'anonymous') throw new S3Error('AccessDenied');
  if (kind === 'header' && (q.has('X-Amz-Algorithm') || q.has('Signature'))) throw new S3Error('InvalidArgument', BOTH_MESSAGE);
  return kind === 'header' ? verifyHeaderAuth(req, h, keys, opts) : verifyPresigned(req, h, q, keys, opts);
}

function verifyHeaderAuth(req: SignedRequest, h: HeaderFacts, keys: KeyStore, opts: VerifyOptions): AuthResult {
  // Step 2: parse the Authorization header (§2). Two of them would leave it open which one was meant.
  if (h.authorization.length > 1)
    throw new S3Error('AuthorizationHeaderMalformed', 'The authorization header is malformed; more than one Authorization header was sent.');
  const auth = parseAuthorization(h.authorization[0]!);

  // Step 3: timestamp (§4) and clock skew (§8). x-amz-date wins over Date.
  const fromDate = h.amzDate === undefined;
  const rawTime = h.amzDate ?? h.date;
  const ms = rawTime === undefined ? undefined : fromDate ? parseHttpDate(rawTime, opts.now.getTime()) : parseAmzDate(rawTime);
  if (rawTime === undefined || ms === undefined) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  const now = opts.now.getTime();
  if (Math.abs(now - ms) > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', undefined, { RequestTime: rawTime, ServerTime: formatIsoSeconds(now), MaxAllowedSkewMilliseconds: MAX_SKEW_MS });
  }
  const timestamp = fromDate ? formatIsoSeconds(ms).replace(/[-:]/g, '') : rawTime;

  // Steps 4–6: scope, key, token, which headers are signed.
  checkScope(auth.credential, timestamp, opts.regions, HEADER_FAMILY);
  const client = lookupClient(keys, auth.credential, h.securityToken);
  checkSignedHeaders(h, auth.signedHeaders, fromDate);

  // Step 7: x-amz-content-sha256 is mandatory with header auth (§3.5).
  if (h.contentSha256 === undefined) throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  const payload = parsePayloadHash(h.contentSha256, 'x-amz-content-sha256');

  return checkSignature(req, keys, {
    client,
    credential: auth.credential,
    timestamp,
    signedHeaders: auth.signedHeaders,
    payloadHash: h.contentSha256,
    payload,
    presigned: false,
    provided: auth.signature,
  });
}

function verifyPresigned(req: SignedRequest, h: HeaderFacts, q: QueryFacts, keys: KeyStore, opts: VerifyOptions): AuthResult {
  // Step 1 (cont.): SigV2 query auth is recognised only to be refused.
  if (!q.has('X-Amz-Algorithm') && (q.has('Signature') || q.has('AWSAccessKeyId'))) throw new S3Error('InvalidRequest', SIGV2_MESSAGE);

  // Step 2: the six parameters (§7). Names are case-sensitive; the first occurrence counts.
  const algorithm = q.get('X-Amz-Algorithm');
  const credentialParam = q.get('X-Amz-Credential');
  const signature = q.get('X-Amz-Signature');
  const amzDate = q.get('X-Amz-Date');
  const signedHeadersParam = q.get('X-Amz-SignedHeaders');
  const expiresParam = q.get('X-Amz-Expires');
  if (!algorithm || !credentialParam || !signature || !amzDate || !signedHeadersParam || !expiresParam) {
    throw new S3Error('AuthorizationQueryParametersError', QUERY_MISSING_MESSAGE);
  }
  if (algorithm !== 'AWS4-HMAC-SHA256') throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const credential = parseCredential(credentialParam, QUERY_FAMILY);
  const signedHeaders = parseSignedHeaders(signedHeadersParam, QUERY_FAMILY);
  const start = parseAmzDate(amzDate);
  if (start === undefined) throw new S3Error('AuthorizationQueryParametersError', "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  const expires = parseExpires(expiresParam);

  // Step 3: valid while X-Amz-Date <= now < X-Amz-Date + X-Amz-Expires; no skew rule, but a
  // URL dated further ahead than the skew allowance is refused (MinIO wording, §7 [?]).
  const now = opts.now.getTime();
  if (now < start - MAX_SKEW_MS) throw new S3Error('AccessDenied', 'Request is not valid yet');
  const end = start + expires * 1000;
  if (now >= end) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      'X-Amz-Expires': expiresParam,
      Expires: formatIsoSeconds(end),
      ServerTime: formatIsoSeconds(now),
    });
  }

  // Steps 4–6.
  checkScope(credential, amzDate, opts.regions, QUERY_FAMILY);
  const client = lookupClient(keys, credential, h.securityToken || q.has('X-Amz-Security-Token'));
  checkSignedHeaders(h, signedHeaders, false);

  // Step 7: UNSIGNED-PAYLOAD unless the URL (or, as MinIO allows, an unsigned header) names another (§3.5).
  const payloadHash = q.get('X-Amz-Content-Sha256') ?? h.contentSha256 ?? 'UNSIGNED-PAYLOAD';
  const payload = parsePayloadHash(payloadHash, q.has('X-Amz-Content-Sha256') ? 'X-Amz-Content-Sha256' : 'x-amz-content-sha256');

  return checkSignature(req, keys, {
    client,
    credential,
    timestamp: amzDate,
    signedHeaders,
    payloadHash,
    payload,
    presigned: true,
    provided: signature,
  });
}

function parseExpires(value: string): number {
  if (/^-\d+$/.test(value)) throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Expires must be non-negative');
  if (!/^\d+$/.test(value)) throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Expires should be a number');
  const seconds = Number(value);
  if (seconds > MAX_EXPIRES_SECONDS) {
    throw new S3Error(
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds',
    );
  }
  // 0 would make a URL that is never valid; refuse it as a parameter error rather than as "expired" (our choice, §7 [?]).
  if (seconds < 1) throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Expires must be at least 1 second');
  return seconds;
}

/**
 * Step 5 (§5, §6). Configured clients have long-lived keys only, so any session token is
 * one we did not issue: InvalidToken rather than silently ignoring a credential the client
 * believes is in force.
 */
function lookupClient(keys: KeyStore, credential: Credential, hasSessionToken: boolean): ClientConfig {
  const client = keys.lookup(credential.accessKeyId);
  if (client === undefined) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: credential.accessKeyId });
  if (hasSessionToken) throw new S3Error('InvalidToken');
  return client;
}

/** Step 6 (§3.4 table): host, every x-amz-* header but x-amz-content-sha256, and Date when it is the timestamp. */
function checkSignedHeaders(h: HeaderFacts, signed: string[], dateIsTimestamp: boolean): void {
  const missing: string[] = [];
  if (!signed.includes('host')) missing.push('host');
  for (const name of h.amzNames) if (name !== 'x-amz-content-sha256' && !signed.includes(name)) missing.push(name);
  if (dateIsTimestamp && !signed.includes('date')) missing.push('date');
  if (missing.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: missing.join(',') });
  }
}

interface Verified {
  client: ClientConfig;
  credential: Credential;
  timestamp: string;
  signedHeaders: string[];
  payloadHash: string;
  payload: PayloadMode;
  presigned: boolean;
  provided: string;
}

/**
 * Step 8 (§3–§5). The error carries AWSAccessKeyId and StringToSign only: enough for a client
 * to compare with its own string to sign, while the provided signature and the canonical
 * request (header values, tokens) never reach an error body or a log line.
 */
function checkSignature(req: SignedRequest, keys: KeyStore, v: Verified): AuthResult {
  const { credential } = v;
  const scope = `${credential.date}/${credential.region}/s3/aws4_request`;
  const canonical = canonicalRequest({
    method: req.method,
    rawPath: req.rawPath,
    rawQuery: req.rawQuery,
    rawHeaders: req.rawHeaders,
    signedHeaders: v.signedHeaders,
    payloadHash: v.payloadHash,
    presigned: v.presigned,
  });
  const sts = stringToSign(v.timestamp, scope, canonical);
  const signingKey = keys.signingKeyFor(v.client, credential.date, credential.region);
  if (!secretsEqual(hmacSha256Hex(signingKey, sts), v.provided)) {
    throw new S3Error('SignatureDoesNotMatch', undefined, { AWSAccessKeyId: credential.accessKeyId, StringToSign: sts });
  }
  return {
    client: v.client,
    accessKeyId: credential.accessKeyId,
    presigned: v.presigned,
    payload: v.payload,
    signingKey,
    timestamp: v.timestamp,
    scope,
    signature: v.provided,
    signedHeaders: v.signedHeaders,
  };
}
