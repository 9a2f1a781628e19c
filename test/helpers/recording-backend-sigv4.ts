// Test backend, signature side: recomputes each received SigV4 signature with the AWS SDK's own signer.
//
// @smithy/signature-v4 shares no code with s3bridge, so a re-signing bug cannot hide behind the check.
import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { getCanonicalHeaders, getSigningKey, SignatureV4 } from '@smithy/signature-v4';
import type { HeaderBag, HttpRequest } from '@smithy/types';

export interface SigningKey {
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  sessionToken?: string;
}

export type AuthCheck =
  | { ok: true; form: 'header' | 'query'; signedHeaders: string[]; payloadHash: string }
  | { ok: false; status: number; code: string; message: string; elements: Record<string, string> };

const MAX_SKEW_MS = 15 * 60 * 1000;
const STREAMING = /^STREAMING-(UNSIGNED-PAYLOAD-TRAILER|AWS4-HMAC-SHA256-PAYLOAD(-TRAILER)?)$/;

/** Exposes SignatureV4's own canonical-request and string-to-sign steps, so the check shares no code with ours. */
class SdkSigner extends SignatureV4 {
  canonicalRequest(req: HttpRequest, headers: HeaderBag, payloadHash: string): string {
    return this.createCanonicalRequest(req, headers, payloadHash);
  }
  stringToSign(longDate: string, scope: string, canonical: string): Promise<string> {
    return this.createStringToSign(longDate, scope, canonical, 'AWS4-HMAC-SHA256');
  }
}

/** UriEncode (sigv4.md §3.1): everything but A-Z a-z 0-9 - _ . ~ as uppercase %XY of the UTF-8 bytes. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** S3's canonical URI (sigv4.md §3.2.4): the raw path decoded once ("+" stays "+"), UriEncoded with "/" kept. */
export function canonicalPath(rawPath: string): string {
  return decodeURIComponent(rawPath).split('/').map(uriEncode).join('/') || '/';
}

