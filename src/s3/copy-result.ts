// Copy result documents: the ones s3bridge and its store send, and the backend answer read after a native copy (copy-semantics.md §5.2, §6.1, §10); pure.
import { ERROR_CODES, S3Error } from './errors.js';
import type { S3ErrorCode } from './errors.js';
import { isoTimestamp, xmlEscape, xmlText } from './xml.js';

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export interface CopyResult {
  etag: string;
  lastModified: Date;
  /** Keyed by element name (`ChecksumCRC32`) or algorithm (`crc32`, `CRC64NVME`); only values actually computed. */
  checksums?: Record<string, string>;
}

/** Checksum children in the order of the S3 schema (copy-semantics.md §5.2); ChecksumType exists on CopyObjectResult only. */
const CHECKSUM_ELEMENTS = ['ChecksumType', 'ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256'];

function checksumElement(name: string): string {
  const upper = name.toUpperCase();
  const found = CHECKSUM_ELEMENTS.find((el) => el.toUpperCase() === upper || el.toUpperCase() === `CHECKSUM${upper}`);
  if (found === undefined) throw new TypeError(`unknown checksum name: ${name}`);
  return found;
}

/** ETags go out quoted, as S3 sends them; an already quoted (or weak) value is kept. */
function quoteEtag(etag: string): string {
  return etag.startsWith('"') || etag.startsWith('W/"') ? etag : `"${etag}"`;
}

function resultXml(root: 'CopyObjectResult' | 'CopyPartResult', r: CopyResult): string {
  const children = new Map<string, string>();
  for (const [name, value] of Object.entries(r.checksums ?? {})) children.set(checksumElement(name), value);
  if (root === 'CopyPartResult') children.delete('ChecksumType');

  // isoTimestamp gives milliseconds and Z: JS v3 rejects a zone-less LastModified (copy-semantics.md §10).
  let body = `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_NS}">`;
  body += `<LastModified>${isoTimestamp(r.lastModified)}</LastModified>`;
  body += `<ETag>${xmlEscape(quoteEtag(r.etag))}</ETag>`;
  for (const el of CHECKSUM_ELEMENTS) {
    const value = children.get(el);
    if (value !== undefined) body += `<${el}>${xmlEscape(value)}</${el}>`;
  }
  return body + `</${root}>`;
}

/** CopyObject's 200 body. */
export function copyObjectResultXml(r: CopyResult): string {
  return resultXml('CopyObjectResult', r);
}

/** UploadPartCopy's 200 body: always CopyPartResult, even when the backend said CopyObjectResult. */
export function copyPartResultXml(r: CopyResult): string {
  return resultXml('CopyPartResult', r);
}

/** Name of the document's root element, past the XML declaration, comments and the keep-alive whitespace S3 may send first. */
function rootElement(xml: string): string | undefined {
  const body = xml.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->/g, '');
  return /<([A-Za-z_][\w.:-]*)[\s/>]/.exec(body)?.[1];
}

const ISO_LOCAL = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/;

/** AWS's `2009-10-12T17:50:30.000Z` or Yandex's zone-less `2019-02-15T14:32:00`, which is UTC. */
function parseTimestamp(text: string): Date | undefined {
  const m = ISO_LOCAL.exec(text.trim());
  if (!m) return undefined;
  let zone = m[3] ?? 'Z';
  if (zone !== 'Z' && !zone.includes(':')) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  // Date.parse takes at most millisecond precision reliably; drop finer digits.
  const fraction = m[2] ? m[2].slice(0, 4) : '';
  const t = Date.parse(`${m[1]}${fraction}${zone}`);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** A backend's copy result: ETag, LastModified when readable, and the checksum elements it carried (copy-semantics.md §11.6). */
export interface CopyResultRead {
  etag: string;
  lastModified?: Date;
  checksums?: Record<string, string>;
}

/**
 * Reads a backend's copy answer. Either root is accepted (Yandex answers UploadPartCopy with
 * CopyObjectResult). A 200 may still carry an <Error> document (copy-semantics.md §1): that is
 * thrown as the S3Error it names (InternalError when the code is not one s3bridge knows), so
 * the client sees the failure; anything else unusable (an empty body included) is an InternalError (502).
 */
export function parseCopyResult(xml: string): CopyResultRead {
  const root = rootElement(xml);
  if (root === 'Error') {
    const code = xmlText(xml, 'Code')?.trim() ?? '';
    const known = Object.hasOwn(ERROR_CODES, code) ? (code as S3ErrorCode) : 'InternalError';
    throw new S3Error(known, xmlText(xml, 'Message')?.trim() || undefined);
  }
  if (root !== 'CopyObjectResult' && root !== 'CopyPartResult') {
    throw new S3Error('InternalError', 'The backend answered a copy without a CopyObjectResult.', {}, { status: 502 });
  }
  const etag = xmlText(xml, 'ETag')?.trim();
  if (!etag) throw new S3Error('InternalError', 'The backend answered a copy without an ETag.', {}, { status: 502 });
  const out: CopyResultRead = { etag: quoteEtag(etag) };
  const modified = xmlText(xml, 'LastModified');
  const lastModified = modified === undefined ? undefined : parseTimestamp(modified);
  if (lastModified !== undefined) out.lastModified = lastModified;
  // Checksum children pass through as the backend wrote them: a client completing a checksum-typed upload needs them.
  for (const el of CHECKSUM_ELEMENTS) {
    const value = xmlText(xml, el)?.trim();
    if (value) (out.checksums ??= {})[el] = value;
  }
  return out;
}
