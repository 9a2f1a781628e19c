// resolveRoute: client-visible bucket → backend name + backend bucket (routes in order, first match wins); pure.
import { LRUCache } from 'lru-cache';
import { S3Error } from '../s3/errors.js';
import type { CorsRule, RouteConfig } from '../config/schema.js';

export interface Route {
  backend: string;
  /** The bucket's name on the backend (differs from the client's when the route is an alias). */
  backendBucket: string;
  /** What unsigned requests to this bucket may do (routes[].anonymous). */
  anonymous: 'deny' | 'read' | 'backend';
  /** s3bridge's own CORS rules for this bucket; undefined leaves CORS to the backend (routes[].cors). */
  cors?: readonly CorsRule[];
}

/** Glob on bucket names: "*" any run of characters, "?" one character. */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (const c of glob) {
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else re += c.replace(/[.+^${}()|[\]\\-]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

export function globMatch(patterns: readonly RegExp[], name: string): boolean {
  return patterns.some((p) => p.test(name));
}

/** A route as configured; `anonymous` defaults to deny. */
export type RouteInput = Omit<RouteConfig, 'anonymous'> & { anonymous?: RouteConfig['anonymous'] };

interface CompiledRoute {
  pattern: RegExp;
  exact: boolean;
  config: RouteInput;
}

export class Router {
  private readonly routes: CompiledRoute[];
  // Route lookups repeat for the same few buckets; the cache avoids re-running every glob.
  private readonly cache = new LRUCache<string, Route | false>({ max: 10_000 });

  /** "backend/bucket" of every alias target: reachable only under its alias (or a route naming it exactly). */
  private readonly aliasTargets: Set<string>;

  constructor(routes: readonly RouteInput[]) {
    this.routes = routes.map((config) => ({ pattern: globToRegExp(config.bucket), exact: !/[*?]/.test(config.bucket), config }));
    this.aliasTargets = new Set(
      routes.filter((r) => r.backendBucket !== undefined && r.backendBucket !== r.bucket).map((r) => `${r.backend}/${r.backendBucket}`),
    );
  }

  /**
   * The route for a client-visible bucket, or undefined when no rule matches. A glob rule does not lead to a
   * bucket that an alias renames: a client that may see only `photos` must not reach its backend bucket
   * `prod-photos` through a catch-all route (security.md §5).
   */
  lookup(bucket: string): Route | undefined {
    const hit = this.cache.get(bucket);
    if (hit !== undefined) return hit || undefined;
    const match = this.routes.find((r) => r.pattern.test(bucket));
    let route: Route | undefined = match
      ? {
          backend: match.config.backend,
          backendBucket: match.config.backendBucket ?? bucket,
          anonymous: match.config.anonymous ?? 'deny',
          cors: match.config.cors,
        }
      : undefined;
    if (route && match && !match.exact && this.aliasTargets.has(`${route.backend}/${route.backendBucket}`)) route = undefined;
    this.cache.set(bucket, route ?? false);
    return route;
  }

  /** Like lookup, but an unrouted bucket is NoSuchBucket as S3 would say it. */
  resolve(bucket: string): Route {
    const route = this.lookup(bucket);
    if (!route) throw new S3Error('NoSuchBucket', undefined, { BucketName: bucket });
    return route;
  }

  /**
   * Client-visible names under which a backend bucket is reachable: an alias name when a
   * route renames it, its own name when routing that name leads back to the same place.
   */
  visibleNames(backend: string, backendBucket: string): string[] {
    const names: string[] = [];
    for (const r of this.routes) {
      if (r.exact && r.config.backendBucket === backendBucket && r.config.backend === backend) {
        // Shadowed by an earlier rule? Then the alias is not reachable under this name.
        const actual = this.lookup(r.config.bucket);
        if (actual && actual.backend === backend && actual.backendBucket === backendBucket) names.push(r.config.bucket);
      }
    }
    const own = this.lookup(backendBucket);
    if (own && own.backend === backend && own.backendBucket === backendBucket && !names.includes(backendBucket)) names.push(backendBucket);
    return names;
  }

  /** The route table as `--check-config` prints it. */
  describe(): string[] {
    return this.routes.map((r) => `${r.config.bucket} -> ${r.config.backend}${r.config.backendBucket ? ` (bucket ${r.config.backendBucket})` : ''}`);
  }
}
