// Regression: a file name with non-ASCII characters, sent by browsers as raw UTF-8 in Content-Disposition, reaches ${filename} as written (post-object.md §2).
//
// The bug: busboy reads header parameters as latin1 unless told otherwise, so "naïve €.txt" became "naÃ¯ve â‚¬.txt"
// and a form with key "uploads/${filename}" stored the object under a garbled key.
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { parsePostForm } from '../../../src/body/post-form.js';

const BOUNDARY = '----WebKitFormBoundaryUtf8Name';
const CT = `multipart/form-data; boundary=${BOUNDARY}`;

function form(filenameHeader: string): Readable {
  return Readable.from([
    Buffer.concat([
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="key"\r\n\r\nuploads/\${filename}\r\n`),
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ${filenameHeader}\r\nContent-Type: text/plain\r\n\r\n`, 'utf8'),
      Buffer.from(`data\r\n--${BOUNDARY}--\r\n`),
    ]),
  ]);
}

describe('the file name', () => {
  it('sent as raw UTF-8 (what Chromium and Firefox send) is decoded as UTF-8', async () => {
    const parsed = await parsePostForm(form('filename="naïve résumé €.txt"'), CT);
    expect(parsed.filename).toBe('naïve résumé €.txt');
    expect(await text(parsed.file)).toBe('data');
  });

  it('sent as RFC 5987 filename* keeps working', async () => {
    const parsed = await parsePostForm(form("filename*=UTF-8''na%C3%AFve%20%E2%82%AC.txt"), CT);
    expect(parsed.filename).toBe('naïve €.txt');
  });
});
