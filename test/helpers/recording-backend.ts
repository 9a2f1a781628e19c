// Test backend: a fake S3 origin that records what s3bridge sends, checks its signatures and injects faults.
//
// Signatures are recomputed with the AWS SDK's own signer (recording-backend-sigv4.ts), independent of ours. Objects
// are buffered in memory: keep them small.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkSignature, parseQuery, type AuthCheck, type SigningKey } from './recording-backend-sigv4.js';

export { checkSignature, parseQuery, type AuthCheck } from './recording-backend-sigv4.js';

export interface RecordingBackendOptions extends SigningKey {
  /** Keep each request body in its record (rec.body); off by default, objects are kept either way. */
  keepBodies?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** The request target exactly as received (raw path and query). */
  url: string;
  rawHeaders: string[];
  headers: IncomingHttpHeaders;
  auth: AuthCheck;
  bodyBytes: number;
  bodySha256: string;
  /** Base64, the Content-MD5 form. */
  bodyMd5: string;
  body?: Buffer;
  /** The body arrived in full / the connection closed before it did. */
  completed: boolean;
  aborted: boolean;
  /** The status the fake answered with; undefined when a fault or hook took over. */
  status?: number;
  /** Settles once the body has completed or been aborted. */
  done: Promise<void>;
}

export type RequestHook = (rec: RecordedRequest, req: IncomingMessage, res: ServerResponse) => boolean | undefined;

export interface RecordingFaults {
  /** Runs on every request after the signature check (see rec.auth); return true to own the response. */
  onRequest?: RequestHook;
  /** The next object GET sends its headers and n body bytes, then the socket is destroyed. */
  resetAfterBytes(n: number): void;
  /** The next PUT/POST never gets an answer; with read: false its body is not read either (backpressure). */
  hangUpload(opts?: { read?: boolean }): void;
  /** The next `count` requests get this S3 error (after their body is read). */
  failNext(code: string, status: number, count?: number): void;
  clear(): void;
}

export interface RecordingBackend {
  endpoint: string;
  region: string;
  requests: RecordedRequest[];
  /** "bucket/key" → bytes; tests may seed it directly. */
  objects: Map<string, Buffer>;
  faults: RecordingFaults;
  stop(): Promise<void>;
}

function newRecord(req: IncomingMessage): RecordedRequest {
  return {
    method: req.method ?? '',
    url: req.url ?? '',
    rawHeaders: req.rawHeaders,
    headers: req.headers,
    auth: { ok: false, status: 0, code: '', message: 'not checked yet', elements: {} },
    bodyBytes: 0,
    bodySha256: '',
    bodyMd5: '',
    completed: false,
    aborted: false,
    status: undefined,
    done: Promise.resolve(),
  };
}

/** Hashes the body as it arrives; resolves with it (or with what came before an abort). */
function recordBody(req: IncomingMessage, rec: RecordedRequest, keep: boolean): Promise<Buffer> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  const chunks: Buffer[] = [];
  const body = new Promise<Buffer>((resolve) => {
    const finish = (completed: boolean): void => {
      if (rec.completed || rec.aborted) return;
      rec.completed = completed;
      rec.aborted = !completed;
      rec.bodySha256 = sha.digest('hex');
      rec.bodyMd5 = md5.digest('base64');
      const buf = Buffer.concat(chunks);
      if (keep) rec.body = buf;
      resolve(buf);
    };
    req.on('data', (c: Buffer) => {
      rec.bodyBytes += c.length;
      sha.update(c);
      md5.update(c);
      chunks.push(c);
    });
    req.on('end', () => finish(true));
    req.on('close', () => finish(false));
    req.on('error', () => finish(false)); // "aborted" when the client goes away mid-body
  });
  rec.done = body.then(() => undefined);
  return body;
}

