// body/xml-body.ts: XML request bodies parsed strictly, checked, re-written (security.md §3.4, §3.5).
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../src/body/budget.js';
import { bucketsNamedIn, canonicalCompleteMultipartUpload, canonicalDeleteObjects, readBounded } from '../../../src/body/xml-body.js';
import { S3Error } from '../../../src/s3/errors.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(S3Error);
    return (err as S3Error).code;
  }
}

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

describe('canonicalDeleteObjects', () => {
  it('re-writes what it checked: keys decoded once, version ids, Quiet', () => {
    const seen: string[] = [];
    const out = canonicalDeleteObjects(
      '<?xml version="1.0"?><Delete><Quiet>TRUE</Quiet><Object><Key>a&amp;b <![CDATA[c]]></Key><VersionId>v1</VersionId></Object><Object><Key>&#34;q&#34;</Key></Object></Delete>',
      (k) => seen.push(k),
    );
    expect(seen).toEqual(['a&b c', '"q"']);
    expect(out).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Delete ${NS}><Quiet>true</Quiet><Object><Key>a&amp;b c</Key><VersionId>v1</VersionId></Object><Object><Key>&quot;q&quot;</Key></Object></Delete>`,
    );
  });

  it.each([
    ['no object', '<Delete></Delete>', 'MalformedXML'],
    ['an empty key', '<Delete><Object><Key></Key></Object></Delete>', 'MalformedXML'],
    ['another root', '<Remove><Object><Key>k</Key></Object></Remove>', 'MalformedXML'],
    ['not well-formed', '<Delete><Object><Key>k</Key></Delete>', 'MalformedXML'],
    ['a DTD with an entity', '<!DOCTYPE d [<!ENTITY e "../x">]><Delete><Object><Key>&e;</Key></Object></Delete>', 'MalformedXML'],
    ['an HTML entity', '<Delete><Object><Key>a&nbsp;b</Key></Object></Delete>', 'MalformedXML'],
    ['Quiet that is no boolean', '<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>', 'MalformedXML'],
    ['1,001 keys', `<Delete>${'<Object><Key>k</Key></Object>'.repeat(1001)}</Delete>`, 'MalformedXML'],
    ['a key over 1024 bytes', `<Delete><Object><Key>${'k'.repeat(1025)}</Key></Object></Delete>`, 'KeyTooLongError'],
    ['a version id that is a path', '<Delete><Object><Key>k</Key><VersionId>../x</VersionId></Object></Delete>', 'InvalidArgument'],
  ])('%s → %s', (_name, body, expected) => {
    expect(code(() => canonicalDeleteObjects(body, () => undefined))).toBe(expected);
  });

  it('applies the key rule it is given to every key', () => {
    const rule = (k: string) => {
      if (k.includes('..')) throw new S3Error('InvalidArgument');
    };
    expect(code(() => canonicalDeleteObjects('<Delete><Object><Key>ok</Key></Object><Object><Key>../zz/secret</Key></Object></Delete>', rule))).toBe(
      'InvalidArgument',
    );
  });
});

describe('canonicalCompleteMultipartUpload', () => {
  it('keeps part numbers, ETags and part checksums, nothing else', () => {
    const out = canonicalCompleteMultipartUpload(
      '<CompleteMultipartUpload><Part><PartNumber> 01 </PartNumber><ETag>&#34;abc&#34;</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32><Extra>x</Extra></Part></CompleteMultipartUpload>',
    );
    expect(out).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUpload ${NS}><Part><PartNumber>1</PartNumber><ETag>&quot;abc&quot;</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>`,
    );
  });

  it.each([
    ['part number 0', '<CompleteMultipartUpload><Part><PartNumber>0</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>'],
    ['part number 10001', '<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>'],
    ['a part number that is a path', '<CompleteMultipartUpload><Part><PartNumber>../1</PartNumber><ETag>e</ETag></Part></CompleteMultipartUpload>'],
    ['no ETag', '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>'],
    [
      'a checksum that is not base64',
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>e</ETag><ChecksumSHA1>../</ChecksumSHA1></Part></CompleteMultipartUpload>',
    ],
    ['10,001 parts', `<CompleteMultipartUpload>${'<Part><PartNumber>1</PartNumber><ETag>e</ETag></Part>'.repeat(10001)}</CompleteMultipartUpload>`],
  ])('%s → MalformedXML', (_name, body) => {
    expect(code(() => canonicalCompleteMultipartUpload(body))).toBe('MalformedXML');
  });
});

describe('bucketsNamedIn (security.md §3.5)', () => {
  it.each([
    [
      'logging',
      'BucketLoggingStatus',
      '<BucketLoggingStatus><LoggingEnabled><TargetBucket> logs </TargetBucket></LoggingEnabled></BucketLoggingStatus>',
      ['logs'],
    ],
    [
      'inventory ARN',
      'InventoryConfiguration',
      '<InventoryConfiguration><Destination><S3BucketDestination><Bucket>arn:aws:s3:::dest</Bucket></S3BucketDestination></Destination></InventoryConfiguration>',
      ['dest'],
    ],
    [
      'replication, two rules',
      'ReplicationConfiguration',
      '<ReplicationConfiguration><Rule><Destination><Bucket>arn:aws:s3:::a</Bucket></Destination></Rule><Rule><Destination><Bucket>arn:aws-cn:s3:::b/x</Bucket></Destination></Rule></ReplicationConfiguration>',
      ['a', 'b'],
    ],
    [
      'in CDATA',
      'BucketLoggingStatus',
      '<BucketLoggingStatus><LoggingEnabled><TargetBucket><![CDATA[hidden]]></TargetBucket></LoggingEnabled></BucketLoggingStatus>',
      ['hidden'],
    ],
    ['none (logging off)', 'BucketLoggingStatus', '<BucketLoggingStatus/>', []],
  ])('%s', (_name, root, body, expected) => {
    expect(bucketsNamedIn(body, root)).toEqual(expected);
  });

  it('refuses another root', () => {
    expect(code(() => bucketsNamedIn('<Other><TargetBucket>x</TargetBucket></Other>', 'BucketLoggingStatus'))).toBe('MalformedXML');
  });
});

describe('readBounded', () => {
  it('reads a body within the limit and gives its bytes back to the budget', async () => {
    const budget = new ByteBudget(1024);
    const buf = await readBounded(Readable.from([Buffer.from('abc'), Buffer.from('def')]), 10, budget);
    expect(buf.toString()).toBe('abcdef');
    expect(budget.used).toBe(0);
  });

  it('refuses a body past the limit with MaxMessageLengthExceeded', async () => {
    const budget = new ByteBudget(1024);
    await expect(readBounded(Readable.from([Buffer.alloc(8), Buffer.alloc(8)]), 10, budget)).rejects.toMatchObject({
      code: 'MaxMessageLengthExceeded',
      status: 400,
    });
    expect(budget.used).toBe(0);
  });

  it('refuses a body the shared budget cannot hold with SlowDown', async () => {
    const budget = new ByteBudget(4);
    await expect(readBounded(Readable.from([Buffer.alloc(8)]), 100, budget)).rejects.toMatchObject({ code: 'SlowDown', status: 503 });
    expect(budget.used).toBe(0);
  });
});
