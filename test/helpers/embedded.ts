// Test helper: the embedded backend (s3rver child process) on a temp dir, with its events and child pids visible.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedChildScript, startEmbedded, type EmbeddedEvent, type EmbeddedServer } from '../../src/upstream/embedded.js';

export { waitFor } from './wait.js';

export interface TestEmbedded extends EmbeddedServer {
  dir: string;
  events: EmbeddedEvent[];
}

/** The suite runs src/ but the child is the compiled script: `npm test` builds first; say so when it was skipped. */
export function assertChildBuilt(): void {
  if (!existsSync(embeddedChildScript())) {
    throw new Error(`${embeddedChildScript()} is missing: run \`npm run build\` (npm test does) before these tests`);
  }
}

export async function startTestEmbedded(opts: { name?: string; dir?: string; accessKeyId?: string; secretAccessKey?: string } = {}): Promise<TestEmbedded> {
  assertChildBuilt();
  const root = opts.dir === undefined ? mkdtempSync(join(tmpdir(), 's3bridge-embedded-')) : undefined;
  const dir = opts.dir ?? join(root!, 'data');
  const events: EmbeddedEvent[] = [];
  const server = await startEmbedded({ name: opts.name ?? 'local', dir, accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, onEvent: (e) => events.push(e) });
  const stop = server.stop.bind(server);
  // The server's getters (endpoint, restarts) must stay live, so decorate the instance rather than copy it.
  return Object.assign(server, {
    dir,
    events,
    async stop() {
      await stop();
      if (root) rmSync(root, { recursive: true, force: true }); // a temp dir we made: leave nothing behind
    },
  });
}

/** Pids of the embedded children of `parent` (default: this process), from ps. */
export function embeddedChildPids(parent = process.pid): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is no child at all
  }
  return out
    .split('\n')
    .filter((line) => line.includes('embedded-child.js'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

/** Running (a zombie left for an init that does not reap counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
