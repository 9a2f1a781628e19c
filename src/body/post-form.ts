// Browser POST uploads, body stage: reads the multipart/form-data body as it streams — the text fields up to the file, then the file part itself, unbuffered (post-object.md §2, §6).
import type { Readable } from 'node:stream';
import { PassThrough, type Transform } from 'node:stream';
import busboy from 'busboy';
import { S3Error } from '../s3/errors.js';
import { checkPostLength, type LengthRange } from '../auth/post-policy.js';
import { DigestCheck } from './hold-back.js';
import { FileDataScanner } from './post-form-scan.js';

export interface PostFormLimits {
  /** Bytes of the body before the file's content: S3 allows 20 KB of fields and boundaries (post-object.md §6). */
  maxPreDataBytes: number;
  /** Text fields before the file; more cannot fit into maxPreDataBytes anyway, this only bounds the parser's work. */
  maxFields: number;
}

export const DEFAULT_POST_FORM_LIMITS: PostFormLimits = { maxPreDataBytes: 20 * 1024, maxFields: 1000 };

export interface PostForm {
  /** Text fields before the file, names as sent, in order. */
  fields: Array<[string, string]>;
  /**
   * The file's bytes as they arrive. Its end is held back until the whole form has been parsed, so a
   * form that turns out malformed (or to carry a second file) errors this stream instead of ending it.
   */
  file: Readable;
  /** The filename the browser sent, path included if it sent one; '' for a text `file` field. */
  filename: string;
  fileContentType: string;
  /**
   * The file's length as the form's framing implies it (Content-Length minus the bytes before the file's data and
   * the closing delimiter), so the backend upload can carry a Content-Length; undefined when the body has none.
   * Verified at the end (createPostFileCheck): a form that does not end right after the file fails.
   */
  expectedLength?: number;
}

const ONE_FILE = 'POST requires exactly one file upload per request.';
const NOT_MULTIPART = 'Bucket POST must be of the enclosure-type multipart/form-data';

function malformed(): S3Error {
  return new S3Error('MalformedPOSTRequest');
}

function tooLarge(limits: PostFormLimits): S3Error {
  return new S3Error('MaxPostPreDataLengthExceeded', undefined, { MaxPostPreDataLengthBytes: limits.maxPreDataBytes });
}

function fileCount(n: number): S3Error {
  return new S3Error('InvalidArgument', ONE_FILE, { ArgumentName: 'file', ArgumentValue: n });
}

/**
 * post-object.md §6: parses `body` (the request) as the form S3 accepts. Resolves as soon as the
 * file part starts; rejects with S3's error when the fields before it are too large, the body is
 * not a well-formed form, or it ends without a file. Fields after the file are ignored, as S3
 * ignores them. The caller reads `file`; on a rejection it should not reuse the connection, since
 * the rest of the body is left unread.
 */
/**
 * Where the file part's data starts in the bytes read so far, given that it is part number `partIndex` (0-based):
 * just after the header block that follows its delimiter. Delimiters are found as busboy finds them, `CRLF--boundary`
 * (the first may open the body without the CRLF), and counted from the start: the bytes read so far may reach past
 * the file's header — into its data, the closing delimiter, fields after it — when the form arrives in one chunk.
 */
export function fileDataOffset(head: Buffer, boundary: string, partIndex: number): number | undefined {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const body = Buffer.concat([Buffer.from('\r\n'), head]); // the first delimiter may have no CRLF before it
  let at = -1;
  for (let i = 0; i <= partIndex; i++) {
    at = body.indexOf(delimiter, at + 1);
    if (at < 0) return undefined;
  }
  const end = body.indexOf('\r\n\r\n', at + delimiter.length);
  return end < 0 ? undefined : end + 4 - 2;
}

function boundaryOf(contentType: string): string | undefined {
  return /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i
    .exec(contentType)
    ?.slice(1)
    .find((v) => v !== undefined);
}

