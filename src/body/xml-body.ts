// Request bodies that are XML documents, not object data: bounded as S3 bounds them, and the two that name keys or parts re-written from what we checked (security.md §3.4).
import type { Readable } from 'node:stream';
import { childNamed, childrenNamed, parseXml, type XmlElement } from '../s3/xml-read.js';
import type { ByteBudget } from './budget.js';
import { S3Error } from '../s3/errors.js';
import { assertToken } from '../s3/names.js';
import { xmlEscape } from '../s3/xml.js';

/** Size caps (S3 documents 1,000 keys per DeleteObjects and 10,000 parts; these leave room for long keys and every checksum element). */
export const XML_BODY_LIMITS = { DeleteObjects: 2 * 1024 * 1024, CompleteMultipartUpload: 4 * 1024 * 1024, other: 1024 * 1024 } as const;
export const MAX_DELETE_KEYS = 1000;
export const MAX_PARTS = 10000;

export function xmlBodyLimit(operation: string): number {
  return operation === 'DeleteObjects' || operation === 'CompleteMultipartUpload' ? XML_BODY_LIMITS[operation] : XML_BODY_LIMITS.other;
}

export function tooLarge(limit: number): S3Error {
  return new S3Error('MaxMessageLengthExceeded', `Your request was too big: the limit for this request body is ${limit} bytes.`);
}

/** Reads a small (verified) request body whole, refusing it past `limit`; its bytes count against the shared budget while held. */
export async function readBounded(body: Readable, limit: number, budget: ByteBudget): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > limit) throw tooLarge(limit);
      budget.take(buf.length);
      chunks.push(buf);
    }
    return Buffer.concat(chunks);
  } finally {
    budget.give(chunks.reduce((n, c) => n + c.length, 0));
  }
}

const malformed = (detail?: string) =>
  new S3Error('MalformedXML', detail ? `The XML you provided was not well-formed or did not validate against our published schema: ${detail}` : undefined);

/**
 * Parses strictly (s3/xml-read.ts: well-formed, no DTD, only XML's own entities), one root of the expected name. What
 * comes back is what we authorize and what the backend receives once re-serialized, so a parser difference between us
 * and the backend cannot smuggle a key past the checks.
 */
function parseRoot(body: string, root: string): XmlElement {
  const doc = parseXml(body);
  if (doc.name !== root) throw malformed(`the root element must be ${root}`);
  return doc;
}

/** The text of the only child of that name; an element that holds elements is not text. */
function text(el: XmlElement, name: string): string | undefined {
  const child = childNamed(el, name);
  if (child === undefined) return undefined;
  if (child.children.length > 0) throw malformed('an element that should hold text holds elements');
  return child.text;
}

const el = (name: string, value: string | undefined) => (value === undefined ? '' : `<${name}>${xmlEscape(value)}</${name}>`);
const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/**
 * DeleteObjects (S3 API "DeleteObjects"): 1 to 1,000 objects, each a Key and optionally VersionId and the
 * conditional-delete elements. `checkKey` applies the request's key rules to each key (they all belong to the
 * request's bucket). Returns the document the backend receives.
 */
export function canonicalDeleteObjects(body: string, checkKey: (key: string) => void): string {
  const doc = parseRoot(body, 'Delete');
  const objects = childrenNamed(doc, 'Object');
  if (objects.length === 0) throw malformed('Delete names no Object');
  if (objects.length > MAX_DELETE_KEYS) throw malformed(`Delete names ${objects.length} objects; the limit is ${MAX_DELETE_KEYS}`);
  const quiet = text(doc, 'Quiet');
  if (quiet !== undefined && !/^(true|false)$/i.test(quiet.trim())) throw malformed('Quiet must be true or false');
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="${XMLNS}">${quiet !== undefined ? el('Quiet', quiet.trim().toLowerCase()) : ''}`;
  for (const obj of objects) {
    const key = text(obj, 'Key');
    if (key === undefined || key === '') throw malformed('an Object has no Key');
    if (Buffer.byteLength(key) > 1024) throw new S3Error('KeyTooLongError', undefined, { Key: key });
    checkKey(key);
    const versionId = text(obj, 'VersionId');
    if (versionId !== undefined) assertToken(versionId, 'versionId');
    out += `<Object>${el('Key', key)}${el('VersionId', versionId)}${el('ETag', text(obj, 'ETag'))}${el('LastModifiedTime', text(obj, 'LastModifiedTime'))}${el('Size', text(obj, 'Size'))}</Object>`;
  }
  return `${out}</Delete>`;
}

/** Configuration writes whose document names other buckets, and the elements that do (security.md §3.5). */
export const DOCUMENTS_NAMING_BUCKETS: ReadonlySet<string> = new Set([
  'PutBucketLogging',
  'PutBucketInventoryConfiguration',
  'PutBucketAnalyticsConfiguration',
  'PutBucketReplication',
]);
const BUCKET_ELEMENTS = new Set(['TargetBucket', 'Bucket']);

/** Every bucket a configuration document names, anywhere in it: `TargetBucket`, or `Bucket` as a name or an S3 ARN. */
export function bucketsNamedIn(body: string, root: string): string[] {
  const found: string[] = [];
  const walk = (el: XmlElement): void => {
    if (BUCKET_ELEMENTS.has(el.name))
      found.push(
        el.text
          .trim()
          .replace(/^arn:aws[a-z-]*:s3:::/, '')
          .split('/')[0]!,
      );
    el.children.forEach(walk);
  };
  walk(parseRoot(body, root));
  return found;
}

const PART_CHECKSUMS = ['ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256'] as const;

/**
 * CompleteMultipartUpload (S3 API): up to 10,000 parts, each a PartNumber 1–10000 and an ETag, optionally a part
 * checksum. Returns the document the backend receives.
 */
export function canonicalCompleteMultipartUpload(body: string): string {
  const doc = parseRoot(body, 'CompleteMultipartUpload');
  const parts = childrenNamed(doc, 'Part');
  if (parts.length > MAX_PARTS) throw malformed(`the upload lists ${parts.length} parts; the limit is ${MAX_PARTS}`);
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="${XMLNS}">`;
  for (const part of parts) {
    const number = text(part, 'PartNumber')?.trim();
    if (number === undefined || !/^\d{1,5}$/.test(number) || +number < 1 || +number > MAX_PARTS)
      throw malformed('PartNumber must be an integer between 1 and 10000');
    const etag = text(part, 'ETag');
    if (etag === undefined || !/^[\x20-\x7e]{1,1024}$/.test(etag)) throw malformed('a Part has no valid ETag');
    let checksums = '';
    for (const name of PART_CHECKSUMS) {
      const value = text(part, name);
      if (value !== undefined && !/^[A-Za-z0-9+/=]{1,128}$/.test(value.trim())) throw malformed(`${name} is not base64`);
      checksums += el(name, value?.trim());
    }
    out += `<Part>${el('PartNumber', String(+number))}${el('ETag', etag)}${checksums}</Part>`;
  }
  return `${out}</CompleteMultipartUpload>`;
}
