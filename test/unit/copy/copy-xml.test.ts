// Unit tests for the CopyObjectResult / CopyPartResult documents (src/copy/result-xml.ts): what s3bridge writes, and every shape of backend answer it reads.
import { describe, expect, it } from 'vitest';
import { copyObjectResultXml, copyPartResultXml, parseCopyResult } from '../../../src/s3/copy-result.js';
import { S3Error } from '../../../src/s3/errors.js';
import { xmlText } from '../../../src/s3/xml.js';

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const MD5 = '9b2cf535f27731c974343645a3985328';
const WHEN = new Date('2009-10-12T17:50:30.000Z');

function thrown(fn: () => unknown): S3Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return err;
    throw err;
  }
  throw new Error('expected an S3Error, nothing was thrown');
}

describe('copyObjectResultXml / copyPartResultXml', () => {
  it('writes the CopyObjectResult document', () => {
    expect(copyObjectResultXml({ etag: `"${MD5}"`, lastModified: WHEN })).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult xmlns="${NS}">` +
        `<LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&quot;${MD5}&quot;</ETag></CopyObjectResult>`,
    );
  });

  it('writes the CopyPartResult document', () => {
    const xml = copyPartResultXml({ etag: MD5, lastModified: new Date('2009-10-28T22:32:00.123Z') });
    expect(xml).toMatch(new RegExp(`^<\\?xml[^>]*\\?>\\n<CopyPartResult xmlns="${NS.replace(/[./]/g, '\\$&')}">`));
    expect(xml.endsWith('</CopyPartResult>')).toBe(true);
    expect(xmlText(xml, 'LastModified')).toBe('2009-10-28T22:32:00.123Z');
    expect(xmlText(xml, 'ETag')).toBe(`"${MD5}"`);
  });

  it.each([
    [MD5, `"${MD5}"`],
    [`"${MD5}"`, `"${MD5}"`],
    [`"${MD5}-3"`, `"${MD5}-3"`],
    ['opaque-etag', '"opaque-etag"'],
  ])('quotes ETag %j once', (etag, want) => {
    expect(xmlText(copyObjectResultXml({ etag, lastModified: WHEN }), 'ETag')).toBe(want);
  });

  it('writes checksums in schema order, by element or algorithm name', () => {
    const checksums = {
      sha256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=',
      ChecksumCRC32: 'AAAAAA==',
      CRC64NVME: 'AAAAAAAAAAA=',
      ChecksumType: 'FULL_OBJECT',
    };
    const xml = copyObjectResultXml({ etag: MD5, lastModified: WHEN, checksums });
    expect(xml).toContain(
      '<ChecksumType>FULL_OBJECT</ChecksumType><ChecksumCRC32>AAAAAA==</ChecksumCRC32><ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME>' +
        '<ChecksumSHA256>n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=</ChecksumSHA256></CopyObjectResult>',
    );
    expect(xml).not.toContain('ChecksumSHA1');
  });

  it('leaves ChecksumType out of CopyPartResult, which has no such element', () => {
    const xml = copyPartResultXml({ etag: MD5, lastModified: WHEN, checksums: { ChecksumType: 'COMPOSITE', crc32c: 'yZRlqg==' } });
    expect(xml).not.toContain('ChecksumType');
    expect(xmlText(xml, 'ChecksumCRC32C')).toBe('yZRlqg==');
  });

  it('has no checksum elements when none were computed', () => {
    expect(copyPartResultXml({ etag: MD5, lastModified: WHEN, checksums: {} })).not.toContain('Checksum');
  });

  it('refuses an unknown checksum name', () => {
    expect(() => copyObjectResultXml({ etag: MD5, lastModified: WHEN, checksums: { md5: 'x' } })).toThrow(TypeError);
  });
});

describe('parseCopyResult', () => {
  it.each([
    [
      'AWS CopyObjectResult, literal quotes',
      `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult xmlns="${NS}">\n  <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n  <ETag>"${MD5}"</ETag>\n</CopyObjectResult>`,
      `"${MD5}"`,
      '2009-10-12T17:50:30.000Z',
    ],
    [
      'AWS CopyPartResult, &quot; escaped',
      `<?xml version="1.0" encoding="UTF-8"?><CopyPartResult xmlns="${NS}"><LastModified>2009-10-28T22:32:00.000Z</LastModified><ETag>&quot;${MD5}&quot;</ETag></CopyPartResult>`,
      `"${MD5}"`,
      '2009-10-28T22:32:00.000Z',
    ],
    [
      'Yandex part copy: CopyObjectResult root, zone-less time is UTC',
      `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult>\n  <LastModified>2019-02-15T14:32:00</LastModified>\n  <ETag>"${MD5}"</ETag>\n</CopyObjectResult>`,
      `"${MD5}"`,
      '2019-02-15T14:32:00.000Z',
    ],
    [
      'keep-alive whitespace before the document, unquoted ETag',
      `\n \n \n<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult><ETag>${MD5}</ETag><LastModified>2020-01-02T03:04:05.678901Z</LastModified></CopyObjectResult>`,
      `"${MD5}"`,
      '2020-01-02T03:04:05.678Z',
    ],
    [
      'offset zone',
      `<CopyObjectResult><LastModified>2020-01-02T05:04:05+02:00</LastModified><ETag>"${MD5}-2"</ETag></CopyObjectResult>`,
      `"${MD5}-2"`,
      '2020-01-02T03:04:05.000Z',
    ],
    [
      'compact offset zone',
      `<CopyPartResult><LastModified>2020-01-02T01:04:05.5-0200</LastModified><ETag>"${MD5}"</ETag></CopyPartResult>`,
      `"${MD5}"`,
      '2020-01-02T03:04:05.500Z',
    ],
  ])('%s', (_name, xml, etag, lastModified) => {
    const r = parseCopyResult(xml);
    expect(r.etag).toBe(etag);
    expect(r.lastModified?.toISOString()).toBe(lastModified);
  });

  it.each([
    ['absent', `<CopyObjectResult><ETag>"${MD5}"</ETag></CopyObjectResult>`],
    ['unreadable', `<CopyObjectResult><LastModified>yesterday</LastModified><ETag>"${MD5}"</ETag></CopyObjectResult>`],
    ['HTTP-date', `<CopyObjectResult><LastModified>Mon, 12 Oct 2009 17:50:30 GMT</LastModified><ETag>"${MD5}"</ETag></CopyObjectResult>`],
  ])('LastModified %s → undefined, ETag still read', (_name, xml) => {
    expect(parseCopyResult(xml)).toStrictEqual({ etag: `"${MD5}"` });
  });

  it('reads back what s3bridge writes', () => {
    const when = new Date('2024-02-29T23:59:59.999Z');
    for (const write of [copyObjectResultXml, copyPartResultXml]) {
      const r = parseCopyResult(write({ etag: MD5, lastModified: when }));
      expect(r).toStrictEqual({ etag: `"${MD5}"`, lastModified: when });
    }
  });

  it('throws the error a 200 answer carries, with its code and message', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key><RequestId>1</RequestId></Error>`;
    const err = thrown(() => parseCopyResult(xml));
    expect([err.code, err.status, err.message]).toEqual(['NoSuchKey', 404, 'The specified key does not exist.']);
  });

  it('maps an error code s3bridge does not know to InternalError', () => {
    const xml = '   \n<Error><Code>SomethingNew</Code><Message>We encountered an internal error. Please try again.</Message></Error>';
    const err = thrown(() => parseCopyResult(xml));
    expect([err.code, err.status]).toEqual(['InternalError', 500]);
  });

  it.each([
    ['empty body', ''],
    ['only whitespace', '  \n  '],
    ['another document', '<ListBucketResult><Name>b</Name></ListBucketResult>'],
    ['not XML', 'OK'],
    ['no ETag', '<CopyObjectResult><LastModified>2009-10-12T17:50:30.000Z</LastModified></CopyObjectResult>'],
    ['empty ETag', '<CopyObjectResult><ETag></ETag></CopyObjectResult>'],
  ])('%s → InternalError (502)', (_name, xml) => {
    const err = thrown(() => parseCopyResult(xml));
    expect([err.code, err.status]).toEqual(['InternalError', 502]);
  });
});

