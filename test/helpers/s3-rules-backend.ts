// Test backend: the recording backend taught the S3 rules moto does not enforce: multipart uploads with checksums (Complete refuses parts without theirs), trailer and header checksums verified, SSE-C keys and SSE-KMS ETags.
//
// Objects live in memory (keep them small). Copies (x-amz-copy-source) answer 501 unless `onCopy` takes them: this
// store is a destination or a source of emulated copies. Version ids are not implemented (moto covers versions).
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseChecksumAlgorithm, type ChecksumAlgorithm } from '../../src/s3/checksums.js';
import { parseRange, parseQuery, startRecordingBackend, type RecordedRequest, type RecordingBackend } from './recording-backend.js';
import { assertSameKey, checksumOf, readWrite, RuleError, sseCustomerKey, type SentChecksum } from './s3-rules-body.js';

interface StoredObject {
  data: Buffer;
  etag: string;
  contentType: string;
  checksum?: { alg: ChecksumAlgorithm; value: string; type: 'COMPOSITE' | 'FULL_OBJECT' };
  /** Key-MD5 of the SSE-C key it was written with. */
  sseC?: string;
  kms?: boolean;
}

interface Part {
  data: Buffer;
  etag: string;
  checksum?: SentChecksum;
}

interface Upload {
  bucket: string;
  key: string;
  algorithm?: ChecksumAlgorithm;
  type?: 'COMPOSITE' | 'FULL_OBJECT';
  sseC?: string;
  kms?: boolean;
  contentType: string;
  parts: Map<number, Part>;
}

export interface RulesOptions {
  accessKeyId: string;
  secretAccessKey: string;
  /** ListParts names the upload's ChecksumAlgorithm as S3 does (default), or not, as moto 5.2.1. */
  listPartsNamesAlgorithm?: boolean;
  /** Answers a request that has x-amz-copy-source (the store copying natively); 501 NotImplemented without it. */
  onCopy?: (rec: RecordedRequest, req: IncomingMessage, res: ServerResponse) => void;
}

export interface RulesBackend extends RecordingBackend {
  stored: Map<string, StoredObject>;
  uploads: Map<string, Upload>;
  /** Puts an object straight into the store, encrypted with an SSE-C key (base64) or SSE-KMS when asked. */
  seed(bucket: string, key: string, data: Buffer, opts?: { sseCKey?: string; kms?: boolean }): StoredObject;
}

