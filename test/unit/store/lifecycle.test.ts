// The embedded store's x-amz-expiration (src/store/lifecycle.ts): which rule covers an object, and the date S3 computes.
import { describe, expect, it } from 'vitest';
import { expirationHeader } from '../../../src/store/lifecycle.js';

const CREATED = Date.parse('2026-01-15T10:30:00Z');
const subject = { key: 'logs/a.txt', size: 100, tags: [['class', 'tmp']] as Array<[string, string]>, lastModified: CREATED };
const lifecycle = (...rules: string[]) => `<LifecycleConfiguration>${rules.join('')}</LifecycleConfiguration>`;
const rule = (id: string, filter: string, expiration: string, status = 'Enabled') =>
  `<Rule><ID>${id}</ID>${filter}<Status>${status}</Status><Expiration>${expiration}</Expiration></Rule>`;

describe('expirationHeader', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['no configuration', undefined, undefined],
    [
      '3 days, rounded up to midnight UTC',
      lifecycle(rule('r', '<Filter><Prefix>logs/</Prefix></Filter>', '<Days>3</Days>')),
      'expiry-date="Mon, 19 Jan 2026 00:00:00 GMT", rule-id="r"',
    ],
    ['a date', lifecycle(rule('d', '<Filter/>', '<Date>2030-01-01T00:00:00Z</Date>')), 'expiry-date="Tue, 01 Jan 2030 00:00:00 GMT", rule-id="d"'],
    [
      'the legacy Prefix beside the filter',
      lifecycle(rule('p', '<Prefix>logs/</Prefix>', '<Days>1</Days>')),
      'expiry-date="Sat, 17 Jan 2026 00:00:00 GMT", rule-id="p"',
    ],
    ['another prefix', lifecycle(rule('r', '<Filter><Prefix>img/</Prefix></Filter>', '<Days>3</Days>')), undefined],
    ['a disabled rule', lifecycle(rule('r', '<Filter/>', '<Days>3</Days>', 'Disabled')), undefined],
    [
      'a matching tag',
      lifecycle(rule('t', '<Filter><Tag><Key>class</Key><Value>tmp</Value></Tag></Filter>', '<Days>1</Days>')),
      'expiry-date="Sat, 17 Jan 2026 00:00:00 GMT", rule-id="t"',
    ],
    ['another tag value', lifecycle(rule('t', '<Filter><Tag><Key>class</Key><Value>keep</Value></Tag></Filter>', '<Days>1</Days>')), undefined],
    [
      'And: prefix, tag and size all match',
      lifecycle(
        rule(
          'a',
          '<Filter><And><Prefix>logs/</Prefix><Tag><Key>class</Key><Value>tmp</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter>',
          '<Days>2</Days>',
        ),
      ),
      'expiry-date="Sun, 18 Jan 2026 00:00:00 GMT", rule-id="a"',
    ],
    [
      'And: too small',
      lifecycle(rule('a', '<Filter><And><Prefix>logs/</Prefix><ObjectSizeGreaterThan>1000</ObjectSizeGreaterThan></And></Filter>', '<Days>2</Days>')),
      undefined,
    ],
    [
      'the earliest of two rules',
      lifecycle(rule('late', '<Filter/>', '<Days>30</Days>'), rule('soon', '<Filter><Prefix>logs/</Prefix></Filter>', '<Days>1</Days>')),
      'expiry-date="Sat, 17 Jan 2026 00:00:00 GMT", rule-id="soon"',
    ],
    [
      'a delete-marker-only expiration has no date',
      lifecycle(rule('m', '<Filter/>', '<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker>')),
      undefined,
    ],
  ])('%s', (_what, doc, header) => {
    expect(expirationHeader(doc, subject)).toBe(header);
  });
});
