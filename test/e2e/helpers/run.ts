// End-to-end test helper: runs a real client program (aws, rclone, s3cmd) with a hard timeout, killing its whole process group if it hangs.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Hard limit; the process group is SIGKILLed after it (default 90 s). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 90_000;
const KEEP_OUTPUT = 64 * 1024;

/** Every client still running, so a test worker that exits early leaves none behind. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of running) killGroup(proc);
});

function killGroup(proc: ChildProcess): void {
  if (proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  try {
    process.kill(-proc.pid, 'SIGKILL'); // the group made by detached: the client and anything it forked
  } catch {
    // already gone
  }
}

/** Runs `cmd args` to completion; rejects only when it cannot start or times out (a non-zero exit is a result). */
export function run(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(proc);
    let stdout = '';
    let stderr = '';
    // Keep the tail only: a chatty client must not grow the test's memory.
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout = (stdout + s).slice(-KEEP_OUTPUT)));
    proc.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-KEEP_OUTPUT)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(proc);
    }, timeoutMs);
    proc.once('error', (err) => {
      clearTimeout(timer);
      running.delete(proc);
      reject(err);
    });
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(proc);
      if (timedOut) {
        reject(new Error(`${cmd} ${args.join(' ')} hung and was killed after ${timeoutMs} ms\nstderr: ${stderr.slice(-2000)}`));
        return;
      }
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

/** Like run, but a non-zero exit is an error that shows the client's output. */
export async function runOk(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.code ?? r.signal}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-4000)}`);
  }
  return r;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Every executable named `name` on PATH, in PATH order. */
export function whichAll(name: string, path = process.env.PATH ?? ''): string[] {
  return path
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .filter(isExecutable);
}
