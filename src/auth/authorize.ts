// authorize: after authentication, the one access decision on the effective request (security.md §2): allow-lists, read-only keys, routes, literal keys.
import type { ClientConfig } from '../config/schema.js';
import { globMatch, type Route, type Router } from '../route/router.js';
import { S3Error } from '../s3/errors.js';
import { authenticatedHeaders } from '../s3/headers.js';
import { assertLiteralKey } from '../s3/names.js';
import type { CopySource } from '../s3/copy-source.js';
import type { S3Request } from '../parse/request.js';
import type { Principal } from './authenticate.js';

/** What a backend can do, as far as authorization cares. */
export interface BackendTraits {
  readonly name: string;
  readonly capabilities: { readonly literalKeys: boolean };
}

export interface AccessPolicy<B extends BackendTraits> {
  /** The client's bucket allow-list, compiled. */
  clientBuckets(client: ClientConfig): readonly RegExp[];
  readonly router: Router;
  readonly backends: ReadonlyMap<string, B>;
}

export interface Target<B> {
  route: Route;
  backend: B;
}

export interface Authorized<B> {
  /** The headers the backend may receive (signed + the short unsigned list, security.md §4). */
  headers: Record<string, string>;
  /** An unsigned request on a route with `anonymous: backend`: it goes to the backend unsigned too. */
  unsigned?: boolean;
  /** Where the request's bucket lives; undefined only for service-level requests (ListBuckets). */
  target?: Target<B>;
  /** Where the copy source lives (CopyObject, UploadPartCopy). */
  source?: Target<B> & { copySource: CopySource };
  /**
   * For a configuration document that names other buckets (logging target, inventory or replication destination):
   * throws unless the client could write there itself, on the same backend, under the same name (security.md §3.5).
   */
  checkNamedBucket(name: string): void;
}

/** What an unsigned request may do on a route with `anonymous: read` (a public bucket in front of a private store). */
const ANONYMOUS_READS = new Set(['GetObject', 'HeadObject', 'ListObjects', 'ListObjectsV2', 'HeadBucket']);

/**
 * Decides whether `principal` may have the backend execute `request`, and where (security.md §2):
 * 1. every bucket the request names — its own, and the copy source's — is in the client's allow-list;
 * 2. a read-only key calls only operations marked read (by method and exact subresource set);
 * 3. each bucket routes to a backend (alias targets are hidden behind their alias);
 * 4. each key is one that backend will take literally;
 * 5. an unsigned request is allowed only what its route's `anonymous` setting allows, and never a copy.
 * Throws AccessDenied, NoSuchBucket or InvalidArgument; returns the routes and the forwardable headers.
 */
export function authorize<B extends BackendTraits>(request: S3Request, principal: Principal, policy: AccessPolicy<B>): Authorized<B> {
  const { client } = principal;
  if (client === undefined) return authorizeAnonymous(request, policy);
  const allowed = policy.clientBuckets(client);
  const buckets = [request.bucket, request.copySource?.bucket].filter((b): b is string => b !== undefined);
  for (const bucket of buckets) {
    if (!globMatch(allowed, bucket)) throw new S3Error('AccessDenied', 'Access Denied', { BucketName: bucket });
  }
  if (client.readOnly && request.spec.read !== true) {
    throw new S3Error('AccessDenied', 'Access Denied: this access key is read-only.');
  }
  const signed = new Set([...principal.signedHeaders, ...request.hoisted]);
  const out: Authorized<B> = { headers: authenticatedHeaders(request.headers, signed), checkNamedBucket: () => undefined };
  if (request.bucket === undefined) return out;
  const target = (out.target = resolve(policy, request.bucket));
  out.checkNamedBucket = (name) => {
    const named = globMatch(allowed, name) && policy.router.lookup(name);
    if (!named || named.backend !== target.route.backend || named.backendBucket !== name || client.readOnly) {
      throw new S3Error('AccessDenied', 'Access Denied: the configuration names a bucket this key may not write to.', { BucketName: name });
    }
  };
  if (request.key !== undefined) assertLiteralKey(request.key, out.target.backend.capabilities.literalKeys);
  const copySource = request.copySource;
  if (copySource) {
    const source = resolve(policy, copySource.bucket);
    assertLiteralKey(copySource.key, source.backend.capabilities.literalKeys, 'x-amz-copy-source');
    out.source = { ...source, copySource };
  }
  return out;
}

function authorizeAnonymous<B extends BackendTraits>(request: S3Request, policy: AccessPolicy<B>): Authorized<B> {
  const denied = () => new S3Error('AccessDenied', 'Anonymous access is not allowed here; sign the request with SigV4.');
  if (request.bucket === undefined || request.copySource) throw denied();
  const target = resolve(policy, request.bucket);
  const mode = target.route.anonymous;
  if (mode === 'deny' || (mode === 'read' && !ANONYMOUS_READS.has(request.operation))) throw denied();
  if (request.key !== undefined) assertLiteralKey(request.key, target.backend.capabilities.literalKeys);
  // Unsigned requests carry none of our credentials: what a document names is the backend's to judge.
  return {
    headers: authenticatedHeaders(request.headers, new Set(), { anonymous: true }),
    target,
    unsigned: mode === 'backend',
    checkNamedBucket: () => undefined,
  };
}

function resolve<B extends BackendTraits>(policy: AccessPolicy<B>, bucket: string): Target<B> {
  const route = policy.router.resolve(bucket);
  const backend = policy.backends.get(route.backend);
  if (!backend) throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
  return { route, backend };
}
