// Tests for the streaming POST form parser (src/handlers/post-form.ts): valid forms, S3's bounds and errors, and flat memory on a huge field (post-object.md §6).
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { createPostFileCheck, parsePostForm } from '../../../src/body/post-form.js';
import { S3Error } from '../../../src/s3/errors.js';

const BOUNDARY = '----s3bridgeTestBoundary7MA4YWxkTrZu0gW';
const CT = `multipart/form-data; boundary=${BOUNDARY}`;

function part(name: string, value: string, file?: { filename: string; type?: string }): string {
  const disposition = file ? `form-data; name="${name}"; filename="${file.filename}"` : `form-data; name="${name}"`;
  const type = file ? `\r\nContent-Type: ${file.type ?? 'application/octet-stream'}` : '';
  return `--${BOUNDARY}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n${value}\r\n`;
}
const close = `--${BOUNDARY}--\r\n`;

/** A body delivered in small chunks, as a slow client would send it. */
function body(s: string | Buffer, chunk = 7): Readable {
  const buf = Buffer.isBuffer(s) ? s : Buffer.from(s);
  const pieces: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) pieces.push(buf.subarray(i, i + chunk));
  return Readable.from(pieces);
}

async function failure(p: Promise<unknown>): Promise<S3Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected an S3Error').toBeInstanceOf(S3Error);
  return err as S3Error;
}

describe('valid forms', () => {
  it('fields before the file, the file streamed, fields after it ignored', async () => {
    const form =
      part('key', 'user/${filename}') +
      part('Content-Type', 'image/png') +
      part('x-amz-meta-a', 'ü') +
      part('file', 'hello world', { filename: 'C:\\pics\\cat.png', type: 'image/png' }) +
      part('after', 'ignored') +
      close;
    const parsed = await parsePostForm(body(form), CT);
    expect(parsed.fields).toEqual([
      ['key', 'user/${filename}'],
      ['Content-Type', 'image/png'],
      ['x-amz-meta-a', 'ü'],
    ]);
    expect(parsed.filename).toBe('C:\\pics\\cat.png');
    expect(parsed.fileContentType).toBe('image/png');
    expect(await text(parsed.file)).toBe('hello world');
  });

  it('the file name is case-insensitive, and a binary file survives byte for byte', async () => {
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_v, i) => (i * 31) % 256));
    const head = Buffer.from(part('key', 'k') + `--${BOUNDARY}\r\nContent-Disposition: form-data; name="File"; filename="b.bin"\r\n\r\n`);
    const parsed = await parsePostForm(body(Buffer.concat([head, bytes, Buffer.from(`\r\n${close}`)]), 4096), CT);
    const chunks: Buffer[] = [];
    for await (const c of parsed.file) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  });

  it('a text field named file is the content (a textarea upload)', async () => {
    const parsed = await parsePostForm(body(part('key', 'k') + part('file', 'typed text') + close), CT);
    expect(parsed.filename).toBe('');
    expect(await text(parsed.file)).toBe('typed text');
  });

  it('resolves when the file starts, before the body has ended', async () => {
    const src = new Readable({ read() {} });
    const pending = parsePostForm(src, CT);
    src.push(part('key', 'k') + `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nfirst`);
    const parsed = await pending;
    expect(parsed.fields).toEqual([['key', 'k']]);
    src.push(` second\r\n${close}`);
    src.push(null);
    expect(await text(parsed.file)).toBe('first second');
  });
});

