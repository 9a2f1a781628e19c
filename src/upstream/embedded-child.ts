// The embedded backend's own process: runs s3rver for one `embedded: { dir }` backend, driven by embedded.ts over IPC.
//
// Protocol (IPC, JSON): the parent sends one StartMessage; the child answers ReadyMessage once listening, or
// ErrorMessage and exits 1. Keys travel over IPC, never argv or env, so `ps` and /proc/PID/environ never show them.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { makeStoreAtomic } from './embedded-atomic.js';

export interface StartMessage {
  type: 'start';
  dir: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
}
export interface ReadyMessage { type: 'ready'; port: number }
export interface ErrorMessage { type: 'error'; code?: string; message: string }

interface S3rverInstance { callback(): (req: IncomingMessage, res: ServerResponse) => void }
type S3rverClass = new (opts: Record<string, unknown>) => S3rverInstance;
interface AwsAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}

// s3rver is CommonJS; its key registry is a module singleton, so the account model must come from the same copy.
const require = createRequire(import.meta.url);

function send(msg: ReadyMessage | ErrorMessage): void {
  process.send?.(msg);
}

/** Exit only once the message is flushed: the parent needs the reason, not just an exit code. */
function fail(msg: ErrorMessage): void {
  if (!process.send) process.exit(1);
  process.send(msg, () => process.exit(1));
}

/**
 * s3rver lets anonymous requests in (and checks only that a SigV4 key exists), so anyone on the host could reach the
 * data around s3bridge's client rules. Requests must at least carry a signature; s3rver then rejects unknown keys.
 */
function isSigned(req: IncomingMessage): boolean {
  const auth = req.headers.authorization;
  if (auth !== undefined) return /^(AWS4-HMAC-SHA256|AWS) /.test(auth);
  const query = (req.url ?? '').split('?')[1] ?? '';
  return /(^|&)(X-Amz-Algorithm|Signature)=/.test(query);
}

function denyAnonymous(res: ServerResponse): void {
  const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
  res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

async function start(msg: StartMessage): Promise<void> {
  makeStoreAtomic();
  const S3rver = require('s3rver') as S3rverClass;
  const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account') as { DUMMY_ACCOUNT: AwsAccount };
  // Only s3bridge's generated key may call; the well-known S3RVER/S3RVER pair would let anyone on the host in.
  DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
  DUMMY_ACCOUNT.createKeyPair(msg.accessKeyId, msg.secretAccessKey);
  const app = new S3rver({
    directory: msg.dir,
    silent: true,
    vhostBuckets: false, // s3bridge always talks path-style to it
  });
  const handle = app.callback();
  // Our own listener instead of s3rver.run(): to put the guard in front, and because s3bridge is the only
  // client, so Node's 300 s requestTimeout must not cut a large upload short.
  const server = createServer({ requestTimeout: 0 }, (req, res) => (isSigned(req) ? handle(req, res) : denyAnonymous(res)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(msg.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  send({ type: 'ready', port: typeof address === 'object' && address ? address.port : msg.port });
}

// The parent is gone (exited, crashed or killed): nobody can stop us any more, so stop now.
process.on('disconnect', () => process.exit(0));

process.once('message', (raw: unknown) => {
  const msg = raw as StartMessage;
  if (msg?.type !== 'start') {
    fail({ type: 'error', message: 'expected a start message' });
    return;
  }
  start(msg).catch((err: NodeJS.ErrnoException) => fail({ type: 'error', code: err.code, message: err.message }));
});

if (!process.send) {
  process.stderr.write('embedded-child: must be started by s3bridge with an IPC channel\n');
  process.exit(1);
}
