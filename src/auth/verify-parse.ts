// Request auth, steps 1–4 of verification: pure parsers for the Authorization header, presign parameters, timestamps and the credential scope (sigv4.md §2, §4, §7).
import { S3Error } from '../s3/errors.js';
import { decodeQueryComponent, splitQuery } from '../s3/uri.js';
import { isAwsChunkedMode, type PayloadMode } from '../s3/payload.js';

/** What verification needs from the headers, gathered in one pass over req.rawHeaders. */
export interface HeaderFacts {
  authorization: string[];
  /** Repeats joined with ',' as in the canonical request (which makes them invalid). */
  amzDate?: string;
  date?: string;
  contentSha256?: string;
  securityToken: boolean;
  /** Lowercase x-amz-* names present, wire order, no repeats. */
  amzNames: string[];
}

export function scanHeaders(raw: string[]): HeaderFacts {
  const facts: HeaderFacts = { authorization: [], securityToken: false, amzNames: [] };
  const join = (prev: string | undefined, v: string): string => (prev === undefined ? v : `${prev},${v}`);
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'authorization') facts.authorization.push(value);
    else if (name === 'date') facts.date = join(facts.date, value);
    else if (name.startsWith('x-amz-')) {
      if (!facts.amzNames.includes(name)) facts.amzNames.push(name);
      if (name === 'x-amz-date') facts.amzDate = join(facts.amzDate, value);
      else if (name === 'x-amz-content-sha256') facts.contentSha256 = join(facts.contentSha256, value);
      else if (name === 'x-amz-security-token') facts.securityToken = true;
    }
  }
  return facts;
}

/** Query parameters with decoded names (case-sensitive, §1); values are decoded on demand. */
export class QueryFacts {
  readonly #names: string[] = [];
  readonly #rawValues: string[] = [];

  constructor(rawQuery: string) {
    for (const [name, value] of splitQuery(rawQuery)) {
      // A bad escape is left as is here; canonicalQuery rejects it with InvalidURI when it matters.
      this.#names.push(decodeQueryComponent(name) ?? name);
      this.#rawValues.push(value);
    }
  }

  has(name: string): boolean {
    return this.#names.includes(name);
  }

  /** First occurrence, decoded. */
  get(name: string): string | undefined {
    const i = this.#names.indexOf(name);
    return i < 0 ? undefined : decodeValue(this.#rawValues[i]!);
  }
}

function decodeValue(raw: string): string {
  return decodeQueryComponent(raw) ?? raw;
}

export function scanQuery(rawQuery: string): QueryFacts {
  return new QueryFacts(rawQuery);
}

/** Header auth errors and presigned errors differ in code and wording (sigv4.md §4, §10). */
export interface ErrorFamily {
  code: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError';
  prefix: string;
  dateMismatch(scopeDate: string, timestampDate: string): string;
}

export const HEADER_FAMILY: ErrorFamily = {
  code: 'AuthorizationHeaderMalformed',
  prefix: 'The authorization header is malformed; ',
  dateMismatch: () => 'The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.',
};

export const QUERY_FAMILY: ErrorFamily = {
  code: 'AuthorizationQueryParametersError',
  prefix: 'Error parsing the X-Amz-Credential parameter; ',
  dateMismatch: (scopeDate, tsDate) => `Invalid credential date "${scopeDate}". This date is not the same as X-Amz-Date: "${tsDate}".`,
};

export interface Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminal: string;
}

export interface ParsedAuthorization {
  credential: Credential;
  signedHeaders: string[];
  signature: string;
}

const HEADER_MALFORMED = 'The authorization header is malformed; ';
const THREE_COMPONENTS = `${HEADER_MALFORMED}the authorization header requires three components: Credential, SignedHeaders, and Signature.`;

/**
 * sigv4.md §2: `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`, components in
 * any order, `,` with optional whitespace, each exactly once. Messages never quote the
 * header: it carries the signature.
 */
