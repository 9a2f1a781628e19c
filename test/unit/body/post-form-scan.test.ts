// Tests for the file-data scanner of POST forms (src/body/post-form-scan.ts): the file's data and the rest, however the body is cut into chunks.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePostForm } from '../../../src/body/post-form.js';
import { FileDataScanner, partialMatchAtEnd } from '../../../src/body/post-form-scan.js';

const BOUNDARY = 'xYz0123';
const DELIM = `\r\n--${BOUNDARY}`;

/** Feeds `input` cut at `cuts` and returns the data and the rest as strings. */
function run(input: string, cuts: number[]): { data: string; rest: string | undefined } {
  const scanner = new FileDataScanner(BOUNDARY);
  const buf = Buffer.from(input, 'latin1');
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  let data = '';
  let rest: string | undefined;
  let from = 0;
  for (const to of [...points, buf.length]) {
    if (to < from) continue;
    const out = scanner.push(buf.subarray(from, to));
    data += Buffer.concat(out.data).toString('latin1');
    if (out.rest) rest = (rest ?? '') + out.rest.toString('latin1');
    from = to;
  }
  return { data, rest };
}

describe('FileDataScanner', () => {
  it.each([
    ['file ends, closing delimiter', `hello${DELIM}--\r\n`, 'hello', `${DELIM}--\r\n`],
    ['empty file', `${DELIM}--\r\n`, '', `${DELIM}--\r\n`],
    [
      'a field after the file',
      `abc${DELIM}\r\nContent-Disposition: form-data; name="x"\r\n\r\n1${DELIM}--`,
      'abc',
      `${DELIM}\r\nContent-Disposition: form-data; name="x"\r\n\r\n1${DELIM}--`,
    ],
    ['almost-delimiters are data', `a\r\n--xYz012\r\n-\r\r\n--x${DELIM}--`, 'a\r\n--xYz012\r\n-\r\r\n--x', `${DELIM}--`],
    ['no delimiter yet: all but a possible start is data', 'data\r\n--xY', 'data', undefined],
    ['a delimiter without CRLF before it is data', `--${BOUNDARY}x${DELIM}`, `--${BOUNDARY}x`, DELIM],
  ])('%s', (_name, input, data, rest) => {
    for (const cuts of [[], [1], [3, 6], [...Array(input.length).keys()]]) {
      expect(run(input, cuts)).toEqual({ data, rest });
    }
  });

  it('after the delimiter, every chunk is rest', () => {
    const scanner = new FileDataScanner(BOUNDARY);
    expect(scanner.push(Buffer.from(`x${DELIM}`)).rest?.toString()).toBe(DELIM);
    expect(scanner.push(Buffer.from('more'))).toEqual({ data: [], rest: Buffer.from('more') });
  });

  it('any content, any chunking: data is everything before the first delimiter, rest everything from it', () => {
    const byte = fc.constantFrom(...'\r\n-xYz0123ab'.split(''));
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 60 }), fc.array(fc.nat(200), { maxLength: 12 }), (chars, cuts) => {
        const content = chars.join('');
        const expected = content.indexOf(DELIM) >= 0 ? content.slice(0, content.indexOf(DELIM)) : content;
        const tail = `${DELIM}--\r\n`;
        const input = content + tail;
        const out = run(input, cuts);
        expect(out.data).toBe(expected);
        expect(out.rest).toBe(input.slice(expected.length));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('partialMatchAtEnd', () => {
  const needle = Buffer.from(DELIM);
  it.each([
    ['abc', 0],
    ['abc\r', 1],
    ['abc\r\n--xY', 6],
    ['\r\n--xYz012', 10],
    ['\r\n--xYz0123', 0], // the whole needle is not a proper prefix: the caller's indexOf finds it
    ['\r\r', 1],
  ])('%j → %i', (input, n) => {
    expect(partialMatchAtEnd(Buffer.from(input), needle)).toBe(n);
  });
});

describe('parsePostForm with the scanner', () => {
  const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const fileHead = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n\r\n`;

  it('any file content, any chunking: the file is the bytes up to the closing delimiter; a second file is refused', async () => {
    const byte = fc.constantFrom(...'\r\n-xYz0123ab'.split(''));
    await fc.assert(
      fc.asyncProperty(
        fc.array(byte, { maxLength: 300 }).map((a) => a.join('').split(DELIM).join('')),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        async (content, sizes, secondFile) => {
          const tail = secondFile ? `${DELIM}\r\nContent-Disposition: form-data; name="file"; filename="g"\r\n\r\nz${DELIM}--\r\n` : `${DELIM}--\r\n`;
          const whole = Buffer.from(field('key', 'k') + fileHead + content + tail, 'latin1');
          const pieces: Buffer[] = [];
          for (let at = 0, i = 0; at < whole.length; i++) {
            const n = sizes[i % sizes.length]!;
            pieces.push(whole.subarray(at, at + n));
            at += n;
          }
          const form = await parsePostForm(Readable.from(pieces), `multipart/form-data; boundary=${BOUNDARY}`);
          expect(form.fields).toEqual([['key', 'k']]);
          const chunks: Buffer[] = [];
          // All of a small form may be parsed before we listen: an error already raised is not emitted again.
          const read = new Promise<void>((resolve, reject) => {
            if (form.file.errored) return reject(form.file.errored);
            form.file.on('data', (c: Buffer) => chunks.push(c));
            form.file.once('end', resolve);
            form.file.once('error', reject);
          });
          if (secondFile) {
            await expect(read).rejects.toMatchObject({ code: 'InvalidArgument' });
          } else {
            await read;
            expect(Buffer.concat(chunks).toString('latin1')).toBe(content);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
