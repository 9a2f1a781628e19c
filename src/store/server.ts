// Embedded store, entry point: opens the data folder and serves it on its own node:http listener (127.0.0.1, port 0); each request is parsed, its SigV4 signature verified, its access judged (access.ts), then dispatched.
//
// The only client is s3bridge itself, signing with a key pair made here at every start: the pair lives in this
// process (and is handed to s3bridge in memory), never on disk, in argv, the environment or a log line. Unsigned
// requests arrive only through a route with `anonymous: backend`, and run only where an ACL or the bucket policy is
// public; signed ones run unless the bucket policy denies them.
import { randomBytes, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyStore } from '../auth/keys.js';
import { authMechanism, verifyRequest, type AuthResult } from '../auth/verify.js';
import type { Logger } from '../log.js';
import { parseS3Request, type S3Request } from '../parse/request.js';
import { S3Error, isS3Error, renderError, toS3Error } from '../s3/errors.js';
import { authorizeAnonymous, authorizeSigned } from './access.js';
import { BucketRegistry, writeFileAtomic } from './buckets.js';
import type { Store, StoreRequest } from './context.js';
import { Layout } from './disk/layout.js';
import { lockFolder } from './disk/lock.js';
import { prepareFolder } from './legacy.js';
import { MIN_PART_SIZE } from './multipart-rules.js';
import { Objects } from './objects.js';
import { OPERATIONS } from './ops/index.js';
import { Uploads } from './uploads.js';

export interface StartStoreOptions {
  dir: string;
  /** Given keys (tests); by default a fresh random pair per start. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** CompleteMultipartUpload's minimum for all parts but the last; default S3's 5 MiB. */
  minPartSize?: number;
  region?: string;
  log?: Logger;
  /** Port on 127.0.0.1; default 0 (any free one). */
  port?: number;
}

export interface StoreServer {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  stop(): Promise<void>;
}

const SILENT: Logger = { access() {}, info() {}, warn() {}, error() {} };

const OWNER = { id: createHash('sha256').update('s3bridge embedded store owner').digest('hex'), displayName: 's3bridge' };

/** Folders open in this process: the lock file cannot tell this process's own stores apart. */
const openRoots = new Set<string>();

/** Opens (and if needed initialises) the data folder; the returned function gives the folder lock back. */
async function openStore(opts: StartStoreOptions): Promise<{ store: Store; release: () => void }> {
  const layout = new Layout(opts.dir);
  if (openRoots.has(layout.root)) throw new Error(`${layout.root} is already open in this process`);
  // Owner-only: the files are the objects, readable around s3bridge's client rules otherwise.
  await mkdir(layout.root, { recursive: true, mode: 0o700 });
  if (openRoots.has(layout.root)) throw new Error(`${layout.root} is already open in this process`);
  const unlock = lockFolder(layout.lockFile);
  openRoots.add(layout.root);
  const release = () => {
    openRoots.delete(layout.root);
    unlock();
  };
  try {
    const log = opts.log ?? SILENT;
    await prepareFolder(layout, log);
    // Whatever is in the temp area was being written when the last process stopped: never committed, so garbage.
    await rm(layout.tmp, { recursive: true, force: true });
    await mkdir(layout.tmp, { mode: 0o700 });
    await mkdir(layout.buckets, { recursive: true, mode: 0o700 });
    if (!existsSync(layout.marker)) await writeFileAtomic(layout, layout.marker, JSON.stringify({ format: 's3bridge-embedded-store', version: 1 }));
    const buckets = new BucketRegistry(layout);
    await buckets.load();
    const store: Store = {
      layout,
      buckets,
      objects: new Objects(layout),
      uploads: new Uploads(layout),
      owner: OWNER,
      log,
      options: { minPartSize: opts.minPartSize ?? MIN_PART_SIZE, region: opts.region ?? 'us-east-1' },
    };
    return { store, release };
  } catch (err) {
    release();
    throw err;
  }
}

