// JSON logging: one access-log line per request and event lines; redaction of secrets happens here.

export interface AccessLogEntry {
  time: string;
  requestId: string;
  remoteAddr: string | undefined;
  accessKeyId: string | undefined;
  operation: string | undefined;
  bucket: string | undefined;
  key: string | undefined;
  backend: string | undefined;
  status: number;
  errorCode: string | undefined;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  userAgent: string | undefined;
  upstreamRequestId?: string;
}

export interface Logger {
  access(entry: AccessLogEntry): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

// Field names whose values are secrets wherever they appear (config echoes, error details).
const SECRET_FIELD = /secret|signature|token|authorization|credential|password/i;

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : v;
  return out;
}

/** One readable line per request for a terminal; the JSON form is for everything else. */
export function prettyAccess(e: AccessLogEntry): string {
  const target = e.bucket === undefined ? '' : ` ${e.bucket}${e.key !== undefined ? `/${e.key}` : ''}`;
  const error = e.errorCode ? ` ${e.errorCode}` : '';
  return `${e.time.slice(11, 23)} ${e.status} ${e.operation ?? '-'}${target} → ${e.backend ?? '-'}${error} ${e.durationMs}ms in=${e.bytesIn} out=${e.bytesOut} ${e.accessKeyId ?? ''} [${e.requestId}]\n`;
}

/**
 * Writes to stdout in batches: lines logged in one turn of the event loop go out in one write.
 * stdout to a file or a pipe is a synchronous write per call, which under load cost more than the
 * rest of a small request; a batch is flushed at the latest on the next turn, and at exit.
 */
export function batchedStdout(): (line: string) => void {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    process.stdout.write(text);
  };
  process.on('exit', flush);
  return (line) => {
    if (pending.push(line) === 1) setImmediate(flush);
  };
}

export function createLogger(write: (line: string) => void = batchedStdout(), opts: { access?: boolean; pretty?: boolean } = {}): Logger {
  const accessOn = opts.access ?? true;
  const event = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => {
    const safe = redact(fields);
    if (opts.pretty) write(`${new Date().toISOString().slice(11, 23)} ${level.toUpperCase()} ${msg} ${JSON.stringify(safe)}\n`);
    else write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...safe }) + '\n');
  };
  return {
    access(entry) {
      if (accessOn) write(opts.pretty ? prettyAccess(entry) : JSON.stringify(entry) + '\n');
    },
    info: event('info'),
    warn: event('warn'),
    error: event('error'),
  };
}