/** The raw query as decoded values; a literal "+" is a space here, as S3 reads it (sigv4.md §3.3.2). */
export function parseQuery(rawQuery: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const decode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    const prev = out[key];
    out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

function isoBasic(d: Date): string {
  return d.toISOString().replace(/[-:]|\.\d{3}/g, '');
}

function parseIsoBasic(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

interface Parsed {
  form: 'header' | 'query';
  credential: string;
  signed: string[];
  signature: string;
  timestamp: string;
  payloadHash: string;
}
type Deny = (status: number, code: string, message: string, elements?: Record<string, string>) => AuthCheck;

/** sigv4.md §2 (header) and §7 (presigned): the signature's parts, or the error S3 gives for a malformed request. */
function parseAuth(req: IncomingMessage, query: Record<string, string | string[]>, now: Date, deny: Deny): Parsed | AuthCheck {
  const one = (name: string): string | undefined => {
    const v = query[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const auth = req.headers.authorization;
  if (auth !== undefined && one('X-Amz-Algorithm') !== undefined) return deny(400, 'InvalidArgument', 'Only one auth mechanism allowed');
  if (auth !== undefined) {
    const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return deny(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
    const amz = req.headers['x-amz-date'];
    const date = typeof amz === 'string' ? parseIsoBasic(amz) : req.headers.date ? new Date(req.headers.date) : undefined;
    if (!date || Number.isNaN(date.getTime())) return deny(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    if (Math.abs(now.getTime() - date.getTime()) > MAX_SKEW_MS) {
      return deny(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', { ServerTime: now.toISOString() });
    }
    const hash = req.headers['x-amz-content-sha256'];
    if (typeof hash !== 'string') return deny(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    if (!/^[0-9a-f]{64}$/.test(hash) && hash !== 'UNSIGNED-PAYLOAD' && !STREAMING.test(hash)) {
      return deny(400, 'InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-…, or a valid sha256 value.', {
        ArgumentName: 'x-amz-content-sha256',
      });
    }
    return { form: 'header', credential: m[1]!, signed: m[2]!.split(';'), signature: m[3]!, timestamp: isoBasic(date), payloadHash: hash };
  }
  if (one('X-Amz-Algorithm') === undefined) return deny(403, 'AccessDenied', 'Anonymous requests are not accepted by this backend');
  if (one('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') return deny(400, 'AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  const [credential, signedList, signature, timestamp, expiresText] = [
    'X-Amz-Credential',
    'X-Amz-SignedHeaders',
    'X-Amz-Signature',
    'X-Amz-Date',
    'X-Amz-Expires',
  ].map(one);
  if (!credential || !signedList || !signature || !timestamp || !expiresText) {
    return deny(
      400,
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const expires = Number(expiresText);
  const signedAt = parseIsoBasic(timestamp);
  if (!Number.isInteger(expires) || expires < 0 || expires > 604800 || !signedAt)
    return deny(400, 'AuthorizationQueryParametersError', 'Malformed X-Amz-Expires or X-Amz-Date');
  if (now.getTime() >= signedAt.getTime() + expires * 1000) return deny(403, 'AccessDenied', 'Request has expired', { 'X-Amz-Expires': expiresText });
  return { form: 'query', credential, signed: signedList.split(';'), signature, timestamp, payloadHash: one('X-Amz-Content-Sha256') ?? 'UNSIGNED-PAYLOAD' };
}

/** Checks one request's SigV4 signature (header or presigned form) in sigv4.md §9 order. Reads no body. */
export async function checkSignature(req: IncomingMessage, key: SigningKey, now = new Date()): Promise<AuthCheck> {
  const region = key.region ?? 'us-east-1';
  const deny: Deny = (status, code, message, elements = {}) => ({ ok: false, status, code, message, elements });
  const url = req.url ?? '/';
  const q = url.indexOf('?'); // never new URL(): it collapses "/./" and "//" (sigv4.md §3.2.5)
  let query: Record<string, string | string[]>;
  let path: string;
  try {
    query = parseQuery(q < 0 ? '' : url.slice(q + 1));
    path = canonicalPath(q < 0 ? url : url.slice(0, q));
  } catch {
    return deny(400, 'InvalidURI', "Couldn't parse the specified URI.");
  }
  const parsed = parseAuth(req, query, now, deny);
  if ('ok' in parsed) return parsed;
  const { form, credential, signed, signature, timestamp, payloadHash } = parsed;

  const scopeError = form === 'header' ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError';
  const [accessKeyId, shortDate, scopeRegion, service, terminator, ...rest] = credential.split('/');
  if (rest.length > 0 || terminator !== 'aws4_request' || service !== 's3') return deny(400, scopeError, 'Bad credential scope');
  if (shortDate !== timestamp.slice(0, 8)) return deny(400, scopeError, 'Invalid credential date. Date is not the same as X-Amz-Date.');
  if (scopeRegion !== region) return deny(400, scopeError, `the region '${scopeRegion}' is wrong; expecting '${region}'`, { Region: region });
  if (accessKeyId !== key.accessKeyId)
    return deny(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId ?? '' });
  if (key.sessionToken !== undefined) {
    const token = form === 'header' ? req.headers['x-amz-security-token'] : query['X-Amz-Security-Token'];
    if (token !== key.sessionToken) return deny(400, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
  }
  if (!signed.includes('host')) return deny(403, 'AccessDenied', 'host must be a signed header');
  // Every x-amz-* header sent must be signed (sigv4.md §3.4): a proxy must not add one after signing.
  const unsigned = Object.keys(req.headers).filter((h) => h.startsWith('x-amz-') && h !== 'x-amz-content-sha256' && !signed.includes(h));
  if (unsigned.length > 0) {
    return deny(403, 'AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(',') });
  }

  // Repeated headers joined with "," in wire order (sigv4.md §3.4); getCanonicalHeaders trims and folds spaces.
  const values: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    if (!signed.includes(name)) continue;
    const v = req.rawHeaders[i + 1]!.trim();
    values[name] = values[name] === undefined ? v : `${values[name]},${v}`;
  }
  for (const name of signed) values[name] ??= '';
  const headers = getCanonicalHeaders({ headers: values } as unknown as HttpRequest, undefined, new Set(signed));
  const credentials = { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
  const signer = new SdkSigner({ service: 's3', region, credentials, sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const request = { method: req.method ?? 'GET', path, query, headers: values } as unknown as HttpRequest;
  const canonicalRequest = signer.canonicalRequest(request, headers, payloadHash);
  const stringToSign = await signer.stringToSign(timestamp, `${shortDate}/${region}/s3/aws4_request`, canonicalRequest);
  const signingKey = await getSigningKey(Sha256, credentials, shortDate, region, 's3');
  if (createHmac('sha256', signingKey).update(stringToSign).digest('hex') !== signature) {
    return deny(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      {
        AWSAccessKeyId: accessKeyId,
        SignatureProvided: signature,
        StringToSign: stringToSign,
        CanonicalRequest: canonicalRequest,
      },
    );
  }
  return { ok: true, form, signedHeaders: signed, payloadHash };
}
