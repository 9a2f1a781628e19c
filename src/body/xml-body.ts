// Request bodies that are XML documents, not object data: bounded as S3 bounds them, and the two that name keys or parts re-written from what we checked (security.md §3.4).
import type { Readable } from 'node:stream';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
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

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  // Decodes numeric character references (Go's encoder writes &#34;); named ones beyond XML's five are refused in parseRoot.
  htmlEntities: true,
  ignoreDeclaration: true,
  isArray: (name) => name === 'Object' || name === 'Part',
});

const malformed = (detail?: string) => new S3Error('MalformedXML', detail ? `The XML you provided was not well-formed or did not validate against our published schema: ${detail}` : undefined);

/**
 * Parses strictly: well-formed, no DTD (entity tricks), one root of the expected name. What comes back is what we
 * authorize and what the backend receives once re-serialized, so a parser difference between us and the
 * backend cannot smuggle a key past the checks.
 */
function parseRoot(text: string, root: string): Record<string, unknown> {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw malformed('document type declarations are not allowed');
  if (XMLValidator.validate(text) !== true) throw malformed();
  if (/&(?!(?:amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});)/.test(text)) throw malformed('unknown entity');
  const doc = parser.parse(text) as Record<string, unknown>;
  const names = Object.keys(doc).filter((k) => k !== '?xml');
  if (names.length !== 1 || names[0] !== root) throw malformed(`the root element must be ${root}`);
  const body = doc[root];
  return body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
}

function text(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && Object.keys(v).length === 0) return '';
  throw malformed('an element that should hold text holds elements');
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
  const objects = (doc.Object ?? []) as unknown[];
  if (objects.length === 0) throw malformed('Delete names no Object');
  if (objects.length > MAX_DELETE_KEYS) throw malformed(`Delete names ${objects.length} objects; the limit is ${MAX_DELETE_KEYS}`);
  const quiet = text(doc.Quiet);
  if (quiet !== undefined && !/^(true|false)$/i.test(quiet.trim())) throw malformed('Quiet must be true or false');
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<Delete xmlns="${XMLNS}">${quiet !== undefined ? el('Quiet', quiet.trim().toLowerCase()) : ''}`;
  for (const o of objects) {
    if (typeof o !== 'object' || o === null) throw malformed('an Object has no Key');
    const obj = o as Record<string, unknown>;
    const key = text(obj.Key);
    if (key === undefined || key === '') throw malformed('an Object has no Key');
    if (Buffer.byteLength(key) > 1024) throw new S3Error('KeyTooLongError', undefined, { Key: key });
    checkKey(key);
    const versionId = text(obj.VersionId);
    if (versionId !== undefined) assertToken(versionId, 'versionId');
    out += `<Object>${el('Key', key)}${el('VersionId', versionId)}${el('ETag', text(obj.ETag))}${el('LastModifiedTime', text(obj.LastModifiedTime))}${el('Size', text(obj.Size))}</Object>`;
  }
  return `${out}</Delete>`;
}

/** Configuration writes whose document names other buckets, and the elements that do (security.md §3.5). */
export const DOCUMENTS_NAMING_BUCKETS: ReadonlySet<string> = new Set([
  'PutBucketLogging', 'PutBucketInventoryConfiguration', 'PutBucketAnalyticsConfiguration', 'PutBucketReplication',
]);
const BUCKET_ELEMENTS = new Set(['TargetBucket', 'Bucket']);

/** Every bucket a configuration document names, anywhere in it: `TargetBucket`, or `Bucket` as a name or an S3 ARN. */
export function bucketsNamedIn(body: string, root: string): string[] {
  const found: string[] = [];
  const walk = (node: unknown, name?: string): void => {
    if (typeof node === 'string') {
      if (name !== undefined && BUCKET_ELEMENTS.has(name)) found.push(node.trim().replace(/^arn:aws[a-z-]*:s3:::/, '').split('/')[0]!);
      return;
    }
    if (Array.isArray(node)) return node.forEach((n) => walk(n, name));
    if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, k);
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
  const parts = (doc.Part ?? []) as unknown[];
  if (parts.length > MAX_PARTS) throw malformed(`the upload lists ${parts.length} parts; the limit is ${MAX_PARTS}`);
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload xmlns="${XMLNS}">`;
  for (const p of parts) {
    if (typeof p !== 'object' || p === null) throw malformed('a Part has no PartNumber');
    const part = p as Record<string, unknown>;
    const number = text(part.PartNumber)?.trim();
    if (number === undefined || !/^\d{1,5}$/.test(number) || +number < 1 || +number > MAX_PARTS) throw malformed('PartNumber must be an integer between 1 and 10000');
    const etag = text(part.ETag);
    if (etag === undefined || !/^[\x20-\x7e]{1,1024}$/.test(etag)) throw malformed('a Part has no valid ETag');
    let checksums = '';
    for (const name of PART_CHECKSUMS) {
      const value = text(part[name]);
      if (value !== undefined && !/^[A-Za-z0-9+/=]{1,128}$/.test(value.trim())) throw malformed(`${name} is not base64`);
      checksums += el(name, value?.trim());
    }
    out += `<Part>${el('PartNumber', String(+number))}${el('ETag', etag)}${checksums}</Part>`;
  }
  return `${out}</CompleteMultipartUpload>`;
}
