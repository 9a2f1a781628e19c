// The embedded store's request documents: the strict XML reader (src/store/xml-read.ts) and the S3 documents read with it (src/store/xml-docs.ts).
import { describe, expect, it } from 'vitest';
import { codeOf } from '../../helpers/s3-error.js';
import { parseCompleteMultipartUpload, parseCreateBucketConfiguration, parseDelete, parseTagging } from '../../../src/store/xml-docs.js';
import { parseXml } from '../../../src/s3/xml-read.js';

describe('parseXml', () => {
  it.each<[string, string, string]>([
    ['plain text', '<a>hello</a>', 'hello'],
    ['leading and trailing spaces kept', '<a>  x  </a>', '  x  '],
    ['digits stay text', '<a>00123</a>', '00123'],
    ['predefined entities', '<a>&lt;&gt;&amp;&quot;&apos;</a>', `<>&"'`],
    ['decimal and hex character references', '<a>&#13;&#x41;&#x1F600;</a>', '\rA\u{1F600}'],
    ['CDATA is literal', '<a><![CDATA[<not> &amp; a tag]]></a>', '<not> &amp; a tag'],
    ['comments and processing instructions are skipped', '<a>x<!-- c -->y<?pi z?></a>', 'xy'],
    ['a declaration, a BOM and whitespace around the root', '\ufeff<?xml version="1.0"?>\n<a>v</a>\n', 'v'],
    ['a namespace prefix is dropped', '<s3:a xmlns:s3="urn:x">v</s3:a>', 'v'],
    ['attributes in both quote styles', `<a x="1" y='2'>v</a>`, 'v'],
    ['a newline in text', '<a>l1\nl2</a>', 'l1\nl2'],
  ])('%s', (_what, doc, text) => {
    const el = parseXml(doc);
    expect(el.name).toBe('a');
    expect(el.text).toBe(text);
  });

  it('builds the element tree with local names', () => {
    const el = parseXml('<R xmlns="urn:s3"><A>1</A><B/><A><C>2</C></A></R>');
    expect(el.children.map((c) => c.name)).toEqual(['A', 'B', 'A']);
    expect(el.children[2]!.children[0]).toEqual({ name: 'C', children: [], text: '2' });
  });

  it.each([
    ['an empty document', ''],
    ['text only', 'hello'],
    ['an unclosed element', '<a>x'],
    ['mismatched tags', '<a>x</b>'],
    ['two roots', '<a/><b/>'],
    ['an unknown entity', '<a>&nbsp;</a>'],
    ['a bare ampersand', '<a>x & y</a>'],
    ['a character reference to NUL', '<a>&#0;</a>'],
    ['a lone surrogate reference', '<a>&#xD800;</a>'],
    ['a DOCTYPE (no entity expansion, ever)', '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'],
    ['a DOCTYPE inside', '<a><!DOCTYPE x></a>'],
    ['an attribute without quotes', '<a x=1>v</a>'],
    ['attributes without a space between', '<a x="1"y="2">v</a>'],
    ['"]]>" in text', '<a>x]]>y</a>'],
    ['nesting deeper than 32', `${'<a>'.repeat(40)}${'</a>'.repeat(40)}`],
  ])('refuses %s with MalformedXML', (_what, doc) => {
    expect(codeOf(() => parseXml(doc))).toBe('MalformedXML');
  });
});

describe('S3 request documents', () => {
  it('CompleteMultipartUpload: parts with ETags and checksums', () => {
    const doc = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
      <Part><PartNumber>1</PartNumber><ETag>"aa"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>
      <Part><ETag>&quot;bb&quot;</ETag><PartNumber>2</PartNumber></Part>
    </CompleteMultipartUpload>`;
    expect(parseCompleteMultipartUpload(doc)).toEqual([
      { partNumber: 1, etag: '"aa"', checksums: { CRC32: 'AAAAAA==' } },
      { partNumber: 2, etag: '"bb"', checksums: {} },
    ]);
  });

  it.each([
    ['another root', '<Complete><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></Complete>'],
    ['a part number that is not a number', '<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>'],
    ['a part without ETag', '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>'],
    [
      'two part numbers in one part',
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><PartNumber>2</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>',
    ],
  ])('CompleteMultipartUpload with %s is MalformedXML', (_what, doc) => {
    expect(codeOf(() => parseCompleteMultipartUpload(doc))).toBe('MalformedXML');
  });

  it('Delete: keys byte-exact (spaces, CR, entities), version ids, Quiet', () => {
    const doc =
      '<Delete><Quiet>true</Quiet><Object><Key> a b </Key></Object><Object><Key>x&#13;&#10;y&amp;z</Key><VersionId>null</VersionId></Object></Delete>';
    expect(parseDelete(doc)).toEqual({ quiet: true, objects: [{ key: ' a b ' }, { key: 'x\r\ny&z', versionId: 'null' }] });
    expect(parseDelete('<Delete><Object><Key>k</Key></Object></Delete>').quiet).toBe(false);
  });

  it.each([
    ['no objects', '<Delete><Quiet>true</Quiet></Delete>'],
    ['an empty key', '<Delete><Object><Key></Key></Object></Delete>'],
    ['a Quiet that is not a boolean', '<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>'],
    ['1001 objects', `<Delete>${'<Object><Key>k</Key></Object>'.repeat(1001)}</Delete>`],
  ])('Delete with %s is MalformedXML', (_what, doc) => {
    expect(codeOf(() => parseDelete(doc))).toBe('MalformedXML');
  });

  it('Tagging: pairs in order; a TagSet is required', () => {
    expect(parseTagging('<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value></Value></Tag></TagSet></Tagging>')).toEqual([
      ['a', '1'],
      ['b', ''],
    ]);
    expect(codeOf(() => parseTagging('<Tagging></Tagging>'))).toBe('MalformedXML');
    expect(codeOf(() => parseTagging('<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>'))).toBe('MalformedXML');
  });

  it.each<[string, string | undefined]>([
    ['', undefined],
    ['<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>', 'eu-west-1'],
    [
      '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint></LocationConstraint></CreateBucketConfiguration>',
      undefined,
    ],
  ])('CreateBucketConfiguration %j → %s', (doc, location) => {
    expect(parseCreateBucketConfiguration(doc)).toBe(location);
  });
});