describe("S3's bounds and errors", () => {
  it('10,000 fields → 400 MaxPostPreDataLengthExceeded', async () => {
    let form = '';
    for (let i = 0; i < 10_000; i++) form += part(`x-ignore-${i}`, 'v');
    const err = await failure(parsePostForm(body(form + part('file', 'x', { filename: 'a' }) + close, 16_384), CT));
    expect(err).toMatchObject({ code: 'MaxPostPreDataLengthExceeded', status: 400, elements: { MaxPostPreDataLengthBytes: 20480 } });
  });

  it('fields just under 20 KB are accepted', async () => {
    const form = part('key', 'k') + part('x-ignore-pad', 'p'.repeat(19_000)) + part('file', 'x', { filename: 'a' }) + close;
    const parsed = await parsePostForm(body(form, 65_536), CT);
    expect(parsed.fields[1]![1]).toHaveLength(19_000);
    expect(await text(parsed.file)).toBe('x');
  });

  it('a 1 GB field value fails fast, reading little of it, with flat memory', async () => {
    const GB = 1024 ** 3;
    const CHUNK = Buffer.alloc(64 * 1024, 0x61);
    let produced = 0;
    async function* huge() {
      yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="x-ignore-big"\r\n\r\n`);
      while (produced < GB) {
        produced += CHUNK.length;
        yield CHUNK;
      }
    }
    const before = process.memoryUsage().rss;
    const started = performance.now();
    const err = await failure(parsePostForm(Readable.from(huge()), CT));
    expect(err.code).toBe('MaxPostPreDataLengthExceeded');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(produced).toBeLessThan(2 * 1024 * 1024); // stopped after a few chunks, not after 1 GB
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it.each([
    ['no file', part('key', 'k') + close, 'InvalidArgument', 'POST requires exactly one file upload per request.'],
    [
      'unterminated before the file',
      part('key', 'k') + `--${BOUNDARY}\r\nContent-Disposition: form-da`,
      'MalformedPOSTRequest',
      'The body of your POST request is not well-formed multipart/form-data.',
    ],
    ['no closing boundary and no file', part('key', 'k'), 'MalformedPOSTRequest', undefined],
    ['garbage', 'this is not a form', 'MalformedPOSTRequest', undefined],
    ['empty body', '', 'MalformedPOSTRequest', undefined],
  ])('%s → 400 %s', async (_name, form, code, message) => {
    const err = await failure(parsePostForm(body(form), CT));
    expect(err).toMatchObject({ code, status: 400 });
    if (message !== undefined) expect(err.message).toBe(message);
    if (code === 'InvalidArgument') expect(err.elements).toEqual({ ArgumentName: 'file', ArgumentValue: 0 });
  });

  it('a body cut short inside the file errors the file stream (never a clean end)', async () => {
    const parsed = await parsePostForm(
      body(part('key', 'k') + `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\npartial data`),
      CT,
    );
    const err = await failure(text(parsed.file));
    expect(err.code).toBe('MalformedPOSTRequest');
  });

  it('a second file errors the file stream with InvalidArgument, ArgumentValue 2', async () => {
    const form = part('key', 'k') + part('file', 'one', { filename: 'a' }) + part('file', 'two', { filename: 'b' }) + close;
    const parsed = await parsePostForm(body(form), CT);
    const err = await failure(text(parsed.file));
    expect(err).toMatchObject({
      code: 'InvalidArgument',
      message: 'POST requires exactly one file upload per request.',
      elements: { ArgumentName: 'file', ArgumentValue: 2 },
    });
  });

  it('a part with a filename under another name is a field, its content the value (as Python requests sends fields)', async () => {
    const form =
      part('key', 'k', { filename: 'key' }) + part('Content-Type', 'text/plain', { filename: 'x' }) + part('file', 'kept', { filename: 'a' }) + close;
    const parsed = await parsePostForm(body(form), CT);
    expect(parsed.fields).toEqual([
      ['key', 'k'],
      ['Content-Type', 'text/plain'],
    ]);
    expect(await text(parsed.file)).toBe('kept');
  });

  it.each([
    ['not multipart', 'application/x-www-form-urlencoded', 'PreconditionFailed', 412],
    ['no content type', undefined, 'PreconditionFailed', 412],
    ['no boundary', 'multipart/form-data', 'MalformedPOSTRequest', 400],
  ])('%s → %s', async (_name, contentType, code, status) => {
    const err = await failure(parsePostForm(body(part('key', 'k') + close), contentType));
    expect(err).toMatchObject({ code, status });
    if (code === 'PreconditionFailed') expect(err.elements).toEqual({ Condition: 'Bucket POST must be of the enclosure-type multipart/form-data' });
  });
});

describe('createPostFileCheck', () => {
  it.each([
    ['inside the range', 'abcde', { min: 1, max: 5 }, undefined],
    ['over the maximum', 'abcdef', { min: 1, max: 5 }, 'EntityTooLarge'],
    ['under the minimum', 'ab', { min: 3, max: 5 }, 'EntityTooSmall'],
    ['no range', 'abc', undefined, undefined],
  ] as Array<[string, string, { min: number; max: number } | undefined, string | undefined]>)('%s', async (_name, data, range, code) => {
    const counted = body(data, 2).pipe(createPostFileCheck(range, undefined));
    if (code === undefined) {
      expect(await text(counted)).toBe(data);
      return;
    }
    expect((await failure(text(counted))).code).toBe(code);
  });
});

describe('a text file field over the field bound', () => {
  it('is refused, never stored cut short, even when it arrives in one chunk', async () => {
    const form = part('key', 'k') + part('file', 't'.repeat(30_000)) + close;
    const err = await failure(parsePostForm(body(form, 1 << 20), CT));
    expect(err.code).toBe('MaxPostPreDataLengthExceeded');
  });
});