let counter = 0;
const ID_PREFIX = `E${randomBytes(3).toString('hex').toUpperCase()}`;
function requestId(): string {
  counter = (counter + 1) >>> 0;
  return ID_PREFIX + counter.toString(16).toUpperCase().padStart(8, '0');
}

async function handle(store: Store, keys: KeyStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const id = requestId();
  let s3: S3Request | undefined;
  try {
    s3 = parseS3Request({ method: req.method ?? 'GET', url: req.url ?? '/', rawHeaders: req.rawHeaders }, { virtualHostSuffixes: [] });
    const signed = { method: s3.method, rawPath: s3.rawPath, rawQuery: s3.rawQuery, rawHeaders: req.rawHeaders };
    let auth: AuthResult | undefined;
    // An unsigned request runs only where an ACL or the bucket policy lets everyone; a signed one unless the policy denies it (access.ts).
    const bucket = s3.bucket === undefined ? undefined : store.buckets.get(s3.bucket);
    if (authMechanism(signed) === 'anonymous') await authorizeAnonymous(s3, bucket, store.objects, store.owner);
    else {
      auth = verifyRequest(signed, keys, { regions: [store.options.region], now: new Date() });
      await authorizeSigned(s3, bucket, store.objects);
    }
    const headers = s3.headers;
    const operation = OPERATIONS[s3.operation];
    if (!operation)
      throw new S3Error('NotImplemented', `${s3.operation === 'Unknown' ? 'This request' : s3.operation} is not implemented by the embedded store.`);
    const r: StoreRequest = { store, req, res, id, s3, auth, headers };
    await operation(r);
  } catch (err) {
    fail(store, req, res, id, s3, err);
  }
}

function fail(store: Store, req: IncomingMessage, res: ServerResponse, id: string, s3: S3Request | undefined, err: unknown): void {
  const s3err = toS3Error(err);
  if (!isS3Error(err))
    store.log.error('embedded store: request failed', { requestId: id, operation: s3?.operation, error: (err as Error)?.stack ?? String(err) });
  const resource = s3?.bucket !== undefined ? `/${s3.bucket}${s3.key !== undefined ? `/${s3.key}` : ''}` : undefined;
  // A body we did not (fully) read is read away, and the connection stays open. Closing it instead (Connection:
  // close) would close the socket with the rest of the upload unread: the kernel then answers with a reset, which
  // can reach s3bridge before the error document does (a 1 MiB SSE-C PUT answered 503 "closed the connection"
  // instead of this 501). s3bridge is the only client here: what it still forwards of the upload is read and dropped.
  const unread = !req.complete;
  renderError(res, s3err, id, { head: req.method === 'HEAD', resource });
  if (unread) {
    req.on('error', () => undefined);
    req.resume();
  }
}

function listen(server: Server, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Opens the folder and listens; stop() closes the listener, its connections and the folder lock. */
export async function startStore(opts: StartStoreOptions): Promise<StoreServer> {
  const accessKeyId = opts.accessKeyId ?? `EMB${randomBytes(9).toString('hex').toUpperCase()}`;
  const secretAccessKey = opts.secretAccessKey ?? randomBytes(30).toString('base64url');
  const { store, release } = await openStore(opts);
  const keys = new KeyStore([{ accessKeyId, secretAccessKey, buckets: ['*'], readOnly: false }]);
  const server = createServer((req, res) => {
    handle(store, keys, req, res).catch((err: unknown) => {
      store.log.error('embedded store: unexpected failure', { error: (err as Error)?.stack ?? String(err) });
      res.destroy();
    });
  });
  // s3bridge is the only client: uploads may be slow (no overall request timeout), and idle connections are
  // kept longer than its agents keep them, so it never reuses one this side just closed.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  let address: AddressInfo;
  try {
    address = await listen(server, opts.port ?? 0);
  } catch (err) {
    release();
    throw err;
  }
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    accessKeyId,
    secretAccessKey,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).finally(release);
      return stopping;
    },
  };
}
