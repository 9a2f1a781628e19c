// Benchmark origin B: the destination backend of cross-backend copies (`origin-b` in the proxy config). It is
// bench/origin.js with a multipart upload layer in front, so a copy can be measured end to end:
//   POST ?uploads (CreateMultipartUpload), PUT ?partNumber&uploadId (UploadPart, counted and discarded),
//   GET ?uploadId (ListParts: s3bridge's upload-exists check), POST ?uploadId (CompleteMultipartUpload),
//   DELETE ?uploadId (AbortMultipartUpload), HEAD of a completed upload; everything else goes to bench/origin.js.
// Part ETags are "bench-<part>-<bytes>", not an MD5: s3bridge compares a plain-MD5 ETag with the MD5 of the bytes
// it streamed, and this origin does not hash (that would cost it ~1.5 s of CPU per GiB, charged to every
// contender alike). The proxy still computes its MD5; only the comparison is skipped.
// An upload created with x-amz-checksum-algorithm is named so by ListParts, as S3 does; its parts may arrive
// aws-chunked (STREAMING-UNSIGNED-PAYLOAD-TRAILER): the framing is removed while counting, and the trailer's checksum
// is echoed in the answer without being verified (again: no hashing here).
//
// Standalone: node bench/lib/copy-origin.js [--port N] [--host H]   (same {"event":"listening",...} line)
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { startOrigin } from '../origin.js';

const xml = (body) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;

/**
 * Counts the data bytes of an aws-chunked body as it streams (`hex CRLF data CRLF … 0 CRLF trailers CRLF CRLF`) and
 * keeps the trailer lines; never buffers more than a size line.
 */
