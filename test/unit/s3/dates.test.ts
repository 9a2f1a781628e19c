// Table tests for src/s3/dates.ts: every HTTP date form S3 accepts, ISO basic and extended, and the formatters (http-dates.md).
import { describe, expect, it } from 'vitest';
import { formatAmzDate, formatHttpDate, formatIsoSeconds, parseAmzDate, parseHttpDate, parseIsoDateTime } from '../../../src/s3/dates.js';

const NOV6_1994 = Date.UTC(1994, 10, 6, 8, 49, 37);
const DEC5_2026 = Date.UTC(2026, 11, 5, 11, 20, 0);
const NOW = Date.UTC(2026, 11, 6);

describe('parseHttpDate', () => {
  it.each([
    // §2 RFC 1123 / 2822
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT', NOV6_1994],
    ['email.utils.formatdate() -0000', 'Sat, 05 Dec 2026 11:20:00 -0000', DEC5_2026],
    ['+0000 as in the AWS SigV2 examples', 'Tue, 27 Mar 2007 19:36:42 +0000', Date.UTC(2007, 2, 27, 19, 36, 42)],
    ['positive offset is east of UTC', 'Sat, 05 Dec 2026 12:20:00 +0100', DEC5_2026],
    ['negative offset with minutes', 'Sat, 05 Dec 2026 06:50:00 -0430', DEC5_2026],
    ['UTC zone name', 'Sat, 05 Dec 2026 11:20:00 UTC', DEC5_2026],
    ['UT zone name', 'Sat, 05 Dec 2026 11:20:00 UT', DEC5_2026],
    ['no weekday (RFC 2822)', '05 Dec 2026 11:20:00 GMT', DEC5_2026],
    ['one-digit day', 'Sat, 5 Dec 2026 11:20:00 GMT', DEC5_2026],
    ['no seconds', 'Sat, 05 Dec 2026 11:20 GMT', DEC5_2026],
    ['lower-case names', 'sat, 05 dec 2026 11:20:00 gmt', DEC5_2026],
    ['surrounding whitespace', '  Sun, 06 Nov 1994 08:49:37 GMT ', NOV6_1994],
    ['leap second counts as :59', 'Sat, 31 Dec 2016 23:59:60 GMT', Date.UTC(2016, 11, 31, 23, 59, 59)],
    // §3 RFC 850
    ['RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT', NOV6_1994],
    ['RFC 850, year in this century', 'Saturday, 05-Dec-26 11:20:00 GMT', DEC5_2026],
    ['RFC 850, 50 years ahead is still ahead', 'Monday, 01-Jan-76 00:00:00 GMT', Date.UTC(2076, 0, 1)],
    ['RFC 850, 51 years ahead is the past century', 'Thursday, 01-Jan-77 00:00:00 GMT', Date.UTC(1977, 0, 1)],
    // §4 asctime
    ['asctime, space-padded day', 'Sun Nov  6 08:49:37 1994', NOV6_1994],
    ['asctime, two-digit day', 'Sat Dec 05 11:20:00 2026', DEC5_2026],
  ])('%s: %s', (_name, input, expected) => {
    expect(parseHttpDate(input, NOW)).toBe(expected);
  });

  it.each([
    ['empty', ''],
    ['a number', '1'],
    ['ISO basic is not an HTTP date', '20261205T112000Z'],
    ['ISO extended is not an HTTP date', '2026-12-05T11:20:00Z'],
    ['31 February', 'Tue, 31 Feb 2026 11:20:00 GMT'],
    ['hour 24', 'Sat, 05 Dec 2026 24:00:00 GMT'],
    ['minute 60', 'Sat, 05 Dec 2026 11:60:00 GMT'],
    ['unknown month', 'Sat, 05 Dez 2026 11:20:00 GMT'],
    ['unknown zone', 'Sat, 05 Dec 2026 11:20:00 CET'],
    ['zone minutes past 59', 'Sat, 05 Dec 2026 11:20:00 +0160'],
    ['two-digit year in RFC 1123', 'Sat, 05 Dec 26 11:20:00 GMT'],
    ['RFC 850 with a short weekday', 'Sun, 06-Nov-94 08:49:37 GMT'],
    ['RFC 850 with a numeric zone', 'Sunday, 06-Nov-94 08:49:37 +0000'],
    ['asctime with a zone', 'Sun Nov  6 08:49:37 1994 GMT'],
    ['trailing garbage', 'Sun, 06 Nov 1994 08:49:37 GMT x'],
  ])('refuses %s', (_name, input) => {
    expect(parseHttpDate(input, NOW)).toBeUndefined();
  });
});

describe('parseAmzDate', () => {
  it.each([
    ['20130524T000000Z', Date.UTC(2013, 4, 24)],
    ['20261205T112000Z', DEC5_2026],
  ])('%s', (input, expected) => expect(parseAmzDate(input)).toBe(expected));

  it.each(['20130524T000000', '2013-05-24T00:00:00Z', '20130230T000000Z', '20130524T250000Z', '20130524t000000z'])('refuses %s', (input) => {
    expect(parseAmzDate(input)).toBeUndefined();
  });
});

describe('parseIsoDateTime', () => {
  it.each([
    ['2013-08-01T12:00:00.000Z', Date.UTC(2013, 7, 1, 12)],
    ['2013-08-01T12:00:00Z', Date.UTC(2013, 7, 1, 12)],
    ['2013-08-01T12:00:00.5Z', Date.UTC(2013, 7, 1, 12, 0, 0, 500)],
    ['2013-08-01T12:00:00.123456Z', Date.UTC(2013, 7, 1, 12, 0, 0, 123)],
    ['2013-08-01T13:00:00+01:00', Date.UTC(2013, 7, 1, 12)],
    ['2013-08-01T11:30:00-0030', Date.UTC(2013, 7, 1, 12)],
  ])('%s', (input, expected) => expect(parseIsoDateTime(input)).toBe(expected));

  it.each(['2013-08-01T12:00:00', '2013-08-01 12:00:00Z', '2013-02-29T00:00:00Z', '20130801T120000Z', 'Thu, 01 Aug 2013 12:00:00 GMT'])(
    'refuses %s',
    (input) => {
      expect(parseIsoDateTime(input)).toBeUndefined();
    },
  );
});

describe('formatters', () => {
  it('formatIsoSeconds drops milliseconds', () => expect(formatIsoSeconds(Date.UTC(2013, 4, 24, 1, 2, 3, 999))).toBe('2013-05-24T01:02:03Z'));
  it('formatAmzDate is ISO basic', () => expect(formatAmzDate(DEC5_2026)).toBe('20261205T112000Z'));
  it('formatHttpDate is IMF-fixdate and parses back', () => {
    expect(formatHttpDate(NOV6_1994)).toBe('Sun, 06 Nov 1994 08:49:37 GMT');
    expect(parseHttpDate(formatHttpDate(DEC5_2026))).toBe(DEC5_2026);
  });
});
