// planCopy: where a copy's source lives and whether the destination backend copies it itself (copy-semantics.md §8).
import type { CopyTarget, Routed } from '../context.js';
import type { Route } from '../route/router.js';
import type { CopySource } from '../s3/copy-source.js';
import type { Backend } from '../upstream/backends.js';

export interface CopyPlan {
  source: CopySource;
  sourceRoute: Route;
  sourceBackend: Backend;
  native: boolean;
}

/** Native when the source is on the destination's backend and that backend can do this copy; emulated otherwise. */
export function planCopy(ctx: Routed, source: CopyTarget): CopyPlan {
  const sameBackend = source.backend === ctx.backend;
  const native = sameBackend && (ctx.s3.operation === 'CopyObject' || ctx.backend.capabilities.uploadPartCopy);
  return { source: source.copySource, sourceRoute: source.route, sourceBackend: source.backend, native };
}
