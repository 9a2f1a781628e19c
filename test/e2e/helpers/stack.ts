// End-to-end test helper: s3bridge in front of moto providers and its embedded store, plus clients that read the backends directly, bypassing s3bridge.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { remoteBackend, startBridge, tempDir, type TestBridge } from '../../helpers/bridge.js';
import type { MotoServer } from '../../helpers/moto.js';
import type { TlsFiles } from './tls.js';

/**
 * Client-visible bucket prefix → backend: `a-*` moto-a, `b-*` moto-b, `l-*` the embedded store ("local"),
 * `c-*` moto-c: the first moto again, declared able to take aws-chunked (capabilities.awsChunked), so
 * trailer checksums are re-framed and reach it.
 */
export const PREFIX = { 'moto-a': 'a-', 'moto-b': 'b-', 'moto-c': 'c-', local: 'l-' } as const;
export type BackendName = keyof typeof PREFIX;

export interface Stack {
  bridge: TestBridge;
  /** An S3 client straight to a backend (its own credentials), never through s3bridge. */
  direct(backend: BackendName): S3Client;
  /** Stops s3bridge (and with it the embedded store) and removes the embedded store's files. */
  close(): Promise<void>;
}

export interface StackOptions {
  tls?: TlsFiles;
  copy?: Record<string, unknown>;
  /** Also route `c-*` to the first moto as moto-c with capabilities.awsChunked. */
  awsChunkedMoto?: boolean;
}

/** Starts s3bridge over the given motos (moto-a, then moto-b) and one embedded store. */
export async function startStack(motos: MotoServer[], opts: StackOptions = {}): Promise<Stack> {
  const names = ['moto-a', 'moto-b'] as const;
  const embeddedDir = tempDir('s3bridge-e2e-embedded-');
  const chunked = opts.awsChunkedMoto && motos[0] ? [remoteBackend('moto-c', motos[0], { capabilities: { awsChunked: true } })] : [];
  const bridge = await startBridge({
    ...(opts.tls ? { server: { tls: opts.tls } } : {}),
    backends: [...motos.map((m, i) => remoteBackend(names[i]!, m)), ...chunked, { name: 'local', embedded: { dir: embeddedDir } }],
    routes: [
      ...motos.map((_m, i) => ({ bucket: `${PREFIX[names[i]!]}*`, backend: names[i]! })),
      ...chunked.map(() => ({ bucket: 'c-*', backend: 'moto-c' })),
      { bucket: 'l-*', backend: 'local' },
    ],
    ...(opts.copy ? { copy: opts.copy } : {}),
  }).catch((err: unknown) => {
    rmSync(embeddedDir, { recursive: true, force: true });
    throw err;
  });
  const clients = new Map<BackendName, S3Client>();
  return {
    bridge,
    async close() {
      await bridge.close(1000);
      rmSync(embeddedDir, { recursive: true, force: true });
    },
    direct(backend) {
      let client = clients.get(backend);
      if (!client) {
        const b = bridge.app.backends.get(backend);
        if (!b) throw new Error(`no backend ${backend}`);
        const creds = b.embedded
          ? { accessKeyId: b.embedded.accessKeyId, secretAccessKey: b.embedded.secretAccessKey }
          : { accessKeyId: b.credentials.accessKeyId, secretAccessKey: b.credentials.secretAccessKey };
        client = new S3Client({
          endpoint: b.embedded?.endpoint ?? b.origin,
          region: 'us-east-1',
          forcePathStyle: true,
          credentials: creds,
          maxAttempts: 1,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        });
        clients.set(backend, client);
      }
      return client;
    },
  };
}

export const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** SHA-256 and length of a stream, read with backpressure. */
export async function digestStream(stream: Readable): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), length };
}

/** SHA-256 and length of an object as `client` reads it (a direct client: what the backend really stored). */
export async function objectDigest(client: S3Client, Bucket: string, Key: string): Promise<{ sha256: string; length: number }> {
  const got = await client.send(new GetObjectCommand({ Bucket, Key }));
  return digestStream(got.Body as Readable);
}

export async function fileDigest(path: string): Promise<{ sha256: string; length: number }> {
  return digestStream(createReadStream(path));
}

/** Writes `size` random bytes to `path` (1 MiB at a time) and returns their digest. */
export async function writeRandomFile(path: string, size: number): Promise<{ sha256: string; length: number }> {
  const out = createWriteStream(path);
  const hash = createHash('sha256');
  for (let left = size; left > 0; ) {
    const chunk = randomBytes(Math.min(left, 1024 * 1024));
    hash.update(chunk);
    left -= chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { sha256: hash.digest('hex'), length: size };
}

/** Whether the backend holds `Key` (HEAD, plus a listing: some stores answer HEAD loosely). */
export async function backendHas(client: S3Client, Bucket: string, Key: string): Promise<boolean> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket, Prefix: Key }));
  if (listed.Contents?.some((o) => o.Key === Key)) return true;
  try {
    await client.send(new HeadObjectCommand({ Bucket, Key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * Records the head of every request s3bridge receives (an extra listener on its server: it only observes),
 * to tell which body encoding a real client chose.
 */
export function captureRequests(bridge: TestBridge): SeenRequest[] {
  const seen: SeenRequest[] = [];
  const record = (req: IncomingMessage) => seen.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers } });
  bridge.s3Server.on('request', record);
  bridge.s3Server.on('checkContinue', record);
  bridge.s3Server.on('checkExpectation', record);
  return seen;
}
