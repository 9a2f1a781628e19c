// Test support for the SigV2 and POST policy tests: key stores, raw requests from URLs, and rejection capture.
import { expect } from 'vitest';
import type { ClientConfig } from '../../../src/config/schema.js';
import { KeyStore } from '../../../src/auth/keys.js';
import type { SignedRequest } from '../../../src/auth/verify.js';
import { S3Error } from '../../../src/s3/errors.js';

export const DOC_AKID = 'AKIAIOSFODNN7EXAMPLE';
export const DOC_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

export function client(accessKeyId: string, secretAccessKey: string): ClientConfig {
  return { accessKeyId, secretAccessKey, buckets: ['*'], readOnly: false };
}

export function keyStore(...pairs: Array<[string, string]>): KeyStore {
  return new KeyStore(pairs.map(([id, secret]) => client(id, secret)));
}

/** A request as Node would hand it over: target split at the first '?', headers flattened in order. */
export function signedRequest(method: string, target: string, headers: Array<[string, string]> | Record<string, string> = []): SignedRequest {
  const q = target.indexOf('?');
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  return { method, rawPath: q < 0 ? target : target.slice(0, q), rawQuery: q < 0 ? '' : target.slice(q + 1), rawHeaders: list.flat() };
}

/** An absolute URL (as a client would open it) → request target and Host header. */
export function fromUrl(method: string, url: string, headers: Array<[string, string]> = []): { req: SignedRequest; host: string } {
  const m = /^https?:\/\/([^/?]+)(.*)$/.exec(url);
  if (!m) throw new Error(`not a URL: ${url}`);
  const host = m[1]!;
  const target = m[2] === '' ? '/' : m[2]!.startsWith('?') ? `/${m[2]}` : m[2]!;
  const all = headers.some(([n]) => n.toLowerCase() === 'host') ? headers : [...headers, ['Host', host] as [string, string]];
  return { req: signedRequest(method, target, all), host };
}

/** Runs fn, expects an S3Error, returns it for assertions on code, status, message and elements. */
export function rejection(fn: () => unknown): S3Error {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an S3Error to be thrown').toBeInstanceOf(S3Error);
  return caught as S3Error;
}

/** Every string the client can see in an error: message and element values. */
export function visibleText(err: S3Error): string {
  return [err.message, ...Object.values(err.elements).map(String)].join('\n');
}
