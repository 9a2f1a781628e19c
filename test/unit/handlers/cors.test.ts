// Table tests for CORS (src/handlers/cors.ts): preflights, actual requests, wildcards, no matching rule, and the config schema fragment (cors.md).
import { describe, expect, it } from 'vitest';
import { corsResponseHeaders, preflight, type CorsRequest } from '../../../src/handlers/cors.js';
import { corsSchema, type CorsRule } from '../../../src/config/schema.js';
import { S3Error } from '../../../src/s3/errors.js';

const VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';
const NOT_ALLOWED =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

const rules: CorsRule[] = corsSchema.parse([
  {
    allowedOrigins: ['https://app.example'],
    allowedMethods: ['GET', 'PUT'],
    allowedHeaders: ['*'],
    exposeHeaders: ['ETag', 'x-amz-version-id'],
    maxAgeSeconds: 600,
  },
  { allowedOrigins: ['https://*.example.com'], allowedMethods: ['GET', 'POST'], allowedHeaders: ['x-amz-*', 'Content-Type'] },
  { allowedOrigins: ['*'], allowedMethods: ['GET', 'HEAD'] },
]);

const SITE = {
  'access-control-allow-origin': 'https://app.example',
  'access-control-allow-credentials': 'true',
  'access-control-allow-methods': 'GET, PUT',
  'access-control-expose-headers': 'ETag, x-amz-version-id',
  'access-control-max-age': '600',
  vary: VARY,
};
const SUB = (origin: string) => ({
  'access-control-allow-origin': origin,
  'access-control-allow-credentials': 'true',
  'access-control-allow-methods': 'GET, POST',
  vary: VARY,
});
const EVERYONE = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, HEAD', vary: VARY };

function refusal(fn: () => unknown): S3Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(S3Error);
    return err as S3Error;
  }
  throw new Error('expected a refusal');
}

describe('preflight', () => {
  const pf = (origin: string | undefined, requestMethod: string | undefined, requestHeaders?: string): CorsRequest => ({
    method: 'OPTIONS',
    origin,
    requestMethod,
    requestHeaders,
  });

  it.each([
    ['listed origin, no headers requested', pf('https://app.example', 'PUT'), SITE],
    [
      'listed origin, any header allowed by "*"; requested names echoed lower-cased',
      pf('https://app.example', 'GET', 'Content-Type, X-Amz-Meta-Name'),
      { ...SITE, 'access-control-allow-headers': 'content-type, x-amz-meta-name' },
    ],
    [
      'wildcard origin pattern, header patterns',
      pf('https://photos.example.com', 'POST', 'x-amz-date,content-type'),
      { ...SUB('https://photos.example.com'), 'access-control-allow-headers': 'x-amz-date, content-type' },
    ],
    [
      'header patterns are case-insensitive',
      pf('https://a.example.com', 'GET', 'X-AMZ-ACL'),
      { ...SUB('https://a.example.com'), 'access-control-allow-headers': 'x-amz-acl' },
    ],
    ['a header the second rule lacks falls through to the third, which allows no headers', pf('https://a.example.com', 'GET', 'authorization'), undefined],
    ['method not in the first matching rule: the next rule that allows it answers', pf('https://app.example', 'HEAD'), EVERYONE],
    ['"*" origin answers "*" without credentials', pf('null', 'HEAD'), EVERYONE],
    ['origins compare without regard to case', pf('HTTPS://APP.EXAMPLE', 'GET'), { ...SITE, 'access-control-allow-origin': 'HTTPS://APP.EXAMPLE' }],
  ] as Array<[string, CorsRequest, Record<string, string> | undefined]>)('%s', (_name, req, expected) => {
    if (expected === undefined) {
      expect(refusal(() => preflight(rules, req, 'OBJECT')).code).toBe('AccessForbidden');
      return;
    }
    expect(preflight(rules, req, 'OBJECT')).toEqual(expected);
  });

  it.each([
    ['origin matches no rule', pf('https://evil.example', 'PUT'), 'BUCKET'],
    ['method allowed by no matching rule', pf('https://app.example', 'DELETE'), 'OBJECT'],
    ['a requested header no rule allows', pf('https://b.example.com', 'POST', 'x-custom'), 'OBJECT'],
    ['suffix wildcard does not match the bare domain', pf('https://example.com', 'POST'), 'OBJECT'],
  ] as Array<[string, CorsRequest, 'BUCKET' | 'OBJECT']>)('%s → 403 AccessForbidden with Method and ResourceType', (_name, req, resourceType) => {
    const err = refusal(() => preflight(rules, req, resourceType));
    expect(err).toMatchObject({
      code: 'AccessForbidden',
      status: 403,
      message: NOT_ALLOWED,
      elements: { Method: req.requestMethod, ResourceType: resourceType },
    });
  });

  it.each([
    ['no Origin', pf(undefined, 'GET'), 'Insufficient information. Origin request header needed.'],
    ['no Access-Control-Request-Method', pf('https://app.example', undefined), 'Invalid Access-Control-Request-Method: null'],
    ['an unsupported method', pf('https://app.example', 'PATCH'), 'Invalid Access-Control-Request-Method: PATCH'],
    ['a lower-case method', pf('https://app.example', 'get'), 'Invalid Access-Control-Request-Method: get'],
  ])('%s → 400 BadRequest', (_name, req, message) => {
    expect(refusal(() => preflight(rules, req, 'OBJECT'))).toMatchObject({ code: 'BadRequest', status: 400, message });
  });
});