function chunkedCounter() {
  let state = 'size';
  let line = '';
  let left = 0;
  let data = 0;
  let trailer = '';
  return {
    push(buf) {
      for (let i = 0; i < buf.length; ) {
        if (state === 'data') {
          const n = Math.min(left, buf.length - i);
          data += n;
          left -= n;
          i += n;
          if (left === 0) state = 'crlf';
        } else if (state === 'crlf') {
          i += 1;
          if (buf[i - 1] === 0x0a) state = 'size';
        } else if (state === 'size') {
          const c = buf[i++];
          if (c === 0x0a) {
            left = Number.parseInt(line.split(';')[0], 16);
            line = '';
            state = left === 0 ? 'trailer' : 'data';
          } else if (c !== 0x0d) line += String.fromCharCode(c);
        } else {
          trailer += buf.subarray(i).toString('latin1');
          i = buf.length;
        }
      }
    },
    get data() {
      return data;
    },
    trailers() {
      const out = {};
      for (const l of trailer.split('\r\n')) {
        const colon = l.indexOf(':');
        if (colon > 0) out[l.slice(0, colon).trim().toLowerCase()] = l.slice(colon + 1).trim();
      }
      return out;
    },
  };
}
const ENTITIES = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' };
const esc = (s) => s.replace(/[<>&'"]/g, (c) => ENTITIES[c]);

/** Starts origin B; returns what startOrigin returns plus `completed` ({ "bucket/key": { size, parts } }). */
export async function startCopyOrigin(options = {}) {
  const origin = await startOrigin(options);
  const { server, stats } = origin;
  const inner = server.listeners('request')[0];
  server.removeAllListeners('request');
  const uploads = new Map(); // uploadId → { path, parts: Map<partNumber, bytes> }
  const completed = new Map();
  let nextId = 1;

  const send = (res, status, body) => {
    const buf = Buffer.from(body);
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': buf.length, 'x-amz-request-id': `origin-b-${stats.requests}` });
    res.end(buf);
  };
  const fail = (res, status, code) => {
    stats.errors++;
    send(res, status, xml(`<Error><Code>${code}</Code><Message>${code}</Message></Error>`));
  };

  server.on('request', (req, res) => {
    const q = req.url.indexOf('?');
    const query = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
    const uploadId = query.get('uploadId');
    const isCreate = req.method === 'POST' && query.has('uploads');
    if (req.method === 'HEAD' && uploadId === null && completed.size > 0) {
      // HEAD of a completed upload (rclone checks the object after CompleteMultipartUpload).
      let done;
      try {
        done = completed.get(decodeURIComponent((q < 0 ? req.url : req.url.slice(0, q)).slice(1)));
      } catch {
        done = undefined;
      }
      if (done) {
        req.resume();
        res.writeHead(200, {
          'content-length': done.size,
          etag: done.etag,
          'last-modified': new Date(done.at).toUTCString(),
          'content-type': 'application/octet-stream',
        });
        return res.end();
      }
    }
    // Copies with x-amz-copy-source (native UploadPartCopy) stay bench/origin.js's bookkeeping.
    if ((!isCreate && uploadId === null) || req.headers['x-amz-copy-source'] !== undefined) return inner(req, res);
    stats.requests++;
    let path;
    try {
      path = decodeURIComponent((q < 0 ? req.url : req.url.slice(0, q)).slice(1));
    } catch {
      req.resume();
      return fail(res, 400, 'InvalidURI');
    }
    const [bucket, ...rest] = path.split('/');
    const key = rest.join('/');
    if (isCreate) {
      req.resume();
      const id = `b-${nextId++}-${randomBytes(4).toString('hex')}`;
      const algorithm = req.headers['x-amz-checksum-algorithm'];
      uploads.set(id, { path, parts: new Map(), algorithm: typeof algorithm === 'string' ? algorithm.toUpperCase() : undefined });
      return send(
        res,
        200,
        xml(`<InitiateMultipartUploadResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`),
      );
    }
    const upload = uploads.get(uploadId);
    if (!upload || upload.path !== path) {
      req.resume();
      return fail(res, 404, 'NoSuchUpload');
    }
    if (req.method === 'GET') {
      req.resume();
      const named = upload.algorithm ? `<ChecksumAlgorithm>${esc(upload.algorithm)}</ChecksumAlgorithm>` : '';
      return send(
        res,
        200,
        xml(
          `<ListPartsResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><UploadId>${esc(uploadId)}</UploadId>${named}<IsTruncated>false</IsTruncated></ListPartsResult>`,
        ),
      );
    }
    if (req.method === 'DELETE') {
      req.resume();
      uploads.delete(uploadId);
      res.writeHead(204);
      return res.end();
    }
    if (req.method === 'PUT') {
      const partNumber = Number(query.get('partNumber'));
      if (!(Number.isInteger(partNumber) && partNumber >= 1 && partNumber <= 10000)) {
        req.resume();
        return fail(res, 400, 'InvalidArgument');
      }
      let n = 0;
      const framed = /aws-chunked/.test(req.headers['content-encoding'] ?? '') ? chunkedCounter() : undefined;
      req.on('data', (chunk) => {
        if (framed) framed.push(chunk);
        else n += chunk.length;
      });
      req.on('error', () => undefined);
      return req.on('end', () => {
        if (framed) n = framed.data;
        stats.bytesReceived += n;
        upload.parts.set(partNumber, n);
        const echo = {};
        const trailer = req.headers['x-amz-trailer'];
        if (framed && typeof trailer === 'string' && framed.trailers()[trailer.toLowerCase()])
          echo[trailer.toLowerCase()] = framed.trailers()[trailer.toLowerCase()];
        res.writeHead(200, { etag: `"bench-${partNumber}-${n}"`, 'content-length': 0, 'x-amz-request-id': `origin-b-${stats.requests}`, ...echo });
        res.end();
      });
    }
    if (req.method === 'POST') {
      req.resume();
      return req.on('end', () => {
        uploads.delete(uploadId);
        let size = 0;
        for (const n of upload.parts.values()) size += n;
        const etag = `"bench-mpu-${uploadId}-${upload.parts.size}"`;
        if (completed.size >= 1000) completed.delete(completed.keys().next().value);
        completed.set(path, { size, parts: upload.parts.size, etag, at: Date.now() });
        send(
          res,
          200,
          xml(`<CompleteMultipartUploadResult><Bucket>${esc(bucket)}</Bucket><Key>${esc(key)}</Key><ETag>${esc(etag)}</ETag></CompleteMultipartUploadResult>`),
        );
      });
    }
    req.resume();
    return fail(res, 405, 'MethodNotAllowed');
  });
  return { ...origin, completed };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const origin = await startCopyOrigin({ port: Number(opt('--port') ?? 0), host: opt('--host') ?? '127.0.0.1' });
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: origin.url, port: origin.port })}\n`);
  const stop = () => origin.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
