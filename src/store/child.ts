// Embedded store in its own process: runs startStore for one `embedded: { dir }` backend, driven by upstream/embedded.ts over IPC.
//
// Protocol (IPC, JSON): the parent sends one StartMessage; the child answers ReadyMessage once listening, or
// ErrorMessage and exits 1. Keys travel over IPC, never argv or env, so `ps` and /proc/PID/environ never show them.
import { startStore } from './server.js';

export interface StartMessage {
  type: 'start';
  dir: string;
  port: number;
  accessKeyId: string;
  secretAccessKey: string;
  minPartSize?: number;
}
export interface ReadyMessage { type: 'ready'; port: number }
export interface ErrorMessage { type: 'error'; code?: string; message: string }

/** Exit only once the message is flushed: the parent needs the reason, not just an exit code. */
function fail(msg: ErrorMessage): void {
  if (!process.send) process.exit(1);
  process.send(msg, () => process.exit(1));
}

// The parent is gone (exited, crashed or killed): nobody can stop us any more, so stop now.
process.on('disconnect', () => process.exit(0));

process.once('message', (raw: unknown) => {
  const msg = raw as StartMessage;
  if (msg?.type !== 'start') {
    fail({ type: 'error', message: 'expected a start message' });
    return;
  }
  startStore({ dir: msg.dir, port: msg.port, accessKeyId: msg.accessKeyId, secretAccessKey: msg.secretAccessKey, minPartSize: msg.minPartSize }).then(
    (s) => process.send?.({ type: 'ready', port: Number(new URL(s.endpoint).port) } satisfies ReadyMessage),
    (err: NodeJS.ErrnoException) => fail({ type: 'error', code: err.code, message: err.message }),
  );
});

if (!process.send) {
  process.stderr.write('store child: must be started by s3bridge with an IPC channel\n');
  process.exit(1);
}
