// Body stage for a fixed x-amz-content-sha256: hashes the body on its way to the backend and withholds its end until the hash matched (sigv4.md §3.5, §9 step 9).
import { createHash } from 'node:crypto';
import type { Transform } from 'node:stream';
import { S3Error } from '../s3/errors.js';
import { DigestCheck } from './hold-back.js';

export function createPayloadHashCheck(expectedHex: string): Transform {
  const expected = expectedHex.toLowerCase();
  const hash = createHash('sha256');
  return new DigestCheck(
    (chunk) => hash.update(chunk),
    () => {
      const computed = hash.digest('hex');
      if (computed !== expected)
        throw new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: expected, S3ComputedContentSHA256: computed });
    },
  );
}