const md5Hex = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const xml = (body: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
const el = (name: string, value: string | number | undefined) => (value === undefined ? '' : `<${name}>${esc(String(value))}</${name}>`);
const sumEl = (c: { alg: ChecksumAlgorithm; value: string } | undefined) => (c ? el(`Checksum${c.alg}`, c.value) : '');

/** An SSE-C or SSE-KMS ETag: 32 hex digits like an MD5, but not the MD5 of the bytes (copy-semantics.md §12). */
const opaqueEtag = (data: Buffer, secret: string) => `"${md5Hex(Buffer.concat([Buffer.from(secret), data]))}"`;

function encryptionHeaders(o: { sseC?: string; kms?: boolean }, req: IncomingMessage): Record<string, string> {
  if (o.sseC) return { 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key-md5': o.sseC };
  if (!o.kms) return {};
  const out: Record<string, string> = {
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-aws-kms-key-id': String(
      req.headers['x-amz-server-side-encryption-aws-kms-key-id'] ?? 'arn:aws:kms:us-east-1:111122223333:key/default',
    ),
  };
  if (req.headers['x-amz-server-side-encryption-bucket-key-enabled'] === 'true') out['x-amz-server-side-encryption-bucket-key-enabled'] = 'true';
  return out;
}

export async function startRulesBackend(opts: RulesOptions): Promise<RulesBackend> {
  const rec = await startRecordingBackend({ accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, keepBodies: true });
  const stored = new Map<string, StoredObject>();
  const uploads = new Map<string, Upload>();
  const namesAlgorithm = opts.listPartsNamesAlgorithm ?? true;

  function store(id: string, data: Buffer, o: Omit<StoredObject, 'data' | 'etag'> & { etag?: string }): StoredObject {
    const secret = o.sseC ?? (o.kms ? 'kms' : undefined);
    const obj: StoredObject = { ...o, data, etag: o.etag ?? (secret ? opaqueEtag(data, secret) : `"${md5Hex(data)}"`) };
    stored.set(id, obj);
    return obj;
  }

  function handle(rec: RecordedRequest, req: IncomingMessage, res: ServerResponse): void {
    const reply = (status: number, headers: Record<string, string>, body?: Buffer) => {
      rec.status = status;
      res.writeHead(status, {
        'x-amz-request-id': `RULES${rec.url.length}`,
        ...(body ? { 'content-type': 'application/xml', 'content-length': String(body.length) } : {}),
        ...headers,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      if (!rec.auth.ok) throw new RuleError(rec.auth.status, rec.auth.code, rec.auth.message, rec.auth.elements as Record<string, string>);
      if (/^[0-9a-f]{64}$/.test(rec.auth.payloadHash) && rec.auth.payloadHash !== rec.bodySha256)
        throw new RuleError(400, 'XAmzContentSHA256Mismatch', 'The payload hash does not match.');
      const q = rec.url.indexOf('?');
      const path = q < 0 ? rec.url : rec.url.slice(0, q);
      const query = parseQuery(q < 0 ? '' : rec.url.slice(q + 1));
      const param = (n: string) => (typeof query[n] === 'string' ? (query[n] as string) : undefined);
      const slash = path.indexOf('/', 1);
      const bucket = decodeURIComponent(slash < 0 ? path.slice(1) : path.slice(1, slash));
      const key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1));
      const id = `${bucket}/${key}`;
      const body = rec.body ?? Buffer.alloc(0);
      const m = req.method;
      if (req.headers['x-amz-copy-source'] !== undefined) {
        if (opts.onCopy) return opts.onCopy(rec, req, res);
        throw new RuleError(501, 'NotImplemented', 'A header you provided implies functionality that is not implemented.');
      }
      if (!key) {
        if (m === 'GET' && param('uploads') !== undefined) return reply(200, {}, listUploads(bucket, param('prefix') ?? ''));
        if (m === 'PUT' || m === 'HEAD') return reply(200, {});
        throw new RuleError(501, 'NotImplemented', 'Not implemented by this backend.');
      }
      // Object tags are not kept here: every object has none (S3 reads tags without an SSE-C key).
      if (param('tagging') !== undefined) return reply(200, {}, m === 'GET' ? xml('<Tagging><TagSet></TagSet></Tagging>') : undefined);
      const uploadId = param('uploadId');
      if (m === 'POST' && param('uploads') !== undefined) {
        const [upload, newId] = create(bucket, key, req);
        const doc = xml(`<InitiateMultipartUploadResult>${el('Bucket', bucket)}${el('Key', key)}${el('UploadId', newId)}</InitiateMultipartUploadResult>`);
        return reply(200, { ...encryptionHeaders(upload, req), ...algorithmHeader(req) }, doc);
      }
      if (uploadId !== undefined) {
        const upload = uploads.get(uploadId);
        if (!upload || upload.bucket !== bucket || upload.key !== key)
          throw new RuleError(404, 'NoSuchUpload', 'The specified upload does not exist.', { UploadId: uploadId });
        if (m === 'PUT') return reply(200, ...uploadPart(upload, Number(param('partNumber')), req, body));
        if (m === 'GET') return reply(200, {}, listParts(upload, uploadId));
        if (m === 'DELETE') {
          uploads.delete(uploadId);
          return reply(204, {});
        }
        if (m === 'POST') return reply(200, ...complete(upload, uploadId, req, body));
      }
      if (m === 'PUT') {
        const w = readWrite(req.headers, body);
        const kms = /^aws:kms/.test(String(req.headers['x-amz-server-side-encryption'] ?? ''));
        const obj = store(id, w.data, {
          contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
          sseC: sseCustomerKey(req.headers),
          kms,
          checksum: w.checksum && { ...w.checksum, type: 'FULL_OBJECT' },
        });
        const sum: Record<string, string> = w.checksum
          ? { [`x-amz-checksum-${w.checksum.alg.toLowerCase()}`]: w.checksum.value, 'x-amz-checksum-type': 'FULL_OBJECT' }
          : {};
        return reply(200, { etag: obj.etag, ...encryptionHeaders(obj, req), ...sum });
      }
      if (m !== 'GET' && m !== 'HEAD') throw new RuleError(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
      const obj = stored.get(id);
      if (!obj) throw new RuleError(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
      assertSameKey(obj.sseC, sseCustomerKey(req.headers));
      const ifMatch = req.headers['if-match'];
      if (ifMatch !== undefined && ifMatch !== obj.etag)
        throw new RuleError(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
      const headers: Record<string, string> = {
        etag: obj.etag,
        'content-type': obj.contentType,
        'last-modified': new Date(0).toUTCString(),
        ...encryptionHeaders(obj, req),
      };
      if (obj.checksum && req.headers['x-amz-checksum-mode'] === 'ENABLED') {
        headers[`x-amz-checksum-${obj.checksum.alg.toLowerCase()}`] = obj.checksum.value;
        headers['x-amz-checksum-type'] = obj.checksum.type;
      }
      const range = parseRange(req.headers.range, obj.data.length);
      if (range === null) throw new RuleError(416, 'InvalidRange', 'The requested range is not satisfiable');
      const slice = range ? obj.data.subarray(range[0], range[1] + 1) : obj.data;
      if (range) headers['content-range'] = `bytes ${range[0]}-${range[1]}/${obj.data.length}`;
      rec.status = range ? 206 : 200;
      res.writeHead(rec.status, { ...headers, 'content-length': String(slice.length) });
      res.end(m === 'HEAD' ? undefined : slice);
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      const doc = xml(
        `<Error>${el('Code', err.code)}${el('Message', err.message)}${Object.entries(err.extra)
          .map(([k, v]) => el(k, v))
          .join('')}</Error>`,
      );
      reply(err.status, {}, req.method === 'HEAD' ? undefined : doc);
    }
  }

  function algorithmHeader(req: IncomingMessage): Record<string, string> {
    const a = req.headers['x-amz-checksum-algorithm'];
    return typeof a === 'string' ? { 'x-amz-checksum-algorithm': a.toUpperCase() } : {};
  }

  function create(bucket: string, key: string, req: IncomingMessage): [Upload, string] {
    const named = req.headers['x-amz-checksum-algorithm'];
    const algorithm = typeof named === 'string' ? parseChecksumAlgorithm(named) : undefined;
    if (named !== undefined && algorithm === undefined) throw new RuleError(400, 'InvalidRequest', 'Checksum algorithm provided is unsupported.');
    const typeHeader = String(req.headers['x-amz-checksum-type'] ?? '').toUpperCase();
    const type = algorithm === undefined ? undefined : typeHeader === 'FULL_OBJECT' || algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE';
    const upload: Upload = {
      bucket,
      key,
      algorithm,
      type,
      sseC: sseCustomerKey(req.headers),
      kms: /^aws:kms/.test(String(req.headers['x-amz-server-side-encryption'] ?? '')),
      contentType: String(req.headers['content-type'] ?? 'binary/octet-stream'),
      parts: new Map(),
    };
    const uploadId = randomBytes(12).toString('base64url');
    uploads.set(uploadId, upload);
    return [upload, uploadId];
  }

  function uploadPart(upload: Upload, partNumber: number, req: IncomingMessage, body: Buffer): [Record<string, string>, undefined] {
    assertSameKey(upload.sseC, sseCustomerKey(req.headers));
    const w = readWrite(req.headers, body);
    if (w.checksum && w.checksum.alg !== upload.algorithm) {
      throw new RuleError(
        400,
        'InvalidRequest',
        `Checksum Type mismatch occurred, expected checksum Type: ${upload.algorithm?.toLowerCase() ?? 'null'}, actual checksum Type: ${w.checksum.alg.toLowerCase()}`,
      );
    }
    const secret = upload.sseC ?? (upload.kms ? 'kms' : undefined);
    const part: Part = { data: w.data, etag: secret ? opaqueEtag(w.data, secret) : `"${md5Hex(w.data)}"`, checksum: w.checksum };
    upload.parts.set(partNumber, part);
    const headers: Record<string, string> = { etag: part.etag, ...encryptionHeaders(upload, req) };
    if (w.checksum) headers[`x-amz-checksum-${w.checksum.alg.toLowerCase()}`] = w.checksum.value;
    return [headers, undefined];
  }

  function listParts(upload: Upload, uploadId: string): Buffer {
    const parts = [...upload.parts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([n, p]) => `<Part>${el('PartNumber', n)}${el('ETag', p.etag)}${el('Size', p.data.length)}${sumEl(p.checksum)}</Part>`)
      .join('');
    const named = namesAlgorithm ? el('ChecksumAlgorithm', upload.algorithm) + el('ChecksumType', upload.type) : '';
    return xml(
      `<ListPartsResult>${el('Bucket', upload.bucket)}${el('Key', upload.key)}${el('UploadId', uploadId)}${named}<IsTruncated>false</IsTruncated>${parts}</ListPartsResult>`,
    );
  }

  function listUploads(bucket: string, prefix: string): Buffer {
    const items = [...uploads.entries()]
      .filter(([, u]) => u.bucket === bucket && u.key.startsWith(prefix))
      .map(([id, u]) => `<Upload>${el('Key', u.key)}${el('UploadId', id)}${el('ChecksumAlgorithm', u.algorithm)}${el('ChecksumType', u.type)}</Upload>`)
      .join('');
    return xml(
      `<ListMultipartUploadsResult>${el('Bucket', bucket)}${el('Prefix', prefix)}<IsTruncated>false</IsTruncated>${items}</ListMultipartUploadsResult>`,
    );
  }

  /** CompleteMultipartUpload with S3's rules: parts in order, ETags matching, and every part's checksum for a checksum-typed upload. */
  function complete(upload: Upload, uploadId: string, req: IncomingMessage, body: Buffer): [Record<string, string>, Buffer] {
    if (upload.algorithm && upload.sseC) assertSameKey(upload.sseC, sseCustomerKey(req.headers));
    const doc = body.toString('utf8');
    const listed = [...doc.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((mm) => mm[1]!);
    if (listed.length === 0)
      throw new RuleError(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
    const chosen: Part[] = [];
    let previous = 0;
    for (const item of listed) {
      const n = Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(item)?.[1]);
      const etag = /<ETag>([\s\S]*?)<\/ETag>/.exec(item)?.[1]?.replace(/&quot;|&#34;/g, '"');
      if (n <= previous) throw new RuleError(400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
      previous = n;
      const part = upload.parts.get(n);
      if (!part || part.etag !== etag)
        throw new RuleError(400, 'InvalidPart', 'One or more of the specified parts could not be found.', { PartNumber: String(n) });
      if (upload.algorithm) {
        const given = new RegExp(`<Checksum${upload.algorithm}>([^<]*)</Checksum${upload.algorithm}>`).exec(item)?.[1];
        if (!part.checksum || given === undefined) {
          throw new RuleError(
            400,
            'InvalidRequest',
            `The upload was created using a ${upload.algorithm.toLowerCase()} checksum. The complete request must include the checksum for each part. It was missing for part ${n} in the request.`,
          );
        }
        if (given !== part.checksum.value)
          throw new RuleError(400, 'InvalidPart', 'One or more of the specified parts could not be found.', { PartNumber: String(n) });
      }
      chosen.push(part);
    }
    const data = Buffer.concat(chosen.map((p) => p.data));
    let checksum: StoredObject['checksum'];
    if (upload.algorithm) {
      const alg = upload.algorithm;
      const value =
        upload.type === 'FULL_OBJECT'
          ? checksumOf(alg, data)
          : `${checksumOf(alg, Buffer.concat(chosen.map((p) => Buffer.from(p.checksum!.value, 'base64'))))}-${chosen.length}`;
      const claimed = req.headers[`x-amz-checksum-${alg.toLowerCase()}`];
      if (typeof claimed === 'string' && claimed !== value)
        throw new RuleError(400, 'BadDigest', `The ${alg} you specified did not match the calculated checksum.`);
      checksum = { alg, value, type: upload.type! };
    }
    const etag = `"${md5Hex(Buffer.concat(chosen.map((p) => Buffer.from(p.etag.replace(/"/g, ''), 'hex'))))}-${chosen.length}"`;
    store(`${upload.bucket}/${upload.key}`, data, { contentType: upload.contentType, sseC: upload.sseC, kms: upload.kms, checksum, etag });
    uploads.delete(uploadId);
    const sums = checksum ? sumEl(checksum) + el('ChecksumType', checksum.type) : '';
    return [
      encryptionHeaders(upload, req),
      xml(`<CompleteMultipartUploadResult>${el('Bucket', upload.bucket)}${el('Key', upload.key)}${el('ETag', etag)}${sums}</CompleteMultipartUploadResult>`),
    ];
  }

  rec.faults.onRequest = (r, req, res) => {
    void r.done.then(() => {
      if (r.aborted) return;
      try {
        handle(r, req, res);
      } catch (err) {
        res.writeHead(500);
        res.end(String(err));
      }
    });
    return true;
  };
  return Object.assign(rec, {
    stored,
    uploads,
    seed(bucket: string, key: string, data: Buffer, o: { sseCKey?: string; kms?: boolean } = {}) {
      const sseC = o.sseCKey === undefined ? undefined : createHash('md5').update(Buffer.from(o.sseCKey, 'base64')).digest('base64');
      return store(`${bucket}/${key}`, data, { contentType: 'binary/octet-stream', sseC, kms: o.kms });
    },
  });
}
