// Browser POST uploads, verify stage (after the form's fields are read, before the file streams): the policy's signature (SigV4 or SigV2), its expiration and conditions, and the length rule the body stage enforces (post-object.md).
import { createHmac } from 'node:crypto';
import type { ClientConfig } from '../config/schema.js';
import { S3Error } from '../s3/errors.js';
import { parseAmzDate } from '../s3/dates.js';
import type { KeyStore } from './keys.js';
import { decodePolicy, type PolicyCondition } from './post-policy-document.js';
import { hmacSha256Hex as hmacHex, secretsEqual } from '../s3/hash.js';
import { QUERY_FAMILY, checkScope, parseCredential } from './verify-parse.js';

/** Text fields before the file part, names as sent, in order (repeats kept). */
export type PostFields = ReadonlyArray<readonly [string, string]>;

export interface PostPolicyInput {
  fields: PostFields;
  /** The file part's filename as the browser sent it (it may carry a path). */
  filename?: string;
  /** The client-visible bucket the form was posted to. */
  bucket: string;
}

export interface PostVerifyOptions {
  /** Accepted in the SigV4 credential scope; the first is named in wrong-region errors. */
  regions: string[];
  now: Date;
}

export interface LengthRange {
  min: number;
  max: number;
}

/** What a verified form asks for: who signed, where the object goes, and how it is stored and answered. */
export interface PostUpload {
  version: 2 | 4;
  client: ClientConfig;
  accessKeyId: string;
  /** The object key, `${filename}` substituted. */
  key: string;
  /** content-length-range, for checkPostLength; undefined when the policy sets none. */
  lengthRange?: LengthRange;
  /** Fields that are PutObject request headers (lower-case names): Content-*, Cache-Control, Expires, x-amz-*, acl as x-amz-acl. */
  headers: Array<[string, string]>;
  successActionStatus?: string;
  successActionRedirect?: string;
}

/** post-object.md §6: S3's single-upload limit applies to POST too. */
export const MAX_POST_OBJECT_BYTES = 5 * 1024 ** 3;

/** post-object.md §4: fields no condition needs to name. */
const EXEMPT = new Set(['file', 'policy', 'x-amz-signature', 'signature', 'awsaccesskeyid']);
/** post-object.md §7: fields that become headers under their own name. */
const HEADER_FIELDS = new Set(['cache-control', 'content-type', 'content-disposition', 'content-encoding', 'content-language', 'expires']);
/** Signature fields: x-amz-* by name, but never headers of the stored object. */
const AUTH_FIELDS = new Set(['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature', 'x-amz-security-token']);

// post-object.md §2: the one variable a form field may carry (spelled out so it never reads as a template).
const FILENAME_VARIABLE = '$' + '{filename}';
const FIELD_ORDER = 'If it is specified, please check the order of the fields.';

/** Lower-case name → value (repeats joined with ',', post-object.md §2), plus the spelling first sent. */
class FormFields {
  readonly #values = new Map<string, string>();
  readonly #spelling = new Map<string, string>();

