// Test helper: the whole proxy in-process on port 0 in front of the given backends, with its log lines captured.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { parseConfig } from '../../src/config/load.js';
import { startS3Bridge, type RunningBridge } from '../../src/app.js';
import { createLogger } from '../../src/log.js';

export interface TestBridge extends RunningBridge {
  /** Every line s3bridge logged (access log and events), parsed. */
  lines: Array<Record<string, unknown>>;
  /** The raw text of every line, for secret-leak checks. */
  rawLog: string[];
  client(accessKeyId?: string, secretAccessKey?: string, extra?: Partial<S3ClientConfig>): S3Client;
}

export const DEMO = { accessKeyId: 'demo', secretAccessKey: 'demo-secret-key' };

export function tempDir(prefix = 's3bridge-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts s3bridge on a YAML/JSON config object (server/admin ports default to 0). */
export async function startBridge(config: Record<string, unknown>): Promise<TestBridge> {
  const doc = {
    ...config,
    server: { host: '127.0.0.1', port: 0, ...(config.server as object) },
    admin: { host: '127.0.0.1', port: 0, ...(config.admin as object) },
    clients: config.clients ?? [{ ...DEMO, buckets: ['*'] }],
  };
  const lines: Array<Record<string, unknown>> = [];
  const rawLog: string[] = [];
  const log = createLogger((line) => {
    rawLog.push(line);
    try {
      lines.push(JSON.parse(line));
    } catch {
      lines.push({ unparsable: line });
    }
  });
  const bridge = await startS3Bridge(parseConfig(JSON.stringify(doc), {}), { log });
  return Object.assign(bridge, {
    lines,
    rawLog,
    client(accessKeyId = DEMO.accessKeyId, secretAccessKey = DEMO.secretAccessKey, extra: Partial<S3ClientConfig> = {}) {
      return new S3Client({
        endpoint: bridge.s3Url,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId, secretAccessKey },
        maxAttempts: 1,
        ...extra,
      });
    },
  });
}

/** A moto/recording backend entry for a config. */
export function remoteBackend(name: string, b: { endpoint: string; accessKeyId: string; secretAccessKey: string }, extra: Record<string, unknown> = {}) {
  return { name, endpoint: b.endpoint, region: 'us-east-1', accessKeyId: b.accessKeyId, secretAccessKey: b.secretAccessKey, ...extra };
}
