// Test helper: the embedded store (src/store) on a temp folder, driven directly: its endpoint, keys and an SDK client with default settings.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { startStore, type StartStoreOptions, type StoreServer } from '../../src/store/server.js';

export interface TestStore extends StoreServer {
  dir: string;
  client(extra?: Partial<S3ClientConfig>): S3Client;
  /** Stops the store; with keep: true the folder stays (restart tests). */
  stop(opts?: { keep?: boolean }): Promise<void>;
}

export function storeClient(endpoint: string, creds: { accessKeyId: string; secretAccessKey: string }, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: creds, maxAttempts: 1, ...extra });
}

export async function startTestStore(opts: Partial<StartStoreOptions> = {}): Promise<TestStore> {
  const root = opts.dir === undefined ? mkdtempSync(join(tmpdir(), 's3bridge-store-')) : undefined;
  const dir = opts.dir ?? join(root!, 'data');
  const server = await startStore({ minPartSize: 1024, ...opts, dir });
  return {
    endpoint: server.endpoint,
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    dir,
    client: (extra = {}) => storeClient(server.endpoint, server, extra),
    async stop({ keep = false } = {}) {
      await server.stop();
      if (root && !keep) rmSync(root, { recursive: true, force: true });
    },
  };
}

/** An SDK call that must fail: its error name and HTTP status (throws if it succeeded). */
export async function failure(p: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the request to fail');
}
