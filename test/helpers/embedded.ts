// Test helper: the embedded backend (the store in this process) on a temp dir, with its events.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded, type EmbeddedEvent, type EmbeddedServer } from '../../src/upstream/embedded.js';

export interface TestEmbedded extends EmbeddedServer {
  dir: string;
  events: EmbeddedEvent[];
}

export async function startTestEmbedded(opts: { name?: string; dir?: string; accessKeyId?: string; secretAccessKey?: string } = {}): Promise<TestEmbedded> {
  const root = opts.dir === undefined ? mkdtempSync(join(tmpdir(), 's3bridge-embedded-')) : undefined;
  const dir = opts.dir ?? join(root!, 'data');
  const events: EmbeddedEvent[] = [];
  const server = await startEmbedded({
    name: opts.name ?? 'local',
    dir,
    accessKeyId: opts.accessKeyId,
    secretAccessKey: opts.secretAccessKey,
    onEvent: (e) => events.push(e),
  });
  return {
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    dir,
    events,
    async stop() {
      await server.stop();
      if (root) rmSync(root, { recursive: true, force: true }); // a temp dir we made: leave nothing behind
    },
  };
}
