// Test helper: runs a table of attack requests on the security stack; each answer asserted exactly, and every store unchanged afterwards.
import { expect, it } from 'vitest';
import type { RawS3Request, RawS3Response } from './raw-s3.js';
import { expectS3Error, xmlField } from './raw-s3.js';
import { BACKENDS, type BackendName, type ClientName, type SecurityStack } from './security-stack.js';

export interface Expected {
  status: number;
  /** The error Code; undefined for a success. */
  code?: string;
  /** The answer is the backend's, relayed (its own RequestId in the document); default: s3bridge refused it itself. */
  backend?: boolean;
}

export interface AttackCase {
  name: string;
  /** Variants of one attack (methods, header or query) share a group: one store snapshot after all of them. */
  group?: string;
  client: ClientName;
  /** The backends to aim at (default: all three). */
  only?: readonly BackendName[];
  /** The request, signed by the client's key (or `send`, for requests the signing helper cannot build). */
  request?(x: BackendName, s: SecurityStack): RawS3Request;
  send?(x: BackendName, s: SecurityStack): Promise<RawS3Response>;
  expect: Expected | ((x: BackendName) => Expected);
  /** More that must hold of the answer. */
  check?(res: RawS3Response, x: BackendName): void;
}

/** What no answer may ever carry: the private objects' bytes (setup wrote "contents of zz-X", "part of zz-X") or a signature. */
const LEAKS = /contents of zz-|part of zz-|AWS4-HMAC-SHA256|X-Amz-Signature/;

function assertAnswer(c: AttackCase, x: BackendName, res: RawS3Response): void {
  const what = `${c.name} [${x}]`;
  const e = typeof c.expect === 'function' ? c.expect(x) : c.expect;
  expect(LEAKS.test(res.body) || LEAKS.test(JSON.stringify(res.headers)), `${what}: the answer leaks a secret`).toBe(false);
  if (e.code === undefined) expect({ what, status: res.status }).toEqual({ what, status: e.status });
  else if (e.backend) expect({ what, status: res.status, code: xmlField(res.body, 'Code') }).toEqual({ what, status: e.status, code: e.code });
  else expectS3Error(res, e.status, e.code, what);
  c.check?.(res, x);
}

async function sendCase(s: SecurityStack, c: AttackCase): Promise<void> {
  const xs = c.only ?? BACKENDS;
  // The backends are independent: aim at all of them at once, and hear every answer before judging any.
  const answers = await Promise.all(xs.map((x) => (c.send ? c.send(x, s) : s.send(c.client, c.request!(x, s)))));
  for (const [i, res] of answers.entries()) assertAnswer(c, xs[i]!, res);
}

const GROUP_CONCURRENCY = 6;

/**
 * Sends the cases (a few at a time), then compares every store with how it was before. The snapshot is taken
 * even when an answer was wrong, so that what this case changed is reported here and not by the next case; a
 * changed store is the worse failure and is reported first.
 */
async function attack(s: SecurityStack, name: string, cases: readonly AttackCase[]): Promise<void> {
  const failures: unknown[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) await sendCase(s, cases[next++]!).catch((err: unknown) => failures.push(err));
  };
  await Promise.all(Array.from({ length: Math.min(GROUP_CONCURRENCY, cases.length) }, worker));
  await s.expectUnchanged(name);
  if (failures.length) throw failures[0];
}

/** One test per case: the request on each backend, then every store compared with how it was before. */
export function runAttacks(stack: () => SecurityStack, cases: readonly AttackCase[]): void {
  it.each(cases)('$name', (c) => attack(stack(), c.name, [c]));
}

/** One test per group of cases (variants of one attack, or a matrix too large for a snapshot after each case). */
export function runAttackGroups(stack: () => SecurityStack, groups: ReadonlyArray<{ name: string; cases: readonly AttackCase[] }>): void {
  it.each(groups)('$name', ({ name, cases }) => attack(stack(), name, cases));
}

/** Cases in their groups (a case without one is a group of its own), in first-seen order. */
export function grouped(cases: readonly AttackCase[]): Array<{ name: string; cases: AttackCase[] }> {
  const groups = new Map<string, AttackCase[]>();
  for (const c of cases) {
    const key = c.group ?? c.name;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  return [...groups].map(([name, list]) => ({ name, cases: list }));
}
