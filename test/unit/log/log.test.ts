import { describe, expect, it } from 'vitest';
import { ATOMIC_WRITE_BYTES, createLogger, prettyAccess, redact, splitAtLines, type AccessLogEntry } from '../../../src/log.js';

const entry: AccessLogEntry = {
  time: '2026-11-25T05:00:00.123Z',
  requestId: 'ABC',
  remoteAddr: '127.0.0.1',
  accessKeyId: 'demo',
  operation: 'GetObject',
  bucket: 'photos',
  key: 'a/b.jpg',
  backend: 'aws',
  status: 200,
  errorCode: undefined,
  bytesIn: 0,
  bytesOut: 42,
  durationMs: 1.5,
  userAgent: 'x',
};

describe('log', () => {
  it('writes one JSON line per request with the contract fields', () => {
    const lines: string[] = [];
    createLogger((l) => lines.push(l)).access(entry);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({ requestId: 'ABC', operation: 'GetObject', status: 200, bytesOut: 42 });
  });

  it('writes no access line when the access log is off, but still events', () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l), { access: false });
    log.access(entry);
    log.warn('something', { backend: 'aws' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', msg: 'something', backend: 'aws' });
  });

  it('redacts fields that name secrets', () => {
    expect(redact({ secretAccessKey: 's', signature: 'x', sessionToken: 't', Authorization: 'a', backend: 'aws' })).toEqual({
      secretAccessKey: '[redacted]',
      signature: '[redacted]',
      sessionToken: '[redacted]',
      Authorization: '[redacted]',
      backend: 'aws',
    });
    const lines: string[] = [];
    createLogger((l) => lines.push(l)).error('boom', { secretAccessKey: 'very-secret' });
    expect(lines.join('')).not.toContain('very-secret');
  });

  it('has a readable one-line form for terminals', () => {
    expect(prettyAccess(entry)).toBe('05:00:00.123 200 GetObject photos/a/b.jpg → aws 1.5ms in=0 out=42 demo [ABC]\n');
    expect(prettyAccess({ ...entry, status: 403, errorCode: 'AccessDenied', bucket: undefined, key: undefined, backend: undefined })).toContain(
      '403 GetObject → - AccessDenied',
    );
  });

  it('tags every line with the pid when asked (cluster workers share stdout)', () => {
    const lines: string[] = [];
    const log = createLogger((l) => lines.push(l), { pid: 4242 });
    log.access(entry);
    log.info('worker ready', { worker: 1 });
    expect(JSON.parse(lines[0]!)).toEqual({ ...entry, errorCode: undefined, pid: 4242 });
    expect(Object.keys(JSON.parse(lines[0]!)).at(-1)).toBe('pid');
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'info', msg: 'worker ready', worker: 1, pid: 4242 });
    const pretty: string[] = [];
    createLogger((l) => pretty.push(l), { pid: 7, pretty: true }).access(entry);
    expect(pretty[0]).toBe('05:00:00.123 200 GetObject photos/a/b.jpg → aws 1.5ms in=0 out=42 demo [ABC] pid=7\n');
  });

  it('cuts a batch into line-aligned writes no larger than a pipe writes atomically', () => {
    const line = (n: number, c: string) => `${c.repeat(n - 1)}\n`;
    expect(splitAtLines('a\nb\n', 10)).toEqual(['a\nb\n']);
    expect(splitAtLines(line(6, 'a') + line(6, 'b') + line(3, 'c'), 10)).toEqual([line(6, 'a'), line(6, 'b') + line(3, 'c')]);
    // A line longer than the limit goes out alone, whole.
    expect(splitAtLines(line(4, 'a') + line(20, 'b') + line(4, 'c'), 10)).toEqual([line(4, 'a'), line(20, 'b'), line(4, 'c')]);
    // Bytes, not characters: "é" is two.
    expect(splitAtLines(`${'é'.repeat(4)}\n${'é'.repeat(4)}\n`, 10)).toEqual([`${'é'.repeat(4)}\n`, `${'é'.repeat(4)}\n`]);
    const batch = Array.from({ length: 100 }, (_, i) => `${JSON.stringify({ ...entry, requestId: String(i) })}\n`).join('');
    const pieces = splitAtLines(batch, ATOMIC_WRITE_BYTES);
    expect(pieces.join('')).toBe(batch);
    for (const p of pieces) {
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(ATOMIC_WRITE_BYTES);
      expect(p.endsWith('\n')).toBe(true);
    }
  });
});
