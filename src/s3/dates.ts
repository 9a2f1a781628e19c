// Dates on the wire, for every stage that reads or writes one: Date/x-amz-date (verify), Expires and If-*-Since (handlers), POST policy expiration, error bodies (http-dates.md).

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const SHORT_DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';

// http-dates.md §2: RFC 1123 as RFC 2822 widened it (weekday optional, 1- or 2-digit day, seconds
// optional, a named or numeric zone). Python's email.utils.formatdate() writes `-0000`.
const RFC1123 = new RegExp(`^(?:${SHORT_DAY}, ?)?(\\d{1,2}) ${MONTH} (\\d{4}) (\\d{2}):(\\d{2})(?::(\\d{2}))? (GMT|UTC|UT|Z|[+-]\\d{4})$`, 'i');
// http-dates.md §3: `Sunday, 06-Nov-94 08:49:37 GMT`.
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`, 'i');
// http-dates.md §4: `Sun Nov  6 08:49:37 1994` (a one-digit day is padded with a space).
const ASCTIME = new RegExp(`^${SHORT_DAY} ${MONTH} ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$`, 'i');

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Epoch ms of a calendar date and time in UTC, or undefined when a field is out of range.
 * http-dates.md §1: a leap second (:60) counts as :59; impossible dates (31 Feb) are refused
 * rather than rolled over the way Date.UTC would.
 */
function utc(year: number, month: number, day: number, h: number, m: number, s: number, ms = 0): number | undefined {
  if (month < 1 || month > 12 || day < 1 || h > 23 || m > 59 || s > 60) return undefined;
  const t = Date.UTC(year, month - 1, day, h, m, Math.min(s, 59), ms);
  const back = new Date(t);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return undefined;
  return t;
}

function monthNumber(name: string): number {
  return MONTHS.indexOf(name.toLowerCase()) + 1;
}

/** `+0100` → +60 minutes; undefined for minutes past 59. */
function zoneOffsetMinutes(zone: string): number | undefined {
  if (!/^[+-]/.test(zone)) return 0; // GMT, UTC, UT, Z
  const digits = zone.replace(':', '');
  const hours = Number(digits.slice(1, 3));
  const minutes = Number(digits.slice(3, 5));
  if (minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/**
 * http-dates.md §3: a two-digit year that would lie more than 50 years after `now` belongs to
 * the century before (RFC 9110 §5.6.7).
 */
function fullYear(yy: number, now: number): number {
  const thisYear = new Date(now).getUTCFullYear();
  let year = Math.floor(thisYear / 100) * 100 + yy;
  if (year > thisYear + 50) year -= 100;
  return year;
}

/**
 * An HTTP date in any of the three forms of http-dates.md §2–§4 → epoch ms; undefined when it
 * is none of them or names no real instant. `now` only matters for RFC 850's two-digit years.
 */
export function parseHttpDate(value: string, now: number = Date.now()): number | undefined {
  const v = value.trim();
  let m = RFC1123.exec(v);
  if (m) {
    const offset = zoneOffsetMinutes(m[7]!);
    const t = utc(Number(m[3]), monthNumber(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
    return t === undefined || offset === undefined ? undefined : t - offset * 60_000;
  }
  m = RFC850.exec(v);
  if (m) return utc(fullYear(Number(m[3]), now), monthNumber(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = ASCTIME.exec(v);
  if (m) return utc(Number(m[6]), monthNumber(m[1]!), Number(m[2]!.trim()), Number(m[3]), Number(m[4]), Number(m[5]));
  return undefined;
}

/** http-dates.md §5: ISO 8601 basic `20130524T000000Z` (x-amz-date, X-Amz-Date) → epoch ms. */
export function parseAmzDate(value: string): number | undefined {
  const m = AMZ_DATE.exec(value);
  if (!m) return undefined;
  return utc(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/**
 * http-dates.md §6: ISO 8601 extended with a zone, `2013-08-01T12:00:00.000Z` (POST policy
 * expiration, and what some clients send in If-Modified-Since) → epoch ms, milliseconds kept.
 */
export function parseIsoDateTime(value: string): number | undefined {
  const m = ISO_DATE_TIME.exec(value);
  if (!m) return undefined;
  const offset = zoneOffsetMinutes(m[8]!);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  const t = utc(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms);
  return t === undefined || offset === undefined ? undefined : t - offset * 60_000;
}

/** `2013-05-24T00:00:00Z`: ServerTime, Expires and RequestTime in S3 error bodies (no milliseconds). */
export function formatIsoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** `20130524T000000Z`. */
export function formatAmzDate(ms: number): string {
  return formatIsoSeconds(ms).replace(/[-:]/g, '');
}

/** IMF-fixdate, `Fri, 24 May 2013 00:00:00 GMT`: the one form we write (Date, Last-Modified). */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
