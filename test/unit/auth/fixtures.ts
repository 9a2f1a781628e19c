// Test support for the auth unit tests: reads test/fixtures/sigv4 and turns its requests into SignedRequest inputs.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import type { ClientConfig } from '../../../src/config/schema.js';
import type { SignedRequest } from '../../../src/auth/verify.js';

export const FIXTURES = new URL('../../fixtures/sigv4/', import.meta.url);

export function fixturePath(rel: string): URL {
  return new URL(rel, FIXTURES);
}

export function readText(rel: string): string {
  return readFileSync(fixturePath(rel), 'utf8');
}

export function readJson<T>(rel: string): T {
  return JSON.parse(readText(rel)) as T;
}

export function exists(rel: string): boolean {
  return existsSync(fixturePath(rel));
}

export function listDirs(rel: string): string[] {
  return readdirSync(fixturePath(rel), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

export interface FixtureRequest {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Array<[string, string]>;
  bodyBase64?: string;
  bodyFile?: string;
}

export interface Vector {
  id: string;
  kind: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  service: string;
  now: string;
  request?: FixtureRequest;
  canonicalRequest?: string;
  stringToSign?: string;
  signingKeyHex?: string;
  signature: string;
  seedSignature?: string;
  previousSignature?: string;
  expect?: { valid: boolean };
}

export interface NegativeCase {
  id: string;
  server: { credentials: Array<{ accessKeyId: string; secretAccessKey: string }>; region: string };
  now: string;
  request: FixtureRequest;
  expect: { valid: boolean; status?: number; code?: string; message?: string; messageContains?: string; elements?: Record<string, string> };
  confidence: string;
}

export function client(accessKeyId: string, secretAccessKey: string): ClientConfig {
  return { accessKeyId, secretAccessKey, buckets: ['*'], readOnly: false };
}

export function toSignedRequest(r: FixtureRequest): SignedRequest {
  return { method: r.method, rawPath: r.rawPath, rawQuery: r.rawQuery, rawHeaders: r.headers.flat() };
}

export function bodyOf(r: FixtureRequest): Buffer {
  if (r.bodyFile !== undefined) return readFileSync(fixturePath(r.bodyFile));
  return Buffer.from(r.bodyBase64 ?? '', 'base64');
}

/** First value of a header, case-insensitive. */
export function header(r: { headers: Array<[string, string]> }, name: string): string | undefined {
  return r.headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

/** First decoded value of a query parameter (test-side decoding, independent of src). */
export function queryParam(rawQuery: string, name: string): string | undefined {
  for (const piece of rawQuery.split('&')) {
    const eq = piece.indexOf('=');
    const n = eq < 0 ? piece : piece.slice(0, eq);
    if (decodeURIComponent(n) === name) return decodeURIComponent(eq < 0 ? '' : piece.slice(eq + 1));
  }
  return undefined;
}

/** Splits a URL by hand at the first '?' after the authority (never WHATWG URL: it normalises dot segments). */
export function splitUrl(url: string): { rawPath: string; rawQuery: string } {
  const afterScheme = url.indexOf('//') + 2;
  const pathStart = url.indexOf('/', afterScheme);
  const target = url.slice(pathStart);
  const q = target.indexOf('?');
  return q < 0 ? { rawPath: target, rawQuery: '' } : { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

/** An HTTP/1.1 request in the suite's text form: obs-folded lines are joined with '\n' (kept for the canonicaliser to fold). */
export interface ParsedHttp {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Array<[string, string]>;
  body: string;
}

export function parseHttpText(text: string): ParsedHttp {
  const split = text.indexOf('\n\n');
  const head = split < 0 ? text : text.slice(0, split);
  const body = split < 0 ? '' : text.slice(split + 2);
  const lines = head.split('\n');
  const requestLine = lines.shift()!;
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  const target = requestLine.slice(method.length + 1, requestLine.lastIndexOf(' '));
  const q = target.indexOf('?');
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && headers.length > 0) {
      headers[headers.length - 1]![1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    headers.push([line.slice(0, colon), line.slice(colon + 1)]);
  }
  return { method, rawPath: q < 0 ? target : target.slice(0, q), rawQuery: q < 0 ? '' : target.slice(q + 1), headers, body };
}

/** S3Error-like shape for assertions. */
export function caught(fn: () => unknown): { code?: string; status?: number; message: string; elements?: Record<string, unknown> } | undefined {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; status?: number; message: string; elements?: Record<string, unknown> };
  }
  return undefined;
}