export function parsePostForm(
  body: Readable,
  contentType: string | undefined,
  limits: PostFormLimits = DEFAULT_POST_FORM_LIMITS,
  contentLength?: number,
): Promise<PostForm> {
  if (!contentType || !/^multipart\/form-data\s*(;|$)/i.test(contentType.trim())) {
    return Promise.reject(new S3Error('PreconditionFailed', undefined, { Condition: NOT_MULTIPART }));
  }
  let bb: busboy.Busboy;
  try {
    // preservePath: the policy stage applies S3's own basename rule to ${filename} (post-object.md §2).
    // defParamCharset: browsers send the file name as raw UTF-8 in Content-Disposition; busboy would read it as latin1.
    bb = busboy({
      headers: { 'content-type': contentType },
      preservePath: true,
      defParamCharset: 'utf8',
      limits: { fieldSize: limits.maxPreDataBytes, fields: limits.maxFields },
    });
  } catch {
    return Promise.reject(malformed()); // e.g. no boundary parameter
  }

  return new Promise<PostForm>((resolve, reject) => {
    const fields: Array<[string, string]> = [];
    const out = new PassThrough();
    // The form can fail before the caller has attached to `file` (all of a small body is parsed in
    // one go); that must not become an uncaught 'error'. Whoever reads `file` still sees the error.
    out.on('error', () => {});
    let started = false; // the file part has begun: the promise is settled
    let files = 0;
    /** Parts seen before the file (fields and skipped file inputs), to find the file part's delimiter. */
    let parts = 0;
    let preBytes = 0;
    let failed = false;
    // The bytes before the file (bounded by maxPreDataBytes) and the chunk being parsed: where the file's data starts.
    const head: Buffer[] = [];
    let current: Buffer | undefined;
    const boundary = boundaryOf(contentType);
    // Once the file's data starts, a native search for its closing delimiter takes over from busboy's per-byte
    // parser (a third of a POST's CPU per GiB); busboy reads again from that delimiter on (post-form-scan.ts).
    let scanner: FileDataScanner | undefined;
    let scanFrom = 0;

    const stop = (err: Error): void => {
      if (failed) return;
      failed = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onBodyError);
      body.pause();
      bb.destroy();
      if (started) out.destroy(err);
      else reject(err);
    };

    /** Fields sent as file parts, still being read when the file begins. */
    const pendingFields: Array<Promise<void>> = [];
    const begin = (filename: string, mimeType: string, expectedLength?: number): void => {
      started = true;
      const form = { fields, file: out, filename, fileContentType: mimeType, expectedLength };
      if (pendingFields.length === 0) resolve(form);
      else void Promise.all(pendingFields).then(() => resolve(form));
    };

    bb.on('field', (name, value, info) => {
      if (started || failed) return; // S3 ignores what follows the file
      parts++;
      // A value cut at the field bound must never pass for the whole, least of all as the object.
      if (info.nameTruncated || info.valueTruncated) return stop(tooLarge(limits));
      if (name.toLowerCase() === 'file') {
        // A text `file` field is the object's content (post-object.md §2), bounded like any field.
        files++;
        begin('', info.mimeType, Buffer.byteLength(value));
        out.write(value);
        return;
      }
      fields.push([name, value]);
    });

    bb.on('file', (name, stream, info) => {
      const isFile = name?.toLowerCase() === 'file';
      if (failed || started || !isFile) {
        if (!started) parts++;
        // A second file is counted (S3 refuses it). A part with a filename under another name before the file is
        // a field like any other, its content the value (Python requests sends every field that way, and S3 and
        // Ceph read it so; post-object.md §6); it is bounded like the other fields by maxPreDataBytes.
        if (isFile) files++;
        else if (!started && !failed && name) {
          const entry: [string, string] = [name, ''];
          fields.push(entry);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          pendingFields.push(
            new Promise<void>((done) => {
              stream.once('end', () => {
                entry[1] = Buffer.concat(chunks).toString('utf8');
                done();
              });
              stream.once('error', () => done());
            }),
          );
          return;
        }
        stream.resume();
        return;
      }
      files++;
      const offset = boundary === undefined ? undefined : fileDataOffset(Buffer.concat(current ? [...head, current] : head), boundary, parts);
      const closing = Buffer.byteLength(`\r\n--${boundary}--\r\n`);
      const expected = contentLength !== undefined && offset !== undefined ? contentLength - offset - closing : undefined;
      begin(info.filename ?? '', info.mimeType, expected !== undefined && expected >= 0 ? expected : undefined);
      // Errors of busboy's file stream are parse errors (a body cut short inside the file).
      stream.on('error', () => stop(malformed()));
      const headBytes = head.reduce((n, b) => n + b.length, 0);
      const from = offset === undefined ? -1 : offset - headBytes;
      // A file that ends in the chunk it starts in (a small form) stays with busboy; a longer one goes to the scanner.
      if (current && boundary !== undefined && from >= 0 && from <= current.length && current.indexOf(`\r\n--${boundary}`, from, 'latin1') < 0) {
        scanner = new FileDataScanner(boundary);
        scanFrom = from;
        stream.resume(); // busboy's copy of the file's first bytes: the scanner passes them on
        return;
      }
      stream.pipe(out, { end: false });
    });

    bb.on('fieldsLimit', () => {
      if (!started) stop(tooLarge(limits));
    });
    bb.on('error', () => stop(malformed()));
    bb.on('finish', () => {
      if (failed) return;
      if (files !== 1) return stop(fileCount(files));
      out.end();
    });

    // Fed by hand rather than piped: busboy parses inside write(), so after each chunk we know
    // whether the file has started, and stop reading at once when the fields run past the bound.
    const feed = (chunk: Buffer): void => {
      if (!bb.write(chunk)) {
        body.pause();
        bb.once('drain', () => body.resume());
      }
    };
    /** The file's bytes through the scanner: its data to `file`, and from its closing delimiter on to busboy. */
    const scan = (chunk: Buffer): void => {
      const { data, rest } = scanner!.push(chunk);
      for (const piece of data) {
        if (!out.write(piece)) {
          body.pause();
          out.once('drain', () => body.resume());
        }
      }
      if (rest) {
        scanner = undefined;
        if (!failed) feed(rest);
      }
    };
    const onData = (chunk: Buffer): void => {
      if (!started) {
        preBytes += chunk.length;
        current = chunk;
        const more = bb.write(chunk);
        current = undefined;
        if (!started) head.push(chunk);
        else head.length = 0;
        if (!more) {
          body.pause();
          bb.once('drain', () => body.resume());
        }
        if (!started && !failed && preBytes > limits.maxPreDataBytes) stop(tooLarge(limits));
        if (scanner && !failed) scan(chunk.subarray(scanFrom));
        return;
      }
      if (failed) return;
      if (scanner) scan(chunk);
      else feed(chunk);
    };
    const onEnd = (): void => {
      bb.end();
    };
    const onBodyError = (err: Error): void => stop(err);
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onBodyError);
  });
}

/**
 * post-object.md §6: counts the file's bytes on their way to the backend and holds the last piece back until the
 * whole file checked out: the policy's content-length-range (and S3's 5 GiB limit; EntityTooLarge as soon as the
 * count passes the maximum, EntityTooSmall at the end) and, when the upload carries a Content-Length, exactly that
 * many bytes (a form that goes on after the file is refused, nothing is stored).
 */
export function createPostFileCheck(range: LengthRange | undefined, expectedLength: number | undefined): Transform {
  let bytes = 0;
  return new DigestCheck(
    (chunk) => {
      bytes += chunk.length;
      checkPostLength(range, bytes, false);
      if (expectedLength !== undefined && bytes > expectedLength) throw new S3Error('MalformedPOSTRequest', 'The file must be the last field of the form.');
    },
    () => {
      checkPostLength(range, bytes, true);
      if (expectedLength !== undefined && bytes !== expectedLength) throw new S3Error('MalformedPOSTRequest', 'The file must be the last field of the form.');
    },
  );
}