  constructor(fields: PostFields, filename: string) {
    for (const [name, raw] of fields) {
      const lower = name.toLowerCase();
      // post-object.md §2: ${filename} is expanded in every field before the policy is checked.
      const value = raw.split(FILENAME_VARIABLE).join(filename);
      const prev = this.#values.get(lower);
      this.#values.set(lower, prev === undefined ? value : `${prev},${value}`);
      if (!this.#spelling.has(lower)) this.#spelling.set(lower, name);
    }
  }

  get(lower: string): string | undefined {
    return this.#values.get(lower);
  }

  has(lower: string): boolean {
    return this.#values.has(lower);
  }

  entries(): Array<[lower: string, value: string, asSent: string]> {
    return [...this.#values].map(([lower, value]) => [lower, value, this.#spelling.get(lower)!]);
  }
}

/** post-object.md §2: only the text after the last `/` or `\` of the browser's filename. */
function baseName(filename: string | undefined): string {
  if (!filename) return '';
  return filename.slice(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
}

function missingField(name: string): S3Error {
  return new S3Error('InvalidArgument', `Bucket POST must contain a field named '${name}'.  ${FIELD_ORDER}`, { ArgumentName: name, ArgumentValue: '' });
}

/** post-object.md §1: which signature the form carries, by its fields (names case-insensitive). */
export function postAuthMechanism(fields: PostFields): 'v4' | 'v2' | 'anonymous' {
  const names = new Set(fields.map(([n]) => n.toLowerCase()));
  if (['x-amz-algorithm', 'x-amz-credential', 'x-amz-date', 'x-amz-signature'].some((n) => names.has(n))) return 'v4';
  if (names.has('awsaccesskeyid') || names.has('signature')) return 'v2';
  return 'anonymous';
}

/**
 * Verifies a form in the order of post-object.md §8 and returns what the upload may do; throws
 * S3Error with AWS's code. The file's length is checked later, with checkPostLength.
 */
export function verifyPostPolicy(input: PostPolicyInput, keys: KeyStore, opts: PostVerifyOptions): PostUpload {
  const form = new FormFields(input.fields, baseName(input.filename));
  const key = form.get('key');
  if (!key) throw missingField('key');
  const mechanism = postAuthMechanism(input.fields);
  if (mechanism === 'anonymous') throw new S3Error('AccessDenied');
  const { client, accessKeyId, policyBase64 } = mechanism === 'v4' ? checkSigV4(form, keys, opts) : checkSigV2(form, keys);

  const policy = decodePolicy(policyBase64);
  if (opts.now.getTime() > policy.expiration) throw new S3Error('AccessDenied', 'Invalid according to Policy: Policy expired.');
  const { covered, lengthRange } = evaluateConditions(policy.conditions, form, input.bucket);

  const extra = form.entries().filter(([lower]) => !EXEMPT.has(lower) && !lower.startsWith('x-ignore-') && !covered.has(lower));
  if (extra.length > 0) {
    throw new S3Error('AccessDenied', `Invalid according to Policy: Extra input fields: ${extra.map(([, , asSent]) => asSent).join(', ')}`);
  }
  return {
    version: mechanism === 'v4' ? 4 : 2,
    client,
    accessKeyId,
    key,
    lengthRange,
    headers: objectHeaders(form),
    successActionStatus: form.get('success_action_status'),
    successActionRedirect: form.get('success_action_redirect') ?? form.get('redirect'),
  };
}

interface Signed {
  client: ClientConfig;
  accessKeyId: string;
  policyBase64: string;
}

/** post-object.md §8 step 3, SigV4: hex HMAC-SHA256 of the base64 policy under the scope's signing key. */
function checkSigV4(form: FormFields, keys: KeyStore, opts: PostVerifyOptions): Signed {
  const need = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Signature', 'Policy'];
  for (const name of need) if (!form.get(name.toLowerCase())) throw missingField(name);
  const [algorithm, credentialField, date, signature, policyBase64] = need.map((n) => form.get(n.toLowerCase())!) as [string, string, string, string, string];
  if (algorithm !== 'AWS4-HMAC-SHA256') throw new S3Error('AuthorizationQueryParametersError', 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"');
  // Form fields are read like presigned-URL parameters, and S3 answers with the query wording (§8 [obs]).
  const credential = parseCredential(credentialField, QUERY_FAMILY);
  if (parseAmzDate(date) === undefined)
    throw new S3Error('AuthorizationQueryParametersError', "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  checkScope(credential, date, opts.regions, QUERY_FAMILY);
  const client = lookupClient(keys, credential.accessKeyId, form.has('x-amz-security-token'));
  const expected = hmacHex(keys.signingKeyFor(client, credential.date, credential.region), policyBase64);
  if (!secretsEqual(expected, signature)) throw mismatch(credential.accessKeyId, policyBase64);
  return { client, accessKeyId: credential.accessKeyId, policyBase64 };
}

/** post-object.md §8 step 3, SigV2: base64 HMAC-SHA1 of the base64 policy under the secret key. */
function checkSigV2(form: FormFields, keys: KeyStore): Signed {
  for (const name of ['AWSAccessKeyId', 'Signature', 'Policy']) if (!form.get(name.toLowerCase())) throw missingField(name);
  const accessKeyId = form.get('awsaccesskeyid')!;
  const policyBase64 = form.get('policy')!;
  const client = lookupClient(keys, accessKeyId, form.has('x-amz-security-token'));
  const expected = createHmac('sha1', client.secretAccessKey).update(policyBase64, 'utf8').digest('base64');
  if (!secretsEqual(expected, form.get('signature')!)) throw mismatch(accessKeyId, policyBase64);
  return { client, accessKeyId, policyBase64 };
}

function lookupClient(keys: KeyStore, accessKeyId: string, hasSessionToken: boolean): ClientConfig {
  const client = keys.lookup(accessKeyId);
  if (client === undefined) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKeyId });
  if (hasSessionToken) throw new S3Error('InvalidToken');
  return client;
}

/** The string signed is the policy as sent, so that is what the error shows; never the signature. */
function mismatch(accessKeyId: string, policyBase64: string): S3Error {
  return new S3Error('SignatureDoesNotMatch', undefined, { AWSAccessKeyId: accessKeyId, StringToSign: policyBase64 });
}

/**
 * post-object.md §5: every condition in order, the first that fails is named. `bucket` is the
 * bucket posted to; a field the form lacks reads as empty [?]. Content-Type with starts-with is a
 * comma-separated list whose every item must match.
 */
function evaluateConditions(conditions: PolicyCondition[], form: FormFields, bucket: string): { covered: Set<string>; lengthRange?: LengthRange } {
  const covered = new Set<string>();
  let lengthRange: LengthRange | undefined;
  for (const c of conditions) {
    if (c.kind === 'content-length-range') {
      // Several ranges all apply: keep their intersection [?].
      lengthRange = lengthRange === undefined ? { min: c.min, max: c.max } : { min: Math.max(lengthRange.min, c.min), max: Math.min(lengthRange.max, c.max) };
      continue;
    }
    const actual = c.field === 'bucket' ? bucket : (form.get(c.field) ?? '');
    const ok =
      c.kind === 'eq'
        ? actual === c.value
        : c.field === 'content-type'
          ? actual.split(',').every((item) => item.trim().startsWith(c.value))
          : actual.startsWith(c.value);
    if (!ok) throw new S3Error('AccessDenied', `Invalid according to Policy: Policy Condition failed: ${c.text}`);
    covered.add(c.field);
  }
  return { covered, lengthRange };
}

/** post-object.md §7: the fields PutObject takes as headers. */
function objectHeaders(form: FormFields): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  for (const [lower, value] of form.entries()) {
    if (HEADER_FIELDS.has(lower)) headers.push([lower, value]);
    else if (lower === 'acl') headers.push(['x-amz-acl', value]);
    else if (lower.startsWith('x-amz-') && !AUTH_FIELDS.has(lower)) headers.push([lower, value]);
  }
  return headers;
}

/**
 * post-object.md §6: call while counting the file's bytes (final = false) and once at its end
 * (final = true). Over the maximum → 400 EntityTooLarge as soon as it is known; under the
 * minimum → 400 EntityTooSmall at the end.
 */
export function checkPostLength(range: LengthRange | undefined, bytes: number, final: boolean): void {
  const max = Math.min(range?.max ?? MAX_POST_OBJECT_BYTES, MAX_POST_OBJECT_BYTES);
  if (bytes > max) {
    throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', { ProposedSize: bytes, MaxSizeAllowed: max });
  }
  if (final && range !== undefined && bytes < range.min) {
    throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', { ProposedSize: bytes, MinSizeAllowed: range.min });
  }
}
