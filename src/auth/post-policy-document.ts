// Browser POST uploads, verify stage: the policy document itself, base64 JSON → expiration and typed conditions, refusing what S3 refuses as InvalidPolicyDocument (post-object.md §3).
import { S3Error } from '../s3/errors.js';
import { parseIsoDateTime } from '../s3/dates.js';

/** post-object.md §3: far above any real policy, far below what could hurt; the form bound (20 KB) applies first. */
export const MAX_POLICY_CHARS = 20 * 1024;

export type PolicyCondition =
  | { kind: 'eq' | 'starts-with' /** lower-case, without `$` */; field: string; value: string /** S3's rendering, for error messages */; text: string }
  | { kind: 'content-length-range'; min: number; max: number; text: string };

export interface PostPolicy {
  /** Epoch ms. */
  expiration: number;
  conditions: PolicyCondition[];
}

function invalid(detail: string): S3Error {
  return new S3Error('InvalidPolicyDocument', `Invalid Policy: ${detail}`);
}

/** `["eq", "$key", "a"]`: how S3 quotes a condition in "Policy Condition failed" (post-object.md §5). */
function render(parts: unknown[]): string {
  return `[${parts.map((p) => JSON.stringify(p)).join(', ')}]`;
}

function lengthBound(v: unknown): number | undefined {
  // boto3 and the JS SDK write numbers; a decimal string is accepted as well (post-object.md §3 [?]).
  const n = typeof v === 'string' && /^\d{1,16}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function simpleCondition(obj: Record<string, unknown>): PolicyCondition {
  const entries = Object.entries(obj);
  if (entries.length !== 1) throw invalid('Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.');
  const [name, value] = entries[0]!;
  if (typeof value !== 'string') throw invalid('Invalid Simple-Condition: value must be a string.');
  return { kind: 'eq', field: name.toLowerCase(), value, text: render(['eq', `$${name}`, value]) };
}

function arrayCondition(arr: unknown[]): PolicyCondition {
  const op = typeof arr[0] === 'string' ? arr[0].toLowerCase() : undefined;
  if (op === 'content-length-range') {
    const min = lengthBound(arr[1]);
    const max = lengthBound(arr[2]);
    if (arr.length !== 3 || min === undefined || max === undefined || min > max) {
      throw invalid('Invalid content-length-range condition: it takes two non-negative integers, minimum first.');
    }
    return { kind: 'content-length-range', min, max, text: render(arr) };
  }
  if (op === 'eq' || op === 'starts-with') {
    const [, field, value] = arr;
    if (arr.length !== 3 || typeof field !== 'string' || typeof value !== 'string') {
      throw invalid(`Invalid Condition: "${op}" takes a field name and a string value.`);
    }
    if (!field.startsWith('$') || field.length < 2) throw invalid(`Invalid Condition: the field name must start with "$": ${JSON.stringify(field)}.`);
    return { kind: op, field: field.slice(1).toLowerCase(), value, text: render(arr) };
  }
  throw invalid(`Invalid Condition: unknown condition type ${JSON.stringify(arr[0])}.`);
}

/**
 * post-object.md §3: base64 → UTF-8 JSON object with `expiration` (ISO 8601) and `conditions`
 * (objects of one string property, or eq / starts-with / content-length-range arrays).
 * Unknown top-level keys are ignored, as S3 does [?].
 */
export function decodePolicy(policyBase64: string): PostPolicy {
  if (policyBase64.length > MAX_POLICY_CHARS) throw invalid('Policy is too large.');
  const b64 = policyBase64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) throw invalid('Invalid base64 encoding.');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    throw invalid('Invalid JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid('Invalid JSON.');
  const { expiration, conditions } = doc as Record<string, unknown>;
  if (expiration === undefined) throw invalid('Policy missing expiration.');
  const expires = typeof expiration === 'string' ? parseIsoDateTime(expiration) : undefined;
  if (expires === undefined) throw invalid(`Invalid 'expiration' value: '${String(expiration)}'`);
  if (conditions === undefined) throw invalid('Policy missing conditions.');
  if (!Array.isArray(conditions)) throw invalid("Invalid 'conditions' value: must be a list.");
  const parsed = conditions.map((c: unknown) => {
    if (Array.isArray(c)) return arrayCondition(c);
    if (typeof c === 'object' && c !== null) return simpleCondition(c as Record<string, unknown>);
    throw invalid('Invalid Condition: each condition is an object or a list.');
  });
  return { expiration: expires, conditions: parsed };
}
