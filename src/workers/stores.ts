// Cluster primary: the embedded stores, started once here and shared by every worker (their endpoints and keys go to
// the workers over IPC, messages.ts); a reload keeps a store whose own settings did not change.
import { isEmbedded, type Config, type EmbeddedBackendConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { startEmbeddedStore } from '../upstream/backends.js';
import type { EmbeddedServer } from '../upstream/embedded.js';
import type { StoreTable } from './messages.js';

interface Running {
  settings: string;
  server: EmbeddedServer;
}

/** The store's own settings: a change elsewhere in the backend entry (maxConnections, timeouts) keeps the store. */
const settingsOf = (cfg: EmbeddedBackendConfig) => JSON.stringify(cfg.embedded);

export class PrimaryStores {
  private running = new Map<string, Running>();
  private readonly retiring = new Set<EmbeddedServer>();

  constructor(private readonly log: Logger) {}

  /** Endpoint and key pair of every running store, by backend name: what workers attach to. */
  table(): StoreTable {
    const out: StoreTable = {};
    for (const [name, { server }] of this.running) {
      out[name] = { endpoint: server.endpoint, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey };
    }
    return out;
  }

  /**
   * Makes the running stores those `config` needs: starts the missing ones, keeps the unchanged ones, and returns the
   * ones no longer needed (still running: workers may use them until they reloaded; see retire()). If a store fails
   * to start, the ones this call started are stopped and it throws, with nothing changed.
   */
  async update(config: Config): Promise<EmbeddedServer[]> {
    const next = new Map<string, Running>();
    const started: EmbeddedServer[] = [];
    try {
      for (const cfg of config.backends) {
        if (!isEmbedded(cfg)) continue;
        const settings = settingsOf(cfg);
        const current = this.running.get(cfg.name);
        if (current?.settings === settings) {
          next.set(cfg.name, current);
          continue;
        }
        const server = await startEmbeddedStore(cfg, {
          onEmbeddedEvent: (e) => (e.event === 'ready' ? this.log.info('embedded backend ready', e) : this.log.warn(`embedded backend ${e.event}`, e)),
        });
        started.push(server);
        next.set(cfg.name, { settings, server });
      }
    } catch (err) {
      await Promise.allSettled(started.map((s) => s.stop()));
      throw err;
    }
    const kept = new Set([...next.values()].map((r) => r.server));
    const gone = [...this.running.values()].map((r) => r.server).filter((s) => !kept.has(s));
    this.running = next;
    return gone;
  }

  /** Stops stores that left the config once requests already using them had `graceMs` to finish. */
  retire(servers: EmbeddedServer[], graceMs: number): void {
    for (const server of servers) {
      this.retiring.add(server);
      const timer = setTimeout(() => {
        this.retiring.delete(server);
        void server.stop();
      }, graceMs);
      timer.unref();
    }
  }

  async stopAll(): Promise<void> {
    const all = [...[...this.running.values()].map((r) => r.server), ...this.retiring];
    this.running = new Map();
    this.retiring.clear();
    await Promise.allSettled(all.map((s) => s.stop()));
  }
}
