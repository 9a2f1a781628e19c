// CORS at the edge of the pipeline (cors.md): before authentication, answer a preflight from the route's rules or pass it to the backend, and mark actual answers.
import type { ServerResponse } from 'node:http';
import type { RequestContext } from '../context.js';
import type { S3Request } from '../parse/request.js';
import type { Route } from '../route/router.js';
import { forwardableResponseHeaders } from '../s3/headers.js';
import { corsResponseHeaders, preflight, type CorsRequest } from './cors.js';
import { sendUpstream } from '../upstream/client.js';
import { S3Error } from '../s3/errors.js';
import { xmlEscape } from '../s3/xml.js';

function corsRequest(s3: S3Request): CorsRequest {
  return {
    method: s3.method,
    origin: s3.headers.origin,
    requestMethod: s3.headers['access-control-request-method'],
    requestHeaders: s3.headers['access-control-request-headers'],
  };
}

/** A cross-origin answer on a route with its own rules carries the matching Access-Control-* headers, errors included (cors.md §5). */
export function markCorsAnswer(res: ServerResponse, route: Route | undefined, s3: S3Request): void {
  if (!route?.cors || s3.headers.origin === undefined) return;
  const headers = corsResponseHeaders(route.cors, corsRequest(s3));
  for (const [name, value] of Object.entries(headers ?? { vary: 'Origin' })) res.setHeader(name, value);
}

/**
 * An OPTIONS preflight: answered from the route's `cors` rules without authentication, as S3 does (cors.md §3); on a
 * route without rules it goes to the backend unsigned, so the backend's own CORS configuration answers.
 */
export async function answerPreflight(ctx: RequestContext, s3: S3Request, route: Route | undefined): Promise<void> {
  if (!route) throw new S3Error('NoSuchBucket', undefined, { BucketName: s3.bucket });
  const resourceType = s3.key === undefined ? 'BUCKET' : 'OBJECT';
  const { res } = ctx;
  if (route.cors) {
    const headers = preflight(route.cors, corsRequest(s3), resourceType);
    res.writeHead(200, { ...headers, 'x-amz-request-id': ctx.id, 'content-length': '0' });
    res.end();
    return;
  }
  const backend = ctx.app.backends.get(route.backend);
  if (!backend) throw new S3Error('NoSuchBucket', undefined, { BucketName: s3.bucket });
  ctx.backend = backend;
  const up = await sendUpstream(backend, {
    operation: s3.operation,
    method: 'OPTIONS',
    bucket: route.backendBucket,
    key: s3.key,
    unsigned: true,
    payloadHash: 'UNSIGNED-PAYLOAD',
    headers: Object.fromEntries(
      ['origin', 'access-control-request-method', 'access-control-request-headers'].filter((h) => s3.headers[h] !== undefined).map((h) => [h, s3.headers[h]!]),
    ),
    signal: ctx.abort.signal,
  });
  res.writeHead(up.status, { ...forwardableResponseHeaders(up.headers), 'x-amz-request-id': ctx.id });
  up.body.pipe(res);
}

/** GetBucketCors on a route with its own rules: the rules as S3's CORSConfiguration document (cors.md §1). */
export function bucketCorsXml(route: Route): string {
  const rules = (route.cors ?? []).map((r) => {
    const list = (name: string, values: readonly string[]) => values.map((v) => `<${name}>${xmlEscape(v)}</${name}>`).join('');
    const maxAge = r.maxAgeSeconds !== undefined ? `<MaxAgeSeconds>${r.maxAgeSeconds}</MaxAgeSeconds>` : '';
    return `<CORSRule>${list('AllowedHeader', r.allowedHeaders)}${list('AllowedMethod', r.allowedMethods)}${list('AllowedOrigin', r.allowedOrigins)}${list('ExposeHeader', r.exposeHeaders)}${maxAge}</CORSRule>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules.join('')}</CORSConfiguration>`;
}
