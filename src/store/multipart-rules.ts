// Embedded store, CompleteMultipartUpload rules: part order, ETags, sizes and checksums of the listed parts, and the ETag and checksum of the result; pure.
import { createHash } from 'node:crypto';
import { createChecksum, type ChecksumAlgorithm } from '../s3/checksums.js';
import { S3Error } from '../s3/errors.js';
import { opaqueEtag } from '../s3/etag.js';
import type { PartRecord, UploadRecord } from './records.js';
import type { CompletedPart } from './xml-docs.js';

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html: up to 10,000 parts, each but the last at least 5 MiB. */
const MAX_PARTS = 10_000;
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/**
 * Checks the part list of a CompleteMultipartUpload against the stored parts, in S3's order
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html#API_CompleteMultipartUpload_Errors):
 * a list that is empty or too long is MalformedXML, part numbers must ascend strictly (InvalidPartOrder), each
 * part must exist with that ETag (InvalidPart), every part but the last must reach the minimum size
 * (EntityTooSmall), and with a COMPOSITE checksum upload every part must name its checksum (InvalidRequest),
 * which must match the stored one (InvalidPart).
 */
export function checkCompletedParts(listed: CompletedPart[], stored: ReadonlyMap<number, PartRecord>, upload: UploadRecord, minPartSize: number): void {
  if (listed.length === 0 || listed.length > MAX_PARTS) throw new S3Error('MalformedXML');
  for (let i = 1; i < listed.length; i++) {
    if (listed[i]!.partNumber <= listed[i - 1]!.partNumber) throw new S3Error('InvalidPartOrder', undefined, { UploadId: upload.uploadId });
  }
  listed.forEach((p, i) => {
    const part = stored.get(p.partNumber);
    const invalid = new S3Error('InvalidPart', undefined, { UploadId: upload.uploadId, PartNumber: p.partNumber, ETag: p.etag });
    if (!part || opaqueEtag(p.etag) !== part.etag) throw invalid;
    if (i < listed.length - 1 && part.size < minPartSize) {
      throw new S3Error('EntityTooSmall', undefined, { ProposedSize: part.size, MinSizeAllowed: minPartSize, PartNumber: p.partNumber, ETag: p.etag });
    }
    for (const [alg, value] of Object.entries(p.checksums) as Array<[ChecksumAlgorithm, string]>) {
      if (part.checksum?.alg === alg && part.checksum.value !== value) throw invalid;
      if (upload.checksum && upload.checksum.alg !== alg) throw invalid;
    }
    const alg = upload.checksum?.alg;
    if (upload.checksum?.type === 'COMPOSITE' && p.checksums[alg!] === undefined) {
      throw new S3Error(
        'InvalidRequest',
        `The upload was created using a ${alg!.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${p.partNumber} in the request.`,
      );
    }
  });
}

/** "md5-of-md5s-N": the MD5 of the parts' binary MD5s, then the part count (the multipart ETag every S3 client knows). */
export function multipartEtag(partEtags: string[]): string {
  const md5 = createHash('md5');
  for (const etag of partEtags) md5.update(Buffer.from(etag, 'hex'));
  return `${md5.digest('hex')}-${partEtags.length}`;
}

/** COMPOSITE checksum: the algorithm over the parts' raw checksums, base64, then "-N". */
export function compositeChecksum(alg: ChecksumAlgorithm, partChecksums: string[]): string {
  const sum = createChecksum(alg);
  for (const value of partChecksums) sum.update(Buffer.from(value, 'base64'));
  return `${sum.digestBase64()}-${partChecksums.length}`;
}
