// The embedded store's Object Lock rules (src/store/object-lock.ts): documents and headers in, and what a lock lets through.
import { describe, expect, it } from 'vitest';
import {
  assertDeletable,
  assertRetentionChange,
  lockFromHeaders,
  parseLegalHold,
  parseLockConfiguration,
  parseRetention,
} from '../../../src/store/object-lock.js';
import { codeOf } from '../../helpers/s3-error.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const LATER = Date.parse('2030-01-01T00:00:00Z');
const BYPASS = { 'x-amz-bypass-governance-retention': 'true' };

describe('documents', () => {
  const conf = (rule: string, enabled = 'Enabled') =>
    `<ObjectLockConfiguration><ObjectLockEnabled>${enabled}</ObjectLockEnabled>${rule}</ObjectLockConfiguration>`;
  const rule = (inner: string) => `<Rule><DefaultRetention>${inner}</DefaultRetention></Rule>`;
  it.each<[string, string, unknown]>([
    ['enabled, no rule', conf(''), {}],
    ['GOVERNANCE for 1 day', conf(rule('<Mode>GOVERNANCE</Mode><Days>1</Days>')), { defaultRetention: { mode: 'GOVERNANCE', days: 1 } }],
    ['COMPLIANCE for 2 years', conf(rule('<Mode>COMPLIANCE</Mode><Years>2</Years>')), { defaultRetention: { mode: 'COMPLIANCE', years: 2 } }],
    ['Days and Years', conf(rule('<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>')), 'MalformedXML'],
    ['neither', conf(rule('<Mode>GOVERNANCE</Mode>')), 'MalformedXML'],
    ['0 days', conf(rule('<Mode>GOVERNANCE</Mode><Days>0</Days>')), 'InvalidArgument'],
    ['-1 years', conf(rule('<Mode>GOVERNANCE</Mode><Years>-1</Years>')), 'InvalidArgument'],
    ['an unknown mode', conf(rule('<Mode>abc</Mode><Days>1</Days>')), 'MalformedXML'],
    ['not Enabled', conf('', 'Disabled'), 'MalformedXML'],
  ])('lock configuration: %s', (_what, doc, expected) => {
    if (typeof expected === 'string') expect(codeOf(() => parseLockConfiguration(doc))).toBe(expected);
    else expect(parseLockConfiguration(doc)).toEqual(expected);
  });

  it('retention and legal hold', () => {
    expect(parseRetention('<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>')).toEqual({
      mode: 'COMPLIANCE',
      until: LATER,
    });
    expect(codeOf(() => parseRetention('<Retention><Mode>abc</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>'))).toBe('MalformedXML');
    expect(codeOf(() => parseRetention('<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>someday</RetainUntilDate></Retention>'))).toBe('InvalidArgument');
    expect(parseLegalHold('<LegalHold><Status>ON</Status></LegalHold>')).toBe('ON');
    expect(codeOf(() => parseLegalHold('<LegalHold><Status>abc</Status></LegalHold>'))).toBe('MalformedXML');
  });
});

