// Test helper: the S3 error code a pure protocol function throws, for tables of refused inputs.
import { S3Error } from '../../src/s3/errors.js';

/** The S3Error code fn throws, or 'ok' when it returns; anything else thrown is rethrown. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return err.code;
    throw err;
  }
  return 'ok';
}
