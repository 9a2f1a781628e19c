// pickHandler: passthrough unless the operation needs more (copies, native or emulated).
import type { Routed } from '../context.js';
import { emulateCopy } from '../copy/emulate.js';
import { nativeCopy } from '../copy/native.js';
import { planCopy } from '../copy/plan.js';
import { passthrough } from './passthrough.js';

export type Handler = (ctx: Routed) => Promise<void>;

async function copy(ctx: Routed): Promise<void> {
  const plan = planCopy(ctx, ctx.source!);
  await (plan.native ? nativeCopy(ctx, plan) : emulateCopy(ctx, plan));
}

export function pickHandler(ctx: Routed): Handler {
  return ctx.s3.spec.copy ? copy : passthrough;
}
