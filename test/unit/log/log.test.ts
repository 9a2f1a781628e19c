import { describe, expect, it } from 'vitest';
import { createLogger, prettyAccess, redact, type AccessLogEntry } from '../../../src/log.js';

const entry: AccessLogEntry = {
  time: '2026-11-25T05:00:00.123Z', requestId: 'ABC', remoteAddr: '127.0.0.1', accessKeyId: 'demo', operation: 'GetObject',
  bucket: 'photos', key: 'a/b.jpg', backend: 'aws', status: 200, errorCode: undefined, bytesIn: 0, bytesOut: 42, durationMs: 1.5, userAgent: 'x',
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
      secretAccessKey: '[redacted]', signature: '[redacted]', sessionToken: '[redacted]', Authorization: '[redacted]', backend: 'aws',
    });
    const lines: string[] = [];
    createLogger((l) => lines.push(l)).error('boom', { secretAccessKey: 'very-secret' });
    expect(lines.join('')).not.toContain('very-secret');
  });

  it('has a readable one-line form for terminals', () => {
    expect(prettyAccess(entry)).toBe('05:00:00.123 200 GetObject photos/a/b.jpg → aws 1.5ms in=0 out=42 demo [ABC]\n');
    expect(prettyAccess({ ...entry, status: 403, errorCode: 'AccessDenied', bucket: undefined, key: undefined, backend: undefined })).toContain('403 GetObject → - AccessDenied');
  });
});
