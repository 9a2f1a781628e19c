// Embedded store, Object Lock: bucket configuration, retention and legal hold documents and headers → records, and the rules that keep a locked version from being deleted or its retention shortened; pure.
//
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html: a bucket created with Object Lock is
// versioned for good; each version may carry a retention (GOVERNANCE or COMPLIANCE, until a date) and a legal
// hold. A locked version cannot be deleted by version id (a delete without one only adds a marker); GOVERNANCE
// gives way to x-amz-bypass-governance-retention: true, COMPLIANCE and a legal hold to nothing.
import { S3Error } from '../s3/errors.js';
import { childNamed, childText, parseXml, type XmlElement } from '../s3/xml-read.js';
import type { BucketLockRecord, LockRecord } from './records.js';

type Mode = 'GOVERNANCE' | 'COMPLIANCE';

const malformed = (): S3Error => new S3Error('MalformedXML');
const MODES = new Set(['GOVERNANCE', 'COMPLIANCE']);
const DAY_MS = 86_400_000;

function root(doc: string, name: string): XmlElement {
  const el = parseXml(doc);
  if (el.name !== name) throw malformed();
  return el;
}

function positive(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim()) || Number(text) <= 0)
    throw new S3Error('InvalidArgument', 'Default retention period must be a positive integer value.', { ArgumentName: name });
  return Number(text);
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLockConfiguration.html: Enabled, with an optional default retention of Days or Years (not both). */
export function parseLockConfiguration(doc: string): BucketLockRecord {
  const el = root(doc, 'ObjectLockConfiguration');
  if (childText(el, 'ObjectLockEnabled')?.trim() !== 'Enabled') throw malformed();
  const rule = childNamed(el, 'Rule');
  if (!rule) return {};
  const def = childNamed(rule, 'DefaultRetention');
  if (!def) throw malformed();
  const mode = childText(def, 'Mode')?.trim();
  if (mode === undefined || !MODES.has(mode)) throw malformed();
  const days = positive(childText(def, 'Days'), 'Days');
  const years = positive(childText(def, 'Years'), 'Years');
  if ((days === undefined) === (years === undefined)) throw malformed();
  return { defaultRetention: { mode: mode as Mode, ...(days !== undefined ? { days } : { years: years! }) } };
}

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

export function lockConfigurationXml(lock: BucketLockRecord): string {
  const d = lock.defaultRetention;
  const rule = d
    ? `<Rule><DefaultRetention><Mode>${d.mode}</Mode>${d.days !== undefined ? `<Days>${d.days}</Days>` : `<Years>${d.years}</Years>`}</DefaultRetention></Rule>`
    : '';
  return `${DECL}<ObjectLockConfiguration xmlns="${NS}"><ObjectLockEnabled>Enabled</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`;
}

