// prepareBody: the client's request body → the body a backend may receive (payload hash, aws-chunked framing and checksums verified, XML bounded).
import type { IncomingMessage } from 'node:http';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { PayloadMode } from '../s3/payload.js';
import { requestChecksums, type ChecksumAlgorithm } from '../s3/checksums.js';
import { S3Error } from '../s3/errors.js';
import { EMPTY_SHA256, md5Base64, sha256Hex, UNSIGNED_PAYLOAD } from '../s3/hash.js';
import { assertLiteralKey } from '../s3/names.js';
import { carriesObjectBody } from '../s3/operations.js';
import type { ByteBudget } from './budget.js';
import { createChecksumCheck } from './checksum-check.js';
import { createAwsChunkedDecoder } from './chunked.js';
import type { ChunkSigning } from './chunked-signature.js';
import { createPayloadHashCheck } from './payload-hash.js';
import { reframeUnsignedTrailer } from './reframe.js';
import {
  bucketsNamedIn,
  canonicalCompleteMultipartUpload,
  canonicalDeleteObjects,
  DOCUMENTS_NAMING_BUCKETS,
  readBounded,
  tooLarge,
  xmlBodyLimit,
} from './xml-body.js';

/** The body as the backend receives it. */
export interface PreparedBody {
  /** Decoded and integrity-checked as it streams; a Buffer for a document s3bridge rewrote; null for none. */
  stream: Readable | Buffer | null;
  /** Content-Length to send; undefined streams it chunked (a client that sent Transfer-Encoding: chunked). */
  length: number | undefined;
  /** x-amz-content-sha256 to send upstream for it. */
  payloadHash: string;
  /** Header changes its framing needs upstream (undefined = remove). */
  framing: Record<string, string | undefined>;
  /** The client's checksum of the body once verified (header or trailer), to echo as S3 does. */
  verifiedChecksum?: () => { alg: ChecksumAlgorithm; base64: string } | undefined;
}

export interface BodyInput {
  /** The client's request: the body stream and its framing headers. */
  req: IncomingMessage;
  operation: string;
  /** The effective request headers (parse stage): checksums, trailer and decoded length are read here. */
  headers: Record<string, string>;
  payload: PayloadMode;
  /** The signature chain to continue, for signed aws-chunked bodies. */
  signing?: ChunkSigning;
  /** The backend takes aws-chunked framing (capabilities.awsChunked). */
  awsChunked: boolean;
  /** The backend keeps "." and ".." key segments (capabilities.literalKeys), for DeleteObjects keys. */
  literalKeys: boolean;
  budget: ByteBudget;
  /** Refuses a bucket a configuration document names that the client may not write to (authorize.ts). */
  checkNamedBucket(name: string): void;
  /** Object bytes received, as they pass (metrics, access log). */
  onObjectBytes(n: number): void;
}

/** Counts bytes flowing through without touching them. */
function meter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

/** Refuses a non-object body past `limit` bytes (an XML document), failing the stream before its end. */
function cap(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      cb(seen > limit ? tooLarge(limit) : null, chunk);
    },
  });
}

function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const len = req.headers['content-length'];
  return len !== undefined && len !== '0';
}

/** Chains streams so that an error anywhere destroys the rest (the upstream request then aborts). */
function chain(first: IncomingMessage, rest: Transform[]): Readable {
  let out: Readable = first;
  for (const t of rest) {
    const from = out;
    // A client that goes away mid-upload must fail the upstream request, not end it cleanly; that is the
    // client's doing, never the backend's (upstream/client.ts does not count it against the backend).
    if (from === first) {
      const left = () => t.destroy(Object.assign(new Error('client aborted the upload'), { code: 'ERR_CLIENT_ABORTED' }));
      from.on('error', left);
      from.on('aborted', left);
    } else {
      from.on('error', (err) => t.destroy(err));
    }
    from.pipe(t);
    out = t;
  }
  // Whoever reads the body (the upstream request) sees its errors; if nobody ever does (the request
  // failed first), an error must still not become an uncaught exception.
  out.on('error', () => {});
  return out;
}

function parseLength(value: string | undefined): number {
  if (value === undefined || !/^\d{1,16}$/.test(value)) throw new S3Error('MissingContentLength');
  return Number(value);
}

/** Content-Length, or undefined for a body the client streams with Transfer-Encoding: chunked (it goes on chunked). */
function plainLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  if (value === undefined && req.headers['transfer-encoding'] !== undefined) return undefined;
  return parseLength(value);
}

// CompleteMultipartUpload's x-amz-checksum-* names the whole object's checksum, not its XML body's.
const BODY_CHECKSUM_EXEMPT = new Set(['CompleteMultipartUpload']);

