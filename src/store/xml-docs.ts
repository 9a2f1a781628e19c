// Embedded store, request bodies: the S3 request documents (CompleteMultipartUpload, Delete, Tagging, CreateBucketConfiguration) → plain values; pure.
import { S3Error } from '../s3/errors.js';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from '../s3/checksums.js';
import { childNamed, childText, childrenNamed, parseXml, type XmlElement } from '../s3/xml-read.js';

const malformed = (): S3Error => new S3Error('MalformedXML');

function root(doc: string, name: string): XmlElement {
  const el = parseXml(doc);
  if (el.name !== name) throw malformed();
  return el;
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
  /** ChecksumCRC32 … ChecksumSHA256 elements the client listed, by algorithm. */
  checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

/**
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html request syntax. Order and
 * existence are judged by the caller (InvalidPartOrder, InvalidPart); here only the shape.
 */
export function parseCompleteMultipartUpload(doc: string): CompletedPart[] {
  const el = root(doc, 'CompleteMultipartUpload');
  return childrenNamed(el, 'Part').map((part) => {
    const number = childText(part, 'PartNumber')?.trim();
    const etag = childText(part, 'ETag');
    if (number === undefined || !/^\d{1,5}$/.test(number) || etag === undefined) throw malformed();
    const checksums: CompletedPart['checksums'] = {};
    for (const alg of CHECKSUM_ALGORITHMS) {
      const value = childText(part, `Checksum${alg}`);
      if (value !== undefined) checksums[alg] = value.trim();
    }
    return { partNumber: Number(number), etag: etag.trim(), checksums };
  });
}

export interface DeleteRequest {
  quiet: boolean;
  objects: Array<{ key: string; versionId?: string }>;
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html: 1 to 1000 objects. */
const MAX_DELETE_OBJECTS = 1000;

export function parseDelete(doc: string): DeleteRequest {
  const el = root(doc, 'Delete');
  const quietText = childText(el, 'Quiet')?.trim().toLowerCase();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false') throw malformed();
  const objects = childrenNamed(el, 'Object').map((o) => {
    // Keys are taken byte-exact: no trimming (S3 keys may start or end with spaces).
    const key = childText(o, 'Key');
    if (key === undefined || key === '') throw malformed();
    const versionId = childText(o, 'VersionId');
    return versionId === undefined ? { key } : { key, versionId };
  });
  if (objects.length === 0 || objects.length > MAX_DELETE_OBJECTS) throw malformed();
  return { quiet: quietText === 'true', objects };
}

/** https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html request body → [key, value] pairs (validated by the caller). */
export function parseTagging(doc: string): Array<[string, string]> {
  const el = root(doc, 'Tagging');
  const set = childNamed(el, 'TagSet');
  if (!set) throw malformed();
  return childrenNamed(set, 'Tag').map((tag) => {
    const key = childText(tag, 'Key');
    const value = childText(tag, 'Value');
    if (key === undefined || value === undefined) throw malformed();
    return [key, value];
  });
}

/** LocationConstraint of a CreateBucket body (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html); undefined when absent or empty. */
export function parseCreateBucketConfiguration(doc: string): string | undefined {
  if (doc.trim() === '') return undefined;
  const el = root(doc, 'CreateBucketConfiguration');
  const location = childText(el, 'LocationConstraint')?.trim();
  return location === '' ? undefined : location;
}
