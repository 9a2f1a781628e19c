// reframeUnsignedTrailer: verified plain bytes → aws-chunked STREAMING-UNSIGNED-PAYLOAD-TRAILER for backends with capabilities.awsChunked.
import { Transform, type TransformCallback } from 'node:stream';
import { checksumHeaderName, type ChecksumAlgorithm } from '../s3/checksums.js';
import { S3Error } from '../s3/errors.js';

const CRLF = Buffer.from('\r\n');

/**
 * Frames each chunk as `hex-size CRLF data CRLF` and ends with `0 CRLF trailer CRLF CRLF`
 * (aws-chunked.md §3, unsigned-body). The trailer carries the checksum we already verified.
 */
export function reframeUnsignedTrailer(alg: ChecksumAlgorithm, verified: () => { base64: string } | undefined) {
  const name = checksumHeaderName(alg);
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      if (chunk.length === 0) return cb();
      this.push(Buffer.from(chunk.length.toString(16) + '\r\n'));
      this.push(chunk);
      cb(null, CRLF);
    },
    flush(cb: TransformCallback) {
      const checksum = verified();
      if (!checksum) return cb(new S3Error('InternalError', 'The verified trailer checksum is missing.'));
      cb(null, Buffer.from(`0\r\n${name}:${checksum.base64}\r\n\r\n`));
    },
  });
  return {
    stream,
    /** Request headers announcing the framing; Content-Length is dropped (the encoded length is not known up front). */
    headers(decodedLength: number): Record<string, string | undefined> {
      return {
        'content-length': undefined,
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': String(decodedLength),
        'x-amz-trailer': name,
        'x-amz-sdk-checksum-algorithm': alg,
      };
    },
    payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
  };
}