describe('lockFromHeaders', () => {
  const headers = (mode?: string, until?: string, hold?: string) => ({
    ...(mode ? { 'x-amz-object-lock-mode': mode } : {}),
    ...(until ? { 'x-amz-object-lock-retain-until-date': until } : {}),
    ...(hold ? { 'x-amz-object-lock-legal-hold': hold } : {}),
  });
  it.each<[string, Record<string, string>, object | undefined, unknown]>([
    ['nothing, no lock bucket', {}, undefined, undefined],
    ['nothing, no default', {}, {}, undefined],
    ['the bucket default in days', {}, { defaultRetention: { mode: 'GOVERNANCE', days: 2 } }, { mode: 'GOVERNANCE', until: NOW + 2 * 86_400_000 }],
    [
      'the bucket default in years',
      {},
      { defaultRetention: { mode: 'COMPLIANCE', years: 1 } },
      { mode: 'COMPLIANCE', until: Date.parse('2027-01-01T00:00:00Z') },
    ],
    [
      'explicit headers win',
      headers('COMPLIANCE', '2030-01-01T00:00:00Z', 'ON'),
      { defaultRetention: { mode: 'GOVERNANCE', days: 2 } },
      { mode: 'COMPLIANCE', until: LATER, legalHold: 'ON' },
    ],
    ['a legal hold alone', headers(undefined, undefined, 'OFF'), {}, { legalHold: 'OFF' }],
    ['headers on a bucket without Object Lock', headers('GOVERNANCE', '2030-01-01T00:00:00Z'), undefined, 'InvalidRequest'],
    ['a mode without a date', headers('GOVERNANCE'), {}, 'InvalidArgument'],
    ['a date in the past', headers('GOVERNANCE', '2020-01-01T00:00:00Z'), {}, 'InvalidArgument'],
    ['an unknown mode', headers('FOREVER', '2030-01-01T00:00:00Z'), {}, 'InvalidArgument'],
    ['an unknown hold', headers(undefined, undefined, 'MAYBE'), {}, 'InvalidArgument'],
  ])('%s', (_what, h, bucket, expected) => {
    if (typeof expected === 'string') expect(codeOf(() => lockFromHeaders(h, bucket, NOW))).toBe(expected);
    else expect(lockFromHeaders(h, bucket, NOW)).toEqual(expected);
  });
});

describe('what a lock lets through', () => {
  it.each<[string, object | undefined, Record<string, string>, string]>([
    ['no lock', undefined, {}, 'ok'],
    ['a legal hold ON', { legalHold: 'ON' }, BYPASS, 'AccessDenied'],
    ['a legal hold OFF', { legalHold: 'OFF' }, {}, 'ok'],
    ['GOVERNANCE running', { mode: 'GOVERNANCE', until: LATER }, {}, 'AccessDenied'],
    ['GOVERNANCE running, bypassed', { mode: 'GOVERNANCE', until: LATER }, BYPASS, 'ok'],
    ['COMPLIANCE running, bypass asked', { mode: 'COMPLIANCE', until: LATER }, BYPASS, 'AccessDenied'],
    ['COMPLIANCE expired', { mode: 'COMPLIANCE', until: NOW - 1 }, {}, 'ok'],
  ])('deleting a version with %s: %s', (_what, lock, h, code) => {
    expect(codeOf(() => assertDeletable(lock as never, h, NOW))).toBe(code);
  });

  const gov = { mode: 'GOVERNANCE', until: LATER } as const;
  const comp = { mode: 'COMPLIANCE', until: LATER } as const;
  it.each<[string, object | undefined, { mode: 'GOVERNANCE' | 'COMPLIANCE'; until: number }, Record<string, string>, string]>([
    ['a first retention', undefined, gov, {}, 'ok'],
    ['extending GOVERNANCE', gov, { mode: 'GOVERNANCE', until: LATER + 1 }, {}, 'ok'],
    ['shortening GOVERNANCE', gov, { mode: 'GOVERNANCE', until: LATER - 1 }, {}, 'AccessDenied'],
    ['shortening GOVERNANCE, bypassed', gov, { mode: 'GOVERNANCE', until: LATER - 1 }, BYPASS, 'ok'],
    ['GOVERNANCE to COMPLIANCE', gov, comp, {}, 'AccessDenied'],
    ['GOVERNANCE to COMPLIANCE, bypassed', gov, comp, BYPASS, 'ok'],
    ['COMPLIANCE to GOVERNANCE, bypass asked', comp, gov, BYPASS, 'AccessDenied'],
    ['extending COMPLIANCE', comp, { mode: 'COMPLIANCE', until: LATER + 1 }, {}, 'ok'],
    ['shortening COMPLIANCE that already ran out', { mode: 'COMPLIANCE', until: NOW - 1 }, { mode: 'GOVERNANCE', until: NOW + 1 }, {}, 'ok'],
  ])('retention change: %s → %s', (_what, current, next, h, code) => {
    expect(codeOf(() => assertRetentionChange(current as never, next, h, NOW))).toBe(code);
  });
});