function parseDate(value: string | undefined, name: string): number {
  const ms = value === undefined ? Number.NaN : Date.parse(value.trim());
  if (Number.isNaN(ms)) throw new S3Error('InvalidArgument', `The ${name} is not valid`, { ArgumentName: name, ArgumentValue: value });
  return ms;
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html */
export function parseRetention(doc: string): { mode: Mode; until: number } {
  const el = root(doc, 'Retention');
  const mode = childText(el, 'Mode')?.trim();
  if (mode === undefined || !MODES.has(mode)) throw malformed();
  return { mode: mode as Mode, until: parseDate(childText(el, 'RetainUntilDate'), 'RetainUntilDate') };
}

export function retentionXml(lock: { mode: Mode; until: number }): string {
  return `${DECL}<Retention xmlns="${NS}"><Mode>${lock.mode}</Mode><RetainUntilDate>${new Date(lock.until).toISOString()}</RetainUntilDate></Retention>`;
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectLegalHold.html */
export function parseLegalHold(doc: string): 'ON' | 'OFF' {
  const status = childText(root(doc, 'LegalHold'), 'Status')?.trim();
  if (status !== 'ON' && status !== 'OFF') throw malformed();
  return status;
}

export function legalHoldXml(status: 'ON' | 'OFF'): string {
  return `${DECL}<LegalHold xmlns="${NS}"><Status>${status}</Status></LegalHold>`;
}

const noLock = (): S3Error => new S3Error('InvalidRequest', 'Bucket is missing Object Lock Configuration');

/**
 * The lock a new version gets (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html): the
 * x-amz-object-lock-mode and -retain-until-date headers (together or not at all), -legal-hold, else the
 * bucket's default retention counted from now.
 */
export function lockFromHeaders(headers: Readonly<Record<string, string>>, bucket: BucketLockRecord | undefined, now: number): LockRecord | undefined {
  const mode = headers['x-amz-object-lock-mode']?.trim();
  const until = headers['x-amz-object-lock-retain-until-date'];
  const hold = headers['x-amz-object-lock-legal-hold']?.trim();
  if (mode === undefined && until === undefined && hold === undefined) {
    const d = bucket?.defaultRetention;
    if (!d) return undefined;
    const end = new Date(now);
    if (d.days !== undefined) end.setTime(now + d.days * DAY_MS);
    else end.setUTCFullYear(end.getUTCFullYear() + d.years!);
    return { mode: d.mode, until: end.getTime() };
  }
  if (!bucket) throw noLock();
  if ((mode === undefined) !== (until === undefined))
    throw new S3Error('InvalidArgument', 'x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied');
  if (mode !== undefined && !MODES.has(mode))
    throw new S3Error('InvalidArgument', 'Unknown wormMode directive.', { ArgumentName: 'x-amz-object-lock-mode', ArgumentValue: mode });
  if (hold !== undefined && hold !== 'ON' && hold !== 'OFF')
    throw new S3Error('InvalidArgument', 'Legal Hold must be either of "ON" or "OFF"', { ArgumentName: 'x-amz-object-lock-legal-hold', ArgumentValue: hold });
  const lock: LockRecord = {};
  if (mode !== undefined) {
    const ms = parseDate(until, 'x-amz-object-lock-retain-until-date');
    if (ms <= now) throw new S3Error('InvalidArgument', 'The retain until date must be in the future!');
    lock.mode = mode as Mode;
    lock.until = ms;
  }
  if (hold !== undefined) lock.legalHold = hold;
  return lock;
}

/** x-amz-object-lock-* of a GET/HEAD answer. */
export function lockHeaders(lock: LockRecord | undefined): Record<string, string> {
  if (!lock) return {};
  const out: Record<string, string> = {};
  if (lock.mode !== undefined && lock.until !== undefined) {
    out['x-amz-object-lock-mode'] = lock.mode;
    out['x-amz-object-lock-retain-until-date'] = new Date(lock.until).toISOString();
  }
  if (lock.legalHold !== undefined) out['x-amz-object-lock-legal-hold'] = lock.legalHold;
  return out;
}

const bypassing = (headers: Readonly<Record<string, string>>): boolean => headers['x-amz-bypass-governance-retention']?.trim().toLowerCase() === 'true';

/** Deleting a version by id: refused while a legal hold is ON or its retention runs (GOVERNANCE unless bypassed). */
export function assertDeletable(lock: LockRecord | undefined, headers: Readonly<Record<string, string>>, now: number): void {
  if (!lock) return;
  if (lock.legalHold === 'ON') throw new S3Error('AccessDenied', 'Access Denied because object protected by object lock.');
  if (lock.until === undefined || lock.until <= now) return;
  if (lock.mode === 'GOVERNANCE' && bypassing(headers)) return;
  throw new S3Error('AccessDenied', 'Access Denied because object protected by object lock.');
}

/** PutObjectRetention: a running retention may be extended, but shortened, or taken from COMPLIANCE, only GOVERNANCE with the bypass. */
export function assertRetentionChange(
  current: LockRecord | undefined,
  next: { mode: Mode; until: number },
  headers: Readonly<Record<string, string>>,
  now: number,
): void {
  if (!current?.mode || current.until === undefined || current.until <= now) return;
  const weaker = next.until < current.until || (current.mode === 'COMPLIANCE' && next.mode === 'GOVERNANCE');
  const modeChange = current.mode !== next.mode;
  if (!weaker && !modeChange) return;
  if (current.mode === 'GOVERNANCE' && bypassing(headers)) return;
  throw new S3Error('AccessDenied');
}
