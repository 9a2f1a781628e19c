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
 * The most a pipe takes in one write without interleaving it with another writer's bytes (POSIX PIPE_BUF on Linux).
 * Cluster workers share stdout: a batch is cut at line ends into writes no larger than this, so a line (shorter than
 * this, as access-log lines are) never comes out mixed with another process's line.
 */
export const ATOMIC_WRITE_BYTES = 4096;

/** Cuts `text` (whole lines) at line ends into pieces of at most `max` bytes; a longer line stays one piece. */
export function splitAtLines(text: string, max: number): string[] {
  if (Buffer.byteLength(text) <= max) return [text];
  const out: string[] = [];
  let piece = '';
  let pieceBytes = 0;
  for (const line of text.split(/(?<=\n)/)) {
    const bytes = Buffer.byteLength(line);
    if (pieceBytes > 0 && pieceBytes + bytes > max) {
      out.push(piece);
      piece = '';
      pieceBytes = 0;
    }
    piece += line;
    pieceBytes += bytes;
  }
  if (piece) out.push(piece);
  return out;
}

/**
 * Writes to stdout in batches: lines logged in one turn of the event loop go out in one write.
 * stdout to a file or a pipe is a synchronous write per call, which under load cost more than the
 * rest of a small request; a batch is flushed at the latest on the next turn, and at exit.
 * `shared`: other processes write to the same stdout (cluster workers), so batches go out in line-aligned
 * writes of at most ATOMIC_WRITE_BYTES.
 */
export function batchedStdout(opts: { shared?: boolean } = {}): (line: string) => void {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    if (opts.shared) for (const piece of splitAtLines(text, ATOMIC_WRITE_BYTES)) process.stdout.write(piece);
    else process.stdout.write(text);
  };
  process.on('exit', flush);
  return (line) => {
    if (pending.push(line) === 1) setImmediate(flush);
  };
}

export interface LoggerOptions {
  /** Write access lines (server.accessLog); events are always written. */
  access?: boolean;
  /** Readable lines for a terminal instead of JSON. */
  pretty?: boolean;
  /** Tag every line with this process id: cluster workers (and their primary) share one stdout. */
  pid?: number;
}

export function createLogger(write: (line: string) => void = batchedStdout(), opts: LoggerOptions = {}): Logger {
  const accessOn = opts.access ?? true;
  const pid = opts.pid;
  // The access line stays one JSON.stringify of the entry; the pid is spliced in before its closing brace.
  const pidSuffix = pid === undefined ? '' : `,"pid":${pid}}`;
  const event =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      const safe = redact(fields);
      if (opts.pretty)
        write(`${new Date().toISOString().slice(11, 23)} ${level.toUpperCase()}${pid === undefined ? '' : ` [${pid}]`} ${msg} ${JSON.stringify(safe)}\n`);
      else
        write(
          JSON.stringify(
            pid === undefined ? { time: new Date().toISOString(), level, msg, ...safe } : { time: new Date().toISOString(), level, msg, ...safe, pid },
          ) + '\n',
        );
    };
  return {
    access(entry) {
      if (!accessOn) return;
      if (opts.pretty) write(pid === undefined ? prettyAccess(entry) : `${prettyAccess(entry).slice(0, -1)} pid=${pid}\n`);
      else if (pid === undefined) write(JSON.stringify(entry) + '\n');
      else write(JSON.stringify(entry).slice(0, -1) + pidSuffix + '\n');
    },
    info: event('info'),
    warn: event('warn'),
    error: event('error'),
  };
}