describe('actual requests', () => {
  it.each([
    ['GET from a listed origin', { method: 'GET', origin: 'https://app.example' }, SITE],
    ['PUT from a listed origin', { method: 'put', origin: 'https://app.example' }, SITE],
    ['HEAD from anywhere', { method: 'HEAD', origin: 'https://elsewhere.example' }, EVERYONE],
    ['GET from anywhere: the first rule that allows origin and method', { method: 'GET', origin: 'https://x.example.com' }, SUB('https://x.example.com')],
    ['DELETE allowed by no rule: no headers, the request goes on', { method: 'DELETE', origin: 'https://app.example' }, undefined],
    ['no Origin: not a CORS request', { method: 'GET' }, undefined],
    ['Access-Control-Request-Method is matched instead of the method', { method: 'DELETE', origin: 'https://app.example', requestMethod: 'GET' }, SITE],
    ['… also when it names a method no rule allows', { method: 'GET', origin: 'https://app.example', requestMethod: 'DELETE' }, undefined],
    ['request headers are not checked on actual requests', { method: 'GET', origin: 'https://app.example', requestHeaders: 'x-anything' }, SITE],
  ] as Array<[string, CorsRequest, Record<string, string> | undefined]>)('%s', (_name, req, expected) => {
    expect(corsResponseHeaders(rules, req)).toEqual(expected);
  });

  it('with no rules nothing is ever allowed', () => {
    expect(corsResponseHeaders([], { method: 'GET', origin: 'https://app.example' })).toBeUndefined();
    expect(refusal(() => preflight([], { method: 'OPTIONS', origin: 'https://app.example', requestMethod: 'GET' }, 'BUCKET')).code).toBe('AccessForbidden');
  });
});

describe('corsSchema (routes[].cors)', () => {
  it("fills defaults and keeps the contract's camelCase keys", () => {
    expect(corsSchema.parse([{ allowedOrigins: ['*'], allowedMethods: ['GET'] }])).toEqual([
      { allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: [], exposeHeaders: [] },
    ]);
  });

  it.each([
    [
      'two wildcards in an origin',
      [{ allowedOrigins: ['https://*.*.example'], allowedMethods: ['GET'] }],
      'AllowedOrigin "https://*.*.example" can not have more than one wildcard.',
    ],
    ['an unsupported method', [{ allowedOrigins: ['*'], allowedMethods: ['PATCH'] }], 'Found unsupported HTTP method in CORS config'],
    ['a wildcard in exposeHeaders', [{ allowedOrigins: ['*'], allowedMethods: ['GET'], exposeHeaders: ['x-amz-*'] }], 'ExposeHeader contains wildcard'],
    ['two wildcards in a header', [{ allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: ['*-*'] }], 'can not have more than one wildcard'],
    ['no origins', [{ allowedOrigins: [], allowedMethods: ['GET'] }], 'at least 1'],
    ['an unknown key', [{ allowedOrigins: ['*'], allowedMethods: ['GET'], AllowedOrigin: ['*'] }], 'Unrecognized key'],
    ['a negative max age', [{ allowedOrigins: ['*'], allowedMethods: ['GET'], maxAgeSeconds: -1 }], 'greater than or equal to 0'],
    ['no rules', [], 'at least 1'],
  ])('refuses %s', (_name, input, message) => {
    const result = corsSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.message).join('\n')).toContain(message);
  });
});
