// Cluster primary: forks the workers that share the S3 listener, starts each with the current config, restarts one
// that dies (with a backoff, so a crash loop does not spin), and asks them all (reload, metrics, shutdown).
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../log.js';
import { isOurs, type FromWorker, type ToWorker } from './messages.js';

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** A worker that served this long before dying was not crash-looping: its next restart is quick again. */
const STABLE_MS = 10_000;
/** After shutdownGraceSeconds, how long a draining worker may take to close its backends and exit before SIGKILL. */
const EXIT_MARGIN_MS = 10_000;

interface Slot {
  /** 1..N, kept across restarts: "worker 2" in the logs is the same slot whatever its pid. */
  readonly index: number;
  worker?: Worker;
  /** It said hello and was sent its start message: from then on it gets every reload, in order. */
  started: boolean;
  ready: boolean;
  readyAt: number;
  failures: number;
  restartTimer?: NodeJS.Timeout;
}

interface Ask {
  waiting: Set<Worker>;
  replies: Array<{ slot: Slot; reply: FromWorker }>;
  finish(): void;
}

export interface PoolOptions {
  count: number;
  log: Logger;
  /** What a worker that said hello is sent: always the current config and stores. */
  startMessage(): ToWorker;
}

export class WorkerPool {
  private readonly slots: Slot[];
  private readonly asks = new Map<number, Ask>();
  private seq = 0;
  private stopping = false;
  /** Where the shared S3 listener is, as the first ready worker reported it. */
  s3Url: string | undefined;
  /** Set while start() runs: a worker that fails then fails the whole start. */
  private starting: { resolve(): void; reject(err: Error): void } | undefined;

  constructor(private readonly opts: PoolOptions) {
    this.slots = Array.from({ length: opts.count }, (_, i) => ({ index: i + 1, started: false, ready: false, readyAt: 0, failures: 0 }));
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Workers serving now. */
  get readyCount(): number {
    return this.slots.filter((s) => s.ready).length;
  }

  /** Forks every worker; resolves once all listen, rejects if one fails first (the caller then shuts down). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.starting = {
        resolve: () => {
          this.starting = undefined;
          resolve();
        },
        // A failed start means the caller shuts down: no worker is restarted from here on.
        reject: (err) => {
          this.starting = undefined;
          this.stopping = true;
          reject(err);
        },
      };
      for (const slot of this.slots) this.fork(slot);
    });
  }

  /**
   * node:cluster's default scheduling on Linux is round-robin: the primary accepts each connection and hands it to
   * the next worker, which spreads keep-alive connections evenly (the kernel's own choice favours a few processes).
   */
  private fork(slot: Slot): void {
    const worker = cluster.fork();
    Object.assign(slot, { worker, started: false, ready: false, restartTimer: undefined });
    worker.on('message', (msg: unknown) => {
      if (isOurs<FromWorker>(msg)) this.onMessage(slot, worker, msg);
    });
    // A send to a worker that died a moment ago fails here; its exit is handled in onExit. Unhandled, it would end the primary.
    worker.on('error', (err: Error) => this.opts.log.warn('worker IPC error', { worker: slot.index, workerPid: worker.process.pid, error: err.message }));
  }

  private onMessage(slot: Slot, worker: Worker, msg: FromWorker): void {
    if (slot.worker !== worker) return;
    if (msg.type === 's3bridge:hello') {
      if (this.stopping) return;
      slot.started = true;
      worker.send(this.opts.startMessage());
    } else if (msg.type === 's3bridge:ready') {
      this.s3Url ??= msg.s3Url;
      slot.ready = true;
      slot.readyAt = Date.now();
      this.opts.log.info('worker ready', { worker: slot.index, workerPid: worker.process.pid });
      if (this.starting && this.slots.every((s) => s.ready)) this.starting.resolve();
    } else if (msg.type === 's3bridge:failed') {
      this.opts.log.error('worker failed to start', { worker: slot.index, workerPid: worker.process.pid, error: msg.error });
      this.starting?.reject(new Error(`worker ${slot.index}: ${msg.error}`));
    } else if ('seq' in msg) {
      const ask = this.asks.get(msg.seq);
      if (ask?.waiting.delete(worker)) {
        ask.replies.push({ slot, reply: msg });
        if (ask.waiting.size === 0) ask.finish();
      }
    }
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const slot = this.slots.find((s) => s.worker === worker);
    if (!slot) return;
    slot.worker = undefined;
    slot.started = false;
    slot.ready = false;
    for (const ask of this.asks.values()) if (ask.waiting.delete(worker) && ask.waiting.size === 0) ask.finish();
    if (this.stopping) return;
    if (this.starting) {
      this.starting.reject(new Error(`worker ${slot.index} exited (code ${code}, signal ${signal}) before it was ready`));
      return;
    }
    if (slot.readyAt > 0 && Date.now() - slot.readyAt > STABLE_MS) slot.failures = 0;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** slot.failures);
    slot.failures++;
    slot.readyAt = 0;
    this.opts.log.warn('worker exited; restarting it', { worker: slot.index, workerPid: worker.process.pid, code, signal, restartInMs: delay });
    slot.restartTimer = setTimeout(() => {
      if (!this.stopping) this.fork(slot);
    }, delay);
  }

  /**
   * Sends `build(seq)` to every started worker (only ready ones if `readyOnly`) and collects their replies with that
   * seq. Resolves when all answered, exited, or `timeoutMs` passed; `missing` counts those that never answered.
   */
  ask(build: (seq: number) => ToWorker, timeoutMs: number, readyOnly = false): Promise<{ replies: Array<{ slot: Slot; reply: FromWorker }>; missing: number }> {
    const seq = ++this.seq;
    const targets = this.slots.filter((s) => s.worker && s.started && (!readyOnly || s.ready) && s.worker.isConnected());
    return new Promise((resolve) => {
      const ask: Ask = {
        waiting: new Set(targets.map((s) => s.worker!)),
        replies: [],
        finish: () => {
          clearTimeout(timer);
          this.asks.delete(seq);
          resolve({ replies: ask.replies, missing: ask.waiting.size });
        },
      };
      const timer = setTimeout(() => ask.finish(), timeoutMs);
      this.asks.set(seq, ask);
      if (targets.length === 0) return ask.finish();
      const message = build(seq);
      for (const s of targets) s.worker!.send(message);
    });
  }

  /**
   * Drains every worker: each stops accepting and finishes its in-flight requests within graceMs, then exits.
   * One that has not started yet has nothing in flight and is simply terminated; one still there after the grace
   * period and a margin is killed.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    const live: Worker[] = [];
    for (const slot of this.slots) {
      clearTimeout(slot.restartTimer);
      const worker = slot.worker;
      if (!worker || worker.isDead()) continue;
      live.push(worker);
      if (slot.started && worker.isConnected()) worker.send({ type: 's3bridge:shutdown', graceMs } satisfies ToWorker);
      else worker.process.kill('SIGTERM');
    }
    const exited = live.map((w) => (w.isDead() ? Promise.resolve() : new Promise<void>((r) => w.once('exit', () => r()))));
    const killer = setTimeout(() => {
      for (const w of live) {
        if (w.isDead()) continue;
        this.opts.log.warn('worker did not exit after the grace period; killing it', { workerPid: w.process.pid });
        w.process.kill('SIGKILL');
      }
    }, graceMs + EXIT_MARGIN_MS);
    await Promise.all(exited);
    clearTimeout(killer);
  }
}