export async function prepareBody(input: BodyInput): Promise<PreparedBody> {
  const { req, operation, payload } = input;
  if (!hasBody(req)) {
    // A streaming upload proves itself only by its verified chunks and final chunk: one without a body is a
    // replayed or truncated request, never an empty object (security.md §6).
    if (payload.kind === 'streaming') throw new S3Error('IncompleteBody', 'An aws-chunked request must carry its chunks and final chunk.');
    if (payload.kind === 'sha256' && payload.hash !== EMPTY_SHA256) {
      throw new S3Error('XAmzContentSHA256Mismatch', undefined, { ClientComputedContentSHA256: payload.hash, S3ComputedContentSHA256: EMPTY_SHA256 });
    }
    return { stream: null, length: 0, payloadHash: payload.kind === 'sha256' ? payload.hash : UNSIGNED_PAYLOAD, framing: {} };
  }
  const checks = BODY_CHECKSUM_EXEMPT.has(operation) ? { expected: [] } : requestChecksums(input.headers);
  const stages: Transform[] = [];
  const body: PreparedBody = { stream: null, length: undefined, payloadHash: UNSIGNED_PAYLOAD, framing: {} };
  switch (payload.kind) {
    case 'sha256':
      body.length = plainLength(req);
      // Forwarded untouched, so the client's hash stays valid for the backend too; we check it as
      // well, holding back the tail, because not every backend verifies it.
      stages.push(createPayloadHashCheck(payload.hash));
      body.payloadHash = payload.hash;
      break;
    case 'unsigned':
      body.length = plainLength(req);
      break;
    case 'streaming': {
      // aws-chunked ends here (aws-chunked.md §7): decode, verify every chunk and the trailer, and
      // forward plain bytes with Content-Length = the decoded length.
      const decodedLength = parseLength(input.headers['x-amz-decoded-content-length']);
      const signed = payload.mode !== 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
      const decoder = createAwsChunkedDecoder({
        mode: payload.mode,
        signing: signed ? input.signing : undefined,
        decodedLength,
        budget: input.budget,
        trailer: input.headers['x-amz-trailer']?.trim().toLowerCase() || undefined,
      });
      stages.push(decoder);
      body.verifiedChecksum = () => decoder.verifiedChecksum;
      body.length = decodedLength;
      break;
    }
  }
  if (checks.expected.length) stages.push(createChecksumCheck(checks.expected));
  if (checks.header) {
    const verified = checks.header;
    body.verifiedChecksum = () => verified;
  }
  if (carriesObjectBody(operation)) {
    stages.push(meter(input.onObjectBytes));
  } else {
    const limit = xmlBodyLimit(operation);
    if (body.length !== undefined && body.length > limit) throw tooLarge(limit);
    stages.push(cap(limit));
  }
  // A trailer checksum is known only at the end: it cannot become a header of a streamed request.
  // Where the backend takes aws-chunked, re-attach it as a trailer; elsewhere we verified it ourselves.
  if (payload.kind === 'streaming' && checks.trailer && input.awsChunked) {
    const reframe = reframeUnsignedTrailer(checks.trailer, body.verifiedChecksum!);
    stages.push(reframe.stream);
    body.framing = reframe.headers(body.length!);
    body.payloadHash = reframe.payloadHash;
  } else if (payload.kind === 'streaming' && checks.trailer) {
    body.framing = { 'x-amz-sdk-checksum-algorithm': undefined };
  }
  body.stream = chain(req, stages);
  if (operation === 'DeleteObjects' || operation === 'CompleteMultipartUpload') return rewriteXmlBody(input, body, operation);
  if (DOCUMENTS_NAMING_BUCKETS.has(operation)) return checkNamedBuckets(input, body);
  return body;
}

const ROOTS: Record<string, string> = {
  PutBucketLogging: 'BucketLoggingStatus',
  PutBucketInventoryConfiguration: 'InventoryConfiguration',
  PutBucketAnalyticsConfiguration: 'AnalyticsConfiguration',
  PutBucketReplication: 'ReplicationConfiguration',
};

/**
 * A logging target, an inventory or analytics export, a replication destination: the backend would write into the
 * bucket the document names, with our credentials. Each must be one the client may write to (security.md §3.5).
 */
async function checkNamedBuckets(input: BodyInput, body: PreparedBody): Promise<PreparedBody> {
  const bytes = await readBounded(body.stream as Readable, xmlBodyLimit(input.operation), input.budget);
  for (const name of bucketsNamedIn(bytes.toString('utf8'), ROOTS[input.operation]!)) input.checkNamedBucket(name);
  return { ...body, stream: bytes, length: bytes.length, payloadHash: sha256Hex(bytes) };
}

/**
 * DeleteObjects and CompleteMultipartUpload name keys and parts inside their body: read the verified body
 * (bounded), check it like the request itself, and send the backend the document we checked (security.md §3.4).
 */
async function rewriteXmlBody(input: BodyInput, body: PreparedBody, operation: 'DeleteObjects' | 'CompleteMultipartUpload'): Promise<PreparedBody> {
  const raw = (await readBounded(body.stream as Readable, xmlBodyLimit(operation), input.budget)).toString('utf8');
  const doc =
    operation === 'DeleteObjects'
      ? canonicalDeleteObjects(raw, (key) => assertLiteralKey(key, input.literalKeys, 'Key'))
      : canonicalCompleteMultipartUpload(raw);
  const bytes = Buffer.from(doc, 'utf8');
  const framing: Record<string, string | undefined> = { ...body.framing, 'content-md5': md5Base64(bytes) };
  if (operation === 'DeleteObjects') {
    // The client's checksum covered its document, not ours; Content-MD5 of ours is what S3 requires here.
    for (const name of Object.keys(input.headers)) if (name.startsWith('x-amz-checksum-') || name === 'x-amz-sdk-checksum-algorithm') framing[name] = undefined;
  }
  return { stream: bytes, length: bytes.length, payloadHash: sha256Hex(bytes), framing };
}
