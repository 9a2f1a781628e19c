// Regression: the file length a form's framing implies (parsePostForm's expectedLength, the Content-Length of the backend upload) when the form arrives in one chunk (post-object.md §11).
//
// The bug: the file part was looked for at the last delimiter in everything read so far, which for a form that
// arrives in one chunk (any small browser upload) is the closing delimiter; no length was found, and the upload
// went to the backend without a Content-Length (chunked), which S3 refuses with 411 MissingContentLength.
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { createPostFileCheck, parsePostForm } from '../../../src/body/post-form.js';
import { S3Error } from '../../../src/s3/errors.js';

const BOUNDARY = '----WebKitFormBoundaryLengthTest01';
const CT = `multipart/form-data; boundary=${BOUNDARY}`;
const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const filePart = (name: string, filename: string, data: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n${data}\r\n`;
const close = `--${BOUNDARY}--\r\n`;

function chunks(s: string, size: number): Readable {
  const buf = Buffer.from(s);
  const pieces: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) pieces.push(buf.subarray(i, i + size));
  return Readable.from(pieces);
}

async function parse(form: string, chunkSize: number) {
  const parsed = await parsePostForm(chunks(form, chunkSize), CT, undefined, Buffer.byteLength(form));
  return { expectedLength: parsed.expectedLength, content: await text(parsed.file.pipe(createPostFileCheck(undefined, parsed.expectedLength))) };
}

describe('expectedLength', () => {
  const data = 'the file, 29 bytes of it here';
  const form = field('key', 'k') + field('policy', 'p') + filePart('file', 'a.txt', data) + close;

  it.each([
    ['one chunk', 1 << 20],
    ['7-byte chunks', 7],
    ['a chunk boundary inside the file header', 120],
  ])('is the file length when the form arrives in %s', async (_what, size) => {
    expect(await parse(form, size)).toEqual({ expectedLength: data.length, content: data });
  });

  it('counts a file input under another name before the file (a skipped part)', async () => {
    const withOther = field('key', 'k') + filePart('avatar', 'x.png', 'ignored bytes') + filePart('file', 'a.txt', data) + close;
    expect(await parse(withOther, 1 << 20)).toEqual({ expectedLength: data.length, content: data });
  });

  it('the boundary inside a value (not at a line start, so no delimiter) does not shift it', async () => {
    const tricky = field('key', 'k') + field('x-ignore-a', `see --${BOUNDARY} here`) + filePart('file', 'a.txt', data) + close;
    expect(await parse(tricky, 1 << 20)).toEqual({ expectedLength: data.length, content: data });
  });

  it('a form that goes on after the file (in the same chunk) fails the length check instead of ending short', async () => {
    const after = field('key', 'k') + filePart('file', 'a.txt', data) + field('late', 'v') + close;
    const parsed = await parsePostForm(chunks(after, 1 << 20), CT, undefined, Buffer.byteLength(after));
    expect(parsed.expectedLength).toBe(data.length + Buffer.byteLength(field('late', 'v')));
    const err = await text(parsed.file.pipe(createPostFileCheck(undefined, parsed.expectedLength))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(S3Error);
    expect(err).toMatchObject({ code: 'MalformedPOSTRequest', message: 'The file must be the last field of the form.' });
  });
});
