import { describe, expect, it } from 'vitest';
import {
  coveringOccurrence,
  fromLocal,
  nextOccurrence,
  parseDuration,
  parseLocal,
  parseRrule,
  toLocal,
  type WindowSpec,
} from '../../lib/domain/recurrence.ts';

const BERLIN = 'Europe/Berlin';
const at = (iso: string) => new Date(iso);
const spec = (start: string, duration: string, rrule?: string, timeZone = BERLIN): WindowSpec => ({
  start: parseLocal(start, 'start'),
  timeZone,
  duration: parseDuration(duration, 'duration'),
  ...(rrule ? { rrule: parseRrule(rrule) } : {}),
});

describe('wall time in a time zone (Intl only)', () => {
  it('maps Berlin wall times to UTC in winter and summer', () => {
    expect(fromLocal(parseLocal('2026-01-15T12:00', 's'), BERLIN).toISOString()).toBe(
      '2026-01-15T11:00:00.000Z',
    );
    expect(fromLocal(parseLocal('2026-07-15T12:00', 's'), BERLIN).toISOString()).toBe(
      '2026-07-15T10:00:00.000Z',
    );
    expect(fromLocal(parseLocal('2026-07-15T12:00', 's'), 'America/New_York').toISOString()).toBe(
      '2026-07-15T16:00:00.000Z',
    );
  });

  it('takes a time in the spring-forward gap with the offset before it (RFC 5545 §3.3.5)', () => {
    // 29 March 2026, 02:00 CET → 03:00 CEST: 02:30 does not exist and becomes 03:30 CEST = 01:30Z.
    expect(fromLocal(parseLocal('2026-03-29T02:30', 's'), BERLIN).toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
  });

  it('takes the first of the two instants of an ambiguous fall-back time', () => {
    // 25 October 2026, 03:00 CEST → 02:00 CET: 02:30 happens twice; the first is CEST (00:30Z).
    expect(fromLocal(parseLocal('2026-10-25T02:30', 's'), BERLIN).toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
  });

  it('reads an instant back as the wall time it shows', () => {
    expect(toLocal(at('2026-10-25T01:30:00Z'), BERLIN)).toEqual({
      year: 2026,
      month: 10,
      day: 25,
      hour: 2,
      minute: 30,
    });
  });
});

describe('freeze window occurrences', () => {
  // Every Friday 16:00 until Monday 08:00 local: P2DT16H (days nominal, hours exact).
  const weekend = spec('2026-01-02T16:00', 'P2DT16H', 'FREQ=WEEKLY;BYDAY=FR');

  it('is closed a minute before the window and open from its first minute', () => {
    expect(coveringOccurrence(weekend, at('2026-03-06T14:59:00Z'))).toBeUndefined();
    const open = coveringOccurrence(weekend, at('2026-03-06T15:00:00Z'));
    expect(open?.start.toISOString()).toBe('2026-03-06T15:00:00.000Z');
    expect(open?.end.toISOString()).toBe('2026-03-09T07:00:00.000Z');
  });

  it('ends at the window end exactly (end is exclusive)', () => {
    expect(coveringOccurrence(weekend, at('2026-03-09T06:59:59Z'))).toBeDefined();
    expect(coveringOccurrence(weekend, at('2026-03-09T07:00:00Z'))).toBeUndefined();
  });

  it('keeps local wall times across the March DST change (Friday CET, Monday CEST)', () => {
    // Fri 27 March 16:00 CET = 15:00Z; Mon 30 March 08:00 CEST = 06:00Z.
    const open = coveringOccurrence(weekend, at('2026-03-29T12:00:00Z'));
    expect(open?.start.toISOString()).toBe('2026-03-27T15:00:00.000Z');
    expect(open?.end.toISOString()).toBe('2026-03-30T06:00:00.000Z');
    expect(coveringOccurrence(weekend, at('2026-03-30T06:00:00Z'))).toBeUndefined();
  });

  it('keeps local wall times across the October DST change (Friday CEST, Monday CET)', () => {
    // Fri 23 October 16:00 CEST = 14:00Z; Mon 26 October 08:00 CET = 07:00Z.
    const open = coveringOccurrence(weekend, at('2026-10-25T01:30:00Z'));
    expect(open?.start.toISOString()).toBe('2026-10-23T14:00:00.000Z');
    expect(open?.end.toISOString()).toBe('2026-10-26T07:00:00.000Z');
    expect(coveringOccurrence(weekend, at('2026-10-26T06:59:00Z'))).toBeDefined();
  });

  it('counts hours as exact time across a DST change (PT24H is not P1D)', () => {
    const exact = spec('2026-03-28T12:00', 'PT24H');
    const nominal = spec('2026-03-28T12:00', 'P1D');
    // The night has only 23 hours: 24 exact hours end at 13:00 local, one nominal day at 12:00.
    expect(coveringOccurrence(exact, at('2026-03-29T10:30:00Z'))?.end.toISOString()).toBe(
      '2026-03-29T11:00:00.000Z',
    );
    expect(coveringOccurrence(nominal, at('2026-03-29T09:30:00Z'))?.end.toISOString()).toBe(
      '2026-03-29T10:00:00.000Z',
    );
  });

  it('uses BYHOUR/BYMINUTE with INTERVAL on a daily rule in the window time zone', () => {
    // Every other day at 09:30 and 17:45 New York time, 15 minutes.
    const rule = spec(
      '2026-06-01T00:00',
      'PT15M',
      'FREQ=DAILY;INTERVAL=2;BYHOUR=9,17;BYMINUTE=30',
      'America/New_York',
    );
    expect(coveringOccurrence(rule, at('2026-06-03T13:35:00Z'))?.start.toISOString()).toBe(
      '2026-06-03T13:30:00.000Z',
    );
    expect(coveringOccurrence(rule, at('2026-06-03T21:40:00Z'))).toBeDefined();
    expect(coveringOccurrence(rule, at('2026-06-02T13:35:00Z'))).toBeUndefined(); // an off day
  });

  it('stops after COUNT occurrences and at UNTIL', () => {
    const counted = spec('2026-01-05T10:00', 'PT1H', 'FREQ=DAILY;COUNT=3');
    expect(coveringOccurrence(counted, at('2026-01-07T09:30:00Z'))).toBeDefined();
    expect(coveringOccurrence(counted, at('2026-01-08T09:30:00Z'))).toBeUndefined();
    const until = spec('2026-01-05T10:00', 'PT1H', 'FREQ=DAILY;UNTIL=20260106T235959Z');
    expect(coveringOccurrence(until, at('2026-01-06T09:30:00Z'))).toBeDefined();
    expect(coveringOccurrence(until, at('2026-01-07T09:30:00Z'))).toBeUndefined();
  });

  it('never opens before DTSTART', () => {
    const later = spec('2026-05-01T10:00', 'PT1H', 'FREQ=DAILY');
    expect(coveringOccurrence(later, at('2026-04-30T08:30:00Z'))).toBeUndefined();
  });

  it('joins overlapping occurrences into one window ending at the last end', () => {
    const chained = spec('2026-01-05T00:00', 'PT25H', 'FREQ=DAILY;COUNT=3', 'UTC');
    expect(coveringOccurrence(chained, at('2026-01-05T12:00:00Z'))?.end.toISOString()).toBe(
      '2026-01-08T01:00:00.000Z',
    );
  });

  it('has one-off windows and a next occurrence', () => {
    const once = spec('2026-12-24T00:00', 'P3D');
    expect(coveringOccurrence(once, at('2026-12-25T12:00:00Z'))?.end.toISOString()).toBe(
      '2026-12-26T23:00:00.000Z',
    );
    expect(nextOccurrence(weekend, at('2026-03-07T00:00:00Z'))?.start.toISOString()).toBe(
      '2026-03-13T15:00:00.000Z',
    );
  });
});

describe('parsing', () => {
  it('refuses RRULE parts outside the documented subset, by name', () => {
    expect(() => parseRrule('FREQ=MONTHLY')).toThrow(/FREQ must be DAILY or WEEKLY/);
    expect(() => parseRrule('FREQ=WEEKLY;BYSETPOS=1')).toThrow(/BYSETPOS is not supported/);
    expect(() => parseRrule('FREQ=WEEKLY;BYDAY=1FR')).toThrow(/BYDAY/);
    expect(() => parseRrule('FREQ=DAILY;COUNT=2;UNTIL=20260101')).toThrow(/exclude/);
    expect(() => parseRrule('FREQ=DAILY;BYHOUR=24')).toThrow(/BYHOUR/);
  });

  it('refuses malformed wall times and durations', () => {
    expect(() => parseLocal('2026-02-30T10:00', 'start')).toThrow(/start/);
    expect(() => parseLocal('2026-02-03 10:00', 'start')).toThrow(/YYYY-MM-DDTHH:MM/);
    expect(() => parseDuration('PT', 'duration')).toThrow(/duration/);
    expect(() => parseDuration('P400D', 'duration')).toThrow(/at most 366 days/);
  });
});
