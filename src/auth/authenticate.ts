// authenticate: the verify stage's entry: SigV4, SigV2 (header or presigned) or anonymous → who is asking and what their signature covers.
import type { ClientConfig } from '../config/schema.js';
import type { S3Request } from '../parse/request.js';
import { S3Error } from '../s3/errors.js';
import { parsePayloadHash } from './verify-parse.js';
import { authMechanism, verifyRequest, type SignedRequest } from './verify.js';
import { sigV2Mechanism, verifySigV2 } from './verify-sigv2.js';
import type { KeyStore } from './keys.js';
import type { ChunkSigning, PayloadMode } from '../s3/payload.js';

/** Who sent a request, as the later stages need it. */
export interface Principal {
  /** The configured client; undefined for an unsigned request (routes[].anonymous decides, authorize.ts). */
  client?: ClientConfig;
  accessKeyId?: string;
  /** How the body is covered (sigv4.md §3.5). */
  payload: PayloadMode;
  /** Lower-case names of the headers the signature covers (forwarding keeps these, security.md §4). */
  signedHeaders: string[];
  /** SigV4 only: what continues the signature chain of an aws-chunked body (aws-chunked.md §4). */
  signing?: ChunkSigning;
}

export interface AuthenticateOptions {
  keys: KeyStore;
  /** Regions a SigV4 client may sign for. */
  regions: string[];
  now: Date;
  /** server.signatureV2: when false, SigV2 keeps its InvalidRequest answer. */
  signatureV2: boolean;
}

/** SigV2 signs every x-amz-* header, Content-MD5, Content-Type and Date (sigv2.md §3). */
function sigV2SignedHeaders(headers: Record<string, string>): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('x-amz-') || name === 'content-md5' || name === 'content-type' || name === 'date');
}

/** Query parameters that make a request presigned (sigv4.md §1, sigv2.md §1); the verifiers look closer. */
const PRESIGN_PARAM = /(?:^|&)(?:X-Amz-Algorithm|X-Amz-Credential|X-Amz-Signature|Signature|AWSAccessKeyId)(?:=|&|$)/;

/** Which verifier a request goes to: a cheap look, each verifier then parses what it needs once. */
function mechanismOf(s3: S3Request, signatureV2: boolean): 'v4' | 'v2' | 'anonymous' {
  const authorization = s3.headers.authorization;
  if (authorization !== undefined) return signatureV2 && authorization.startsWith('AWS ') ? 'v2' : 'v4';
  if (!PRESIGN_PARAM.test(s3.rawQuery)) {
    // Percent-encoded parameter names are rare; the full scan decodes them.
    if (!s3.rawQuery.includes('%') || authMechanism({ method: s3.method, rawPath: s3.rawPath, rawQuery: s3.rawQuery, rawHeaders: [] }) === 'anonymous')
      return 'anonymous';
  }
  // A SigV4 presigned URL names its algorithm; SigV2's has Signature/AWSAccessKeyId without one.
  return signatureV2 && !/(?:^|&)X-Amz-Algorithm=/.test(s3.rawQuery) ? 'v2' : 'v4';
}

export function authenticate(s3: S3Request, rawHeaders: string[], opts: AuthenticateOptions): Principal {
  const signed: SignedRequest = { method: s3.method, rawPath: s3.rawPath, rawQuery: s3.rawQuery, rawHeaders };
  const mechanism = mechanismOf(s3, opts.signatureV2);
  if (mechanism === 'anonymous') {
    // An unsigned body is covered by nothing, but a hash the client states is still checked on the way.
    const stated = s3.headers['x-amz-content-sha256'];
    const payload = stated === undefined ? ({ kind: 'unsigned' } as const) : parsePayloadHash(stated, 'x-amz-content-sha256');
    if (payload.kind === 'streaming' && payload.mode !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER')
      throw new S3Error('AccessDenied', 'A signed aws-chunked body needs a signed request.');
    return { payload, signedHeaders: [] };
  }
  if (mechanism === 'v2' && sigV2Mechanism(signed) !== undefined) {
    const v2 = verifySigV2(signed, opts.keys, { now: opts.now, hostBucket: s3.virtualHosted ? s3.bucket : undefined });
    // SigV2 has no chunk signatures: a signed aws-chunked body cannot be verified (sigv2.md §8).
    if (v2.payload.kind === 'streaming' && v2.payload.mode !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
      throw new S3Error('InvalidRequest', 'Signed aws-chunked bodies need Signature Version 4.');
    }
    return { client: v2.client, accessKeyId: v2.accessKeyId, payload: v2.payload, signedHeaders: sigV2SignedHeaders(s3.headers) };
  }
  const v4 = verifyRequest(signed, opts.keys, { regions: opts.regions, now: opts.now });
  return {
    client: v4.client,
    accessKeyId: v4.accessKeyId,
    payload: v4.payload,
    signedHeaders: v4.signedHeaders,
    signing: { signingKey: v4.signingKey, timestamp: v4.timestamp, scope: v4.scope, seedSignature: v4.signature },
  };
}