function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string | undefined> = {}): void {
  let xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>`;
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) xml += `<${k}>${xmlEscape(v)}</${k}>`;
  xml += '</Error>';
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

/** "bytes=a-b" | "bytes=a-" | "bytes=-n" → [start, end] inclusive; null = unsatisfiable; undefined = ignore header (RFC 9110 §14.2). */
export function parseRange(header: string | undefined, size: number): [number, number] | null | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    return n === 0 || size === 0 ? null : [Math.max(0, size - n), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  return start >= size ? null : [start, end];
}

interface ObjectMeta {
  contentType: string;
  lastModified: Date;
  userMeta: Record<string, string>;
}

export async function startRecordingBackend(opts: RecordingBackendOptions): Promise<RecordingBackend> {
  const region = opts.region ?? 'us-east-1';
  const requests: RecordedRequest[] = [];
  const objects = new Map<string, Buffer>();
  // Keyed by the stored Buffer, so an object a test seeds or replaces through `objects` never inherits stale metadata.
  const meta = new WeakMap<Buffer, ObjectMeta>();
  let resetAfter: number | undefined;
  let hang: { read: boolean } | undefined;
  let failures: { code: string; status: number; count: number } | undefined;
  const faults: RecordingFaults = {
    resetAfterBytes: (n) => void (resetAfter = n),
    hangUpload: (o = {}) => void (hang = { read: o.read ?? true }),
    failNext: (code, status, count = 1) => void (failures = { code, status, count }),
    clear() {
      resetAfter = hang = failures = undefined;
      delete faults.onRequest;
    },
  };

  const answer = (rec: RecordedRequest, res: ServerResponse, status: number, headers: Record<string, string | number>, body?: Buffer): void => {
    rec.status = status;
    res.writeHead(status, headers);
    res.end(body);
  };
  const fail = (rec: RecordedRequest, res: ServerResponse, status: number, code: string, message: string, extra?: Record<string, string | undefined>): void => {
    rec.status = status;
    sendError(res, status, code, message, extra);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rec = newRecord(req);
    requests.push(rec);
    if (hang && (req.method === 'PUT' || req.method === 'POST')) {
      const { read } = hang;
      hang = undefined;
      if (read) void recordBody(req, rec, opts.keepBodies ?? false);
      else req.pause();
      rec.auth = await checkSignature(req, { ...opts, region });
      return; // never answered; stop() closes the socket
    }
    // Listen for the body before any await, so an early abort is seen.
    const body = recordBody(req, rec, opts.keepBodies ?? false);
    rec.auth = await checkSignature(req, { ...opts, region });
    if (faults.onRequest?.(rec, req, res) === true) return;
    const bytes = await body;
    if (rec.aborted) return;
    if (failures) {
      const { code, status } = failures;
      if (--failures.count <= 0) failures = undefined;
      return fail(rec, res, status, code, `injected ${code}`);
    }
    const auth = rec.auth;
    if (!auth.ok) return fail(rec, res, auth.status, auth.code, auth.message, auth.elements);
    if (/^[0-9a-f]{64}$/.test(auth.payloadHash) && auth.payloadHash !== rec.bodySha256) {
      return fail(rec, res, 400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", {
        ClientComputedContentSHA256: auth.payloadHash,
        S3ComputedContentSHA256: rec.bodySha256,
      });
    }
    const md5 = req.headers['content-md5'];
    if (md5 !== undefined && md5 !== rec.bodyMd5) return fail(rec, res, 400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');

    // By hand, not new URL(): keys keep "//" and "/./" (sigv4.md §3.2.5). The signature check already vetted it.
    const q = rec.url.indexOf('?');
    const rawPath = q < 0 ? rec.url : rec.url.slice(0, q);
    const rawQuery = q < 0 ? '' : rec.url.slice(q + 1);
    const slash = rawPath.indexOf('/', 1);
    const bucket = decodeURIComponent(slash < 0 ? rawPath.slice(1) : rawPath.slice(1, slash));
    const key = slash < 0 ? '' : decodeURIComponent(rawPath.slice(slash + 1));
    // x-id is the SDK's operation hint and x-amz-* are presign or hoisted-header parameters; anything else names a
    // subresource this fake does not implement.
    const sub = Object.keys(parseQuery(rawQuery)).filter((k) => k !== 'x-id' && !k.toLowerCase().startsWith('x-amz-'));
    if (!bucket || sub.length > 0 || req.headers['x-amz-copy-source'] !== undefined) {
      return fail(rec, res, 501, 'NotImplemented', 'A header you provided implies functionality that is not implemented.');
    }
    const common = { 'x-amz-request-id': `REC${requests.length}` };
    if (!key) {
      // Buckets are implicit: every bucket exists and is empty of sub-resources.
      if (req.method === 'PUT' || req.method === 'HEAD') return answer(rec, res, 200, common);
      if (req.method === 'DELETE') return answer(rec, res, 204, common);
      return fail(rec, res, 501, 'NotImplemented', 'Bucket listing is not implemented by this backend.');
    }
    const id = `${bucket}/${key}`;
    if (req.method === 'PUT') {
      const userMeta: Record<string, string> = {};
      for (const [h, v] of Object.entries(req.headers)) if (h.startsWith('x-amz-meta-') && typeof v === 'string') userMeta[h] = v;
      objects.set(id, bytes);
      meta.set(bytes, { contentType: req.headers['content-type'] ?? 'binary/octet-stream', lastModified: new Date(), userMeta });
      return answer(rec, res, 200, { ...common, etag: `"${createHash('md5').update(bytes).digest('hex')}"` });
    }
    if (req.method === 'DELETE') {
      objects.delete(id);
      return answer(rec, res, 204, common);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return fail(rec, res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    const data = objects.get(id);
    if (!data) {
      if (req.method === 'HEAD') return answer(rec, res, 404, common);
      return fail(rec, res, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
    }
    const m = meta.get(data) ?? { contentType: 'binary/octet-stream', lastModified: new Date(0), userMeta: {} };
    const headers: Record<string, string | number> = {
      ...common,
      ...m.userMeta,
      etag: `"${createHash('md5').update(data).digest('hex')}"`,
      'last-modified': m.lastModified.toUTCString(),
      'content-type': m.contentType,
      'accept-ranges': 'bytes',
    };
    const range = parseRange(req.headers.range, data.length);
    if (range === null) return fail(rec, res, 416, 'InvalidRange', 'The requested range is not satisfiable', { RangeRequested: req.headers.range });
    const slice = range ? data.subarray(range[0], range[1] + 1) : data;
    if (range) headers['content-range'] = `bytes ${range[0]}-${range[1]}/${data.length}`;
    headers['content-length'] = slice.length;
    const status = range ? 206 : 200;
    if (req.method === 'HEAD') return answer(rec, res, status, headers);
    if (resetAfter !== undefined) {
      const n = resetAfter;
      resetAfter = undefined;
      res.writeHead(status, headers);
      res.write(slice.subarray(0, n), () => res.socket?.destroy());
      return;
    }
    answer(rec, res, status, headers, slice);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendError(res, 500, 'InternalError', err.message);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    requests,
    objects,
    faults,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
