// handle: the last pipeline stage's choice: a copy (native or emulated) for a request with a copy source, passthrough for everything else.
import type { Routed } from '../context.js';
import { emulateCopy } from '../copy/emulate.js';
import { nativeCopy } from '../copy/native.js';
import { planCopy } from '../copy/plan.js';
import { passthrough } from './passthrough.js';

export async function handle(ctx: Routed): Promise<void> {
  if (ctx.source) {
    const plan = planCopy(ctx, ctx.source);
    return plan.native ? nativeCopy(ctx, plan) : emulateCopy(ctx, plan);
  }
  return passthrough(ctx);
}
