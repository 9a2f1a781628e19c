// ListBuckets handler: asks every backend, keeps the buckets routing leads back to, under their client-visible names.
import type { Authorized } from '../context.js';
import { globMatch } from '../route/router.js';
import { xmlBlocks, xmlEscape, xmlText } from '../s3/xml.js';
import { readText, sendUpstream } from '../upstream/client.js';
import { EMPTY_SHA256 } from '../s3/hash.js';
import { S3Error } from '../s3/errors.js';
import type { Backend } from '../upstream/backends.js';

export interface ListedBucket {
  name: string;
  creationDate: string;
}

async function listBackendBuckets(backend: Backend, signal: AbortSignal): Promise<ListedBucket[]> {
  const up = await sendUpstream(backend, { operation: 'ListBuckets', method: 'GET', headers: {}, payloadHash: EMPTY_SHA256, signal });
  const text = await readText(up.body);
  if (up.status !== 200) {
    throw new Error(`ListBuckets on ${backend.name} answered ${up.status} ${xmlText(text, 'Code') ?? ''}`.trim());
  }
  return xmlBlocks(text, 'Bucket').map((b) => ({ name: xmlText(b, 'Name') ?? '', creationDate: xmlText(b, 'CreationDate') ?? new Date(0).toISOString() }));
}

export function listBucketsXml(buckets: ListedBucket[], ownerId: string): string {
  const items = buckets.map((b) => `<Bucket><Name>${xmlEscape(b.name)}</Name><CreationDate>${xmlEscape(b.creationDate)}</CreationDate></Bucket>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>${xmlEscape(ownerId)}</ID><DisplayName>${xmlEscape(ownerId)}</DisplayName></Owner><Buckets>${items}</Buckets></ListAllMyBucketsResult>`;
}

export async function listBuckets(ctx: Authorized): Promise<void> {
  const { app } = ctx;
  const { client, accessKeyId } = ctx.auth;
  if (!client || !accessKeyId) throw new S3Error('AccessDenied');
  const allowed = app.clientBuckets(client);
  const backends = [...app.backends.values()];
  const results = await Promise.allSettled(backends.map((b) => listBackendBuckets(b, ctx.abort.signal)));
  const seen = new Map<string, ListedBucket>();
  const failed: string[] = [];
  results.forEach((result, i) => {
    const backend = backends[i]!;
    if (result.status === 'rejected') {
      failed.push(backend.name);
      app.log.warn('ListBuckets: backend failed', {
        requestId: ctx.id,
        backend: backend.name,
        error: String((result.reason as Error)?.message ?? result.reason),
      });
      return;
    }
    for (const b of result.value) {
      for (const name of app.router.visibleNames(backend.name, b.name)) {
        if (globMatch(allowed, name) && !seen.has(name)) seen.set(name, { name, creationDate: b.creationDate });
      }
    }
  });
  const buckets = [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const body = listBucketsXml(buckets, accessKeyId);
  const headers: Record<string, string> = { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(body)), 'x-amz-request-id': ctx.id };
  // A partial list is still useful, but never silently partial: say which backends are missing.
  if (failed.length) {
    headers['x-s3bridge-unavailable-backends'] = failed.join(',');
    ctx.errorCode = 'PartialListBuckets';
  }
  ctx.res.writeHead(200, headers);
  ctx.res.end(body);
}