export function parseAuthorization(value: string): ParsedAuthorization {
  if (value.startsWith('AWS ')) {
    throw new S3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
  }
  const space = value.indexOf(' ');
  const algorithm = space < 0 ? value : value.slice(0, space);
  // SigV4a is a real AWS algorithm this server lacks, not a malformed request: 501 (not retried by SDKs).
  if (algorithm === 'AWS4-ECDSA-P256-SHA256') {
    throw new S3Error('NotImplemented', 'The AWS4-ECDSA-P256-SHA256 (SigV4a) signing algorithm is not supported. Please use AWS4-HMAC-SHA256.');
  }
  // AWS also echoes the header as ArgumentValue; we do not, since it may carry a credential.
  if (algorithm !== 'AWS4-HMAC-SHA256') throw new S3Error('InvalidArgument', 'Unsupported Authorization Type', { ArgumentName: 'Authorization' });
  if (space < 0) throw new S3Error('AuthorizationHeaderMalformed', THREE_COMPONENTS);

  let credential: string | undefined;
  let signedHeaders: string | undefined;
  let signature: string | undefined;
  for (const part of value.slice(space + 1).split(',')) {
    if (part.trim() === '') continue; // stray commas or nothing at all: judged by what is missing below
    const eq = part.indexOf('=');
    const key = eq < 0 ? '' : part.slice(0, eq).trim();
    const val = part.slice(eq + 1).trim();
    if (key === 'Credential' && credential === undefined) credential = val;
    else if (key === 'SignedHeaders' && signedHeaders === undefined) signedHeaders = val;
    else if (key === 'Signature' && signature === undefined) signature = val;
    else
      throw new S3Error(
        'AuthorizationHeaderMalformed',
        `${HEADER_MALFORMED}each of Credential, SignedHeaders and Signature must appear exactly once, and nothing else.`,
      );
  }
  if (!credential || !signedHeaders || !signature) throw new S3Error('AuthorizationHeaderMalformed', THREE_COMPONENTS);
  return { credential: parseCredential(credential, HEADER_FAMILY), signedHeaders: parseSignedHeaders(signedHeaders, HEADER_FAMILY), signature };
}

const SCOPE_DATE = /^\d{8}$/;

/** `<akid>/<yyyymmdd>/<region>/<service>/aws4_request`; the key id never contains '/'. */
export function parseCredential(value: string, family: ErrorFamily): Credential {
  const parts = value.split('/');
  const [accessKeyId, date, region, service, terminal] = parts;
  if (parts.length !== 5 || !accessKeyId || !date || !SCOPE_DATE.test(date) || !region || !service || !terminal) {
    throw new S3Error(family.code, `${family.prefix}the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`);
  }
  return { accessKeyId, date, region, service, terminal };
}

/** Lowercase names joined with ';' (§2); an empty entry cannot name a header. */
export function parseSignedHeaders(value: string, family: ErrorFamily): string[] {
  const names = value.split(';');
  if (names.includes('')) {
    const message = family === HEADER_FAMILY ? `${HEADER_MALFORMED}the SignedHeaders component is mal-formed.` : 'X-Amz-SignedHeaders is mal-formed.';
    throw new S3Error(family.code, message);
  }
  return names;
}

/** Step 4 (§4): scope date = timestamp date, region accepted, service s3, aws4_request. */
export function checkScope(c: Credential, timestamp: string, regions: string[], family: ErrorFamily): void {
  const tsDate = timestamp.slice(0, 8);
  if (c.date !== tsDate) throw new S3Error(family.code, family.dateMismatch(c.date, tsDate));
  if (!regions.includes(c.region)) {
    const expected = regions[0] ?? 'us-east-1';
    throw new S3Error(family.code, `${family.prefix}the region '${c.region}' is wrong; expecting '${expected}'`, { Region: expected });
  }
  if (c.service !== 's3') throw new S3Error(family.code, `${family.prefix}incorrect service "${c.service}". This endpoint belongs to "s3".`);
  if (c.terminal !== 'aws4_request') throw new S3Error(family.code, `${family.prefix}incorrect terminal "${c.terminal}". This endpoint uses "aws4_request".`);
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** sigv4.md §3.5: the HashedPayload value → how the body is covered. */
export function parsePayloadHash(value: string, argumentName: string): PayloadMode {
  if (value === 'UNSIGNED-PAYLOAD') return { kind: 'unsigned' };
  if (isAwsChunkedMode(value)) return { kind: 'streaming', mode: value };
  if (value.length === 64 && SHA256_HEX.test(value)) return { kind: 'sha256', hash: value.toLowerCase() };
  if (value === 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD' || value === 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER') {
    throw new S3Error('NotImplemented', 'SigV4a streaming payloads (STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD) are not supported.');
  }
  throw new S3Error(
    'InvalidArgument',
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, ' +
      'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value.',
    { ArgumentName: argumentName, ArgumentValue: value },
  );
}