/** The answer shapes a native copy can get back (copy-semantics.md §1, §10, §11.6): AWS's and Yandex's roots, with and without checksums. */
describe('parseCopyResult: the table of backend answers', () => {
  const AWS_TIME = '2009-10-28T22:32:00.000Z';
  const YANDEX_TIME = '2019-02-15T14:32:00';
  const sums = '<ChecksumCRC32>yZRlqg==</ChecksumCRC32><ChecksumSHA256>n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=</ChecksumSHA256>';
  const doc = (root: string, time: string, extra = '', ns = true) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns ? ` xmlns="${NS}"` : ''}><LastModified>${time}</LastModified><ETag>&quot;${MD5}&quot;</ETag>${extra}</${root}>`;
  const table: Array<[string, string, { etag: string; lastModified: string; checksums?: Record<string, string> }]> = [
    ['AWS CopyPartResult', doc('CopyPartResult', AWS_TIME), { etag: `"${MD5}"`, lastModified: AWS_TIME }],
    [
      'AWS CopyPartResult with checksums',
      doc('CopyPartResult', AWS_TIME, sums),
      {
        etag: `"${MD5}"`,
        lastModified: AWS_TIME,
        checksums: { ChecksumCRC32: 'yZRlqg==', ChecksumSHA256: 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=' },
      },
    ],
    [
      'AWS CopyObjectResult with ChecksumType',
      doc('CopyObjectResult', AWS_TIME, '<ChecksumType>FULL_OBJECT</ChecksumType><ChecksumCRC64NVME>AAAAAAAAAAA=</ChecksumCRC64NVME>'),
      {
        etag: `"${MD5}"`,
        lastModified: AWS_TIME,
        checksums: { ChecksumType: 'FULL_OBJECT', ChecksumCRC64NVME: 'AAAAAAAAAAA=' },
      },
    ],
    [
      'Yandex copyPart: CopyObjectResult root, no namespace, zone-less time',
      doc('CopyObjectResult', YANDEX_TIME, '', false),
      { etag: `"${MD5}"`, lastModified: '2019-02-15T14:32:00.000Z' },
    ],
    [
      'Yandex copyPart with a checksum child',
      doc('CopyObjectResult', YANDEX_TIME, '<ChecksumCRC32C>AAAAAA==</ChecksumCRC32C>', false),
      {
        etag: `"${MD5}"`,
        lastModified: '2019-02-15T14:32:00.000Z',
        checksums: { ChecksumCRC32C: 'AAAAAA==' },
      },
    ],
    [
      'empty checksum elements are left out',
      doc('CopyPartResult', AWS_TIME, '<ChecksumCRC32></ChecksumCRC32><ChecksumSHA1/>'),
      { etag: `"${MD5}"`, lastModified: AWS_TIME },
    ],
  ];

  it.each(table)('%s', (_name, xml, want) => {
    const r = parseCopyResult(xml);
    expect({ ...r, lastModified: r.lastModified?.toISOString() }).toStrictEqual(want);
  });

  it.each(table)('%s reaches the client as an AWS CopyPartResult', (_name, xml, want) => {
    const r = parseCopyResult(xml);
    const out = copyPartResultXml({ etag: r.etag, lastModified: r.lastModified!, checksums: r.checksums });
    expect(
      out.startsWith(
        `<?xml version="1.0" encoding="UTF-8"?>\n<CopyPartResult xmlns="${NS}"><LastModified>${new Date(want.lastModified).toISOString()}</LastModified><ETag>&quot;${MD5}&quot;</ETag>`,
      ),
    ).toBe(true);
    for (const [el, value] of Object.entries(want.checksums ?? {})) expect(xmlText(out, el)).toBe(el === 'ChecksumType' ? undefined : value);
  });

  it.each([
    [
      '200 with an Error document naming a known code',
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
      ['SlowDown', 503, 'Please reduce your request rate.'],
    ],
    [
      'Error after keep-alive whitespace',
      '\n   \n<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
      ['AccessDenied', 403, 'Access Denied'],
    ],
    [
      'Error naming NoSuchUpload',
      '<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message><UploadId>x</UploadId></Error>',
      ['NoSuchUpload', 404, 'The specified upload does not exist.'],
    ],
    [
      'Error with a code s3bridge does not know',
      '<Error><Code>OperationAborted</Code><Message>A conflicting conditional operation is in progress.</Message></Error>',
      ['InternalError', 500, 'A conflicting conditional operation is in progress.'],
    ],
    ['Error without a message', '<Error><Code>InternalError</Code></Error>', ['InternalError', 500, 'We encountered an internal error. Please try again.']],
  ])('%s → that error', (_name, xml, [code, status, message]) => {
    const err = thrown(() => parseCopyResult(xml));
    expect([err.code, err.status, err.message]).toEqual([code, status, message]);
  });
});
