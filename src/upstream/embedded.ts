// Upstream, embedded backends: starts the embedded store (src/store), in this process or in a supervised child (store/child.ts).
//
// A child that dies is restarted on the same port, so the backend's endpoint never changes while s3bridge runs.
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorMessage, ReadyMessage, StartMessage } from '../store/child.js';
import { startStore } from '../store/server.js';

export interface EmbeddedEvent {
  /** exit: the child died unexpectedly (never reported for stop()); restart: a new child is being started; ready: it listens. */
  event: 'exit' | 'restart' | 'ready';
  name: string;
  code?: number | null;
  signal?: string | null;
  port?: number;
  /** Last line the child wrote to stderr before an exit (its crash reason), if any. */
  detail?: string;
}

export interface EmbeddedOptions {
  name: string;
  dir: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  onEvent?: (e: EmbeddedEvent) => void;
  /** Where the store runs; default in-process (MEASUREMENT: S3BRIDGE_EMBEDDED_PROCESS=child selects the child). */
  process?: 'in-process' | 'child';
  minPartSize?: number;
}

export interface EmbeddedServer {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** How many times a new child was started after one died (attempts, whether or not they came up). */
  readonly restarts: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** A child that served this long before dying was not crash-looping: the next restart is quick again. */
const STABLE_MS = 10_000;
const STDERR_TAIL_CHARS = 4096;

/**
 * The compiled child script. From dist/ it is the sibling file; when this module runs from src/ (the test suite
 * imports TypeScript directly) it is the build output, so tests need `npm run build` first (`npm test` does it).
 */
export function embeddedChildScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return resolve(dirname(here), '../../dist/store/child.js');
  return join(dirname(here), '../store/child.js');
}

export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const mode = opts.process ?? (process.env.S3BRIDGE_EMBEDDED_PROCESS === 'child' ? 'child' : 'in-process');
  if (mode === 'in-process') {
    const store = await startStore({ dir: opts.dir, accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, minPartSize: opts.minPartSize });
    opts.onEvent?.({ event: 'ready', name: opts.name, port: Number(new URL(store.endpoint).port) });
    return { endpoint: store.endpoint, accessKeyId: store.accessKeyId, secretAccessKey: store.secretAccessKey, restarts: 0, stop: () => store.stop() };
  }
  const script = embeddedChildScript();
  if (!existsSync(script)) {
    throw new Error(`embedded backend "${opts.name}": ${script} is missing; run \`npm run build\` first`);
  }
  const dir = resolve(opts.dir);
  // Owner-only: the files are the objects, readable around s3bridge's client rules otherwise.
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const server = new SupervisedStore(script, dir, opts);
  await server.startFirst();
  return server;
}

/**
 * The store needs nothing from our environment, and that environment may hold the other backends' credentials
 * (config files reference them as ${AWS_SECRET_ACCESS_KEY}): pass only what a Node process needs to run.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // glibc's malloc knobs too (docs/performance.md, "Memory allocator"): the store streams as much as s3bridge does.
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SYSTEMROOT', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_TOP_PAD_', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_ARENA_MAX']) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return env;
}

/** The crash reason in a Node stderr dump ("Error: ENOENT: …" rather than the trailing "Node.js v20…"), else the last line. */
function crashReason(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.find((l) => /^[A-Za-z]*Error\b/.test(l)) ?? lines[lines.length - 1];
}

class SupervisedStore implements EmbeddedServer {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  restarts = 0;
  private port = 0;
  private child: ChildProcess | undefined;
  private childExited: Promise<void> = Promise.resolve();
  private readyAt = 0;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private readonly onEvent: (e: EmbeddedEvent) => void;

  constructor(private readonly script: string, private readonly dir: string, private readonly opts: EmbeddedOptions) {
    this.accessKeyId = opts.accessKeyId ?? `EMB${randomBytes(9).toString('hex').toUpperCase()}`;
    this.secretAccessKey = opts.secretAccessKey ?? randomBytes(30).toString('base64url');
    this.onEvent = opts.onEvent ?? (() => undefined);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async startFirst(): Promise<void> {
    this.port = await this.launch();
    this.onEvent({ event: 'ready', name: this.opts.name, port: this.port });
  }

  stop(): Promise<void> {
    this.stopping ??= this.kill();
    return this.stopping;
  }

  private async kill(): Promise<void> {
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = this.childExited;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Starts one child on this.port (0 the first time) and resolves with the port it listens on. */
  private launch(): Promise<number> {
    const child = fork(this.script, [], {
      execPath: process.execPath,
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
      env: childEnv(),
    });
    this.child = child;
    let stderrTail = '';
    let startError: string | undefined;
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      stderrTail = (stderrTail + s).slice(-STDERR_TAIL_CHARS);
    });
    let markExited!: () => void;
    this.childExited = new Promise((r) => (markExited = r));

    return new Promise<number>((resolvePort, reject) => {
      let settled = false;
      const fail = (reason: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new Error(`embedded backend "${this.opts.name}": ${reason}`));
      };
      const timer = setTimeout(() => {
        fail(`the store did not start within ${START_TIMEOUT_MS} ms`);
        child.kill('SIGKILL');
      }, START_TIMEOUT_MS);

      child.on('message', (raw: unknown) => {
        const msg = raw as ReadyMessage | ErrorMessage;
        if (msg.type === 'ready' && !settled) {
          settled = true;
          clearTimeout(timer);
          this.readyAt = Date.now();
          resolvePort(msg.port);
        } else if (msg.type === 'error') {
          startError = `${msg.code ?? ''} ${msg.message}`.trim();
          fail(`the store failed to start on ${this.dir}: ${msg.code ?? ''} ${msg.message}`.trim());
        }
      });
      child.on('error', (err) => fail(`cannot run the child process: ${err.message}`));
      child.once('exit', (code, signal) => {
        markExited();
        fail(`the store exited (code ${code}, signal ${signal}) before it was ready${stderrTail ? `: ${crashReason(stderrTail)}` : ''}`);
        this.onChildExit(child, code, signal, startError ?? crashReason(stderrTail));
      });

      const start: StartMessage = {
        type: 'start',
        dir: this.dir,
        port: this.port,
        accessKeyId: this.accessKeyId,
        secretAccessKey: this.secretAccessKey,
        minPartSize: this.opts.minPartSize,
      };
      child.send(start, (err) => {
        if (err) fail(`cannot reach the child process: ${err.message}`);
      });
    });
  }

  private onChildExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, detail: string | undefined): void {
    if (child !== this.child) return;
    this.child = undefined;
    // Exits asked for by stop(), and failures of the very first start (startEmbedded rejects), are not supervised.
    if (this.stopping || this.port === 0) return;
    this.onEvent({ event: 'exit', name: this.opts.name, code, signal, detail });
    if (this.readyAt > 0 && Date.now() - this.readyAt > STABLE_MS) this.failures = 0;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.failures);
    this.failures++;
    this.readyAt = 0;
    this.restartTimer = setTimeout(() => void this.restart(), delay);
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    this.restarts++;
    this.onEvent({ event: 'restart', name: this.opts.name, port: this.port });
    try {
      await this.launch();
      // stop() may have been called while the child was starting: kill() then waits for this child too.
      if (!this.stopping) this.onEvent({ event: 'ready', name: this.opts.name, port: this.port });
    } catch {
      // The failed child's exit schedules the next attempt (onChildExit), with a longer backoff.
    }
  }
}
