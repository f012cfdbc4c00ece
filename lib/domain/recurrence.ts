import { ValidationError } from './errors.ts';

/**
 * Recurring time windows in an IANA time zone: the subset of RFC 5545 RRULE that freeze windows need,
 * computed with Intl only.
 *   FREQ=DAILY|WEEKLY; INTERVAL=n; BYDAY=MO,TU,…; BYHOUR=h,…; BYMINUTE=m,…; UNTIL=…; COUNT=n; WKST=MO
 * DTSTART is a local wall time in the window's zone. Times RFC 5545 §3.3.5 leaves to the zone rules:
 * a local time that does not exist (the spring-forward gap) is taken with the offset before the gap, so
 * 02:30 on Berlin's last Sunday of March is 03:30 CEST; an ambiguous one (fall back) is the first of the
 * two. Durations follow §3.3.6: days (`P1D`) are nominal (same wall time the next day), hours and
 * minutes are exact elapsed time.
 */

export interface LocalDateTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
}

export interface Recurrence {
  freq: 'DAILY' | 'WEEKLY';
  interval: number;
  /** 0 = Sunday … 6 = Saturday (JavaScript's getUTCDay). */
  byDay?: number[];
  byHour?: number[];
  byMinute?: number[];
  /** An instant (UTC). */
  until?: Date;
  count?: number;
}

export interface WindowSpec {
  start: LocalDateTime;
  timeZone: string;
  duration: Duration;
  rrule?: Recurrence;
  /** One-off windows may end at a wall time instead (then `duration` is unused). */
  end?: LocalDateTime;
}

export interface Duration {
  days: number;
  /** Exact milliseconds beyond the nominal days. */
  ms: number;
}

export interface Occurrence {
  start: Date;
  end: Date;
}

const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
const DAY_MS = 86_400_000;
/** Longest window accepted: a year. It also bounds how far back an evaluation looks. */
const MAX_DURATION_DAYS = 366;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws ValidationError unless `zone` is an IANA time zone this runtime knows. */
export function checkTimeZone(zone: string, field = 'timeZone'): string {
  try {
    formatter(zone);
    return zone;
  } catch {
    throw new ValidationError(`${field}: "${zone}" is not an IANA time zone (e.g. Europe/Berlin, UTC)`);
  }
}

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The zone's offset from UTC at `ms` (positive east of Greenwich), in ms. */
function offsetAt(ms: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const asUtc = Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/** The wall time `at` shows in `zone`. */
export function toLocal(at: Date, zone: string): LocalDateTime {
  const local = new Date(at.getTime() + offsetAt(at.getTime(), zone));
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
  };
}

/** The instant of a local wall time in `zone` (gap: offset before it; overlap: the earlier instant). */
export function fromLocal(local: LocalDateTime, zone: string): Date {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  const before = offsetAt(wall - DAY_MS, zone);
  const after = offsetAt(wall + DAY_MS, zone);
  const valid = [...new Set([before, after])]
    .map((offset) => wall - offset)
    .filter((t) => wall - offsetAt(t, zone) === t)
    .sort((a, b) => a - b);
  return new Date(valid[0] ?? wall - before);
}

function addDays(local: LocalDateTime, days: number): LocalDateTime {
  const d = new Date(Date.UTC(local.year, local.month - 1, local.day + days));
  return { ...local, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const dayNumber = (l: LocalDateTime) => Math.floor(Date.UTC(l.year, l.month - 1, l.day) / DAY_MS);
const weekday = (l: LocalDateTime) => new Date(Date.UTC(l.year, l.month - 1, l.day)).getUTCDay();
/** Day number of the Monday starting `l`'s week (WKST=MO). */
const weekStart = (l: LocalDateTime) => dayNumber(l) - ((weekday(l) + 6) % 7);

export function endOf(start: Date, duration: Duration, zone: string): Date {
  if (duration.days === 0) return new Date(start.getTime() + duration.ms);
  const nominal = fromLocal(addDays(toLocal(start, zone), duration.days), zone);
  return new Date(nominal.getTime() + duration.ms);
}

/** Occurrence starts from the local day `fromDay` on, in order, until `stop` says so. */
function* starts(spec: WindowSpec, fromDay: LocalDateTime): Generator<Date> {
  const { start, timeZone, rrule } = spec;
  const first = fromLocal(start, timeZone);
  if (!rrule) {
    yield first;
    return;
  }
  const hours = rrule.byHour ?? [start.hour];
  const minutes = rrule.byMinute ?? [start.minute];
  const days = rrule.freq === 'WEEKLY' ? (rrule.byDay ?? [weekday(start)]) : rrule.byDay;
  const times = hours
    .flatMap((h) => minutes.map((m) => [h, m] as const))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let emitted = 0;
  let day = dayNumber(fromDay) < dayNumber(start) ? start : fromDay;
  // COUNT counts from DTSTART, so it always walks from there.
  if (rrule.count !== undefined) day = start;
  for (let n = 0; n < 20_000; n++, day = addDays(day, 1)) {
    const steps =
      rrule.freq === 'DAILY' ? dayNumber(day) - dayNumber(start) : (weekStart(day) - weekStart(start)) / 7;
    if (steps % rrule.interval !== 0) continue;
    if (days && !days.includes(weekday(day))) continue;
    for (const [hour, minute] of times) {
      const at = fromLocal({ ...day, hour, minute }, timeZone);
      if (at.getTime() < first.getTime()) continue;
      if (rrule.until && at.getTime() > rrule.until.getTime()) return;
      if (rrule.count !== undefined && emitted >= rrule.count) return;
      emitted++;
      yield at;
    }
  }
}

/**
 * The window's occurrence covering `now` (start ≤ now < end), with its end extended over occurrences
 * that overlap or touch it; undefined when the window is open now.
 */
export function coveringOccurrence(spec: WindowSpec, now: Date): Occurrence | undefined {
  const lookBack = spec.duration.days + Math.ceil(spec.duration.ms / DAY_MS) + 2;
  const from = addDays(toLocal(now, spec.timeZone), -lookBack);
  let current: Occurrence | undefined;
  for (const start of starts(spec, from)) {
    const end = spec.end ? fromLocal(spec.end, spec.timeZone) : endOf(start, spec.duration, spec.timeZone);
    if (current) {
      if (start.getTime() > current.end.getTime()) break;
      if (end > current.end) current.end = end;
      continue;
    }
    if (start.getTime() > now.getTime()) break;
    if (end.getTime() > now.getTime()) current = { start, end };
  }
  return current;
}

/** The next occurrence starting after `now` (for listings), if any. */
export function nextOccurrence(spec: WindowSpec, now: Date): Occurrence | undefined {
  for (const start of starts(spec, toLocal(now, spec.timeZone))) {
    if (start.getTime() > now.getTime())
      return {
        start,
        end: spec.end ? fromLocal(spec.end, spec.timeZone) : endOf(start, spec.duration, spec.timeZone),
      };
  }
  return undefined;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::00)?$/;

/** `YYYY-MM-DDTHH:MM` (wall time, no offset). */
export function parseLocal(text: string, field: string): LocalDateTime {
  const m = LOCAL.exec(text);
  const [, y, mo, d, h, mi] = m ?? [];
  const local = { year: Number(y), month: Number(mo), day: Number(d), hour: Number(h), minute: Number(mi) };
  const check = new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute));
  if (
    !m ||
    check.getUTCMonth() !== local.month - 1 ||
    check.getUTCDate() !== local.day ||
    local.hour > 23 ||
    local.minute > 59
  ) {
    throw new ValidationError(`${field}: "${text}" is not a local date and time YYYY-MM-DDTHH:MM`);
  }
  return local;
}

export function formatLocal(l: LocalDateTime): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${l.year}-${p(l.month)}-${p(l.day)}T${p(l.hour)}:${p(l.minute)}`;
}

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$/;

/** ISO 8601 / RFC 5545 duration `PnDTnHnM` (no weeks, months or seconds). */
export function parseDuration(text: string, field: string): Duration {
  const m = DURATION.exec(text);
  const [, d, h, mi] = m ?? [];
  if (!m || text === 'P' || text.endsWith('T') || (!d && !h && !mi)) {
    throw new ValidationError(`${field}: "${text}" is not a duration like PT2H, P2DT16H or PT30M`);
  }
  const duration = { days: Number(d ?? 0), ms: (Number(h ?? 0) * 60 + Number(mi ?? 0)) * 60_000 };
  if (duration.days + duration.ms / DAY_MS > MAX_DURATION_DAYS || duration.days + duration.ms === 0) {
    throw new ValidationError(
      `${field}: a window lasts more than nothing and at most ${MAX_DURATION_DAYS} days`,
    );
  }
  return duration;
}

const list = (value: string, field: string, min: number, max: number): number[] =>
  value.split(',').map((v) => {
    const n = Number(v);
    if (!/^\d{1,2}$/.test(v) || n < min || n > max)
      throw new ValidationError(`rrule: ${field}=${value} needs numbers ${min}-${max}`);
    return n;
  });

/** The supported RRULE subset (with or without the `RRULE:` prefix); anything else is refused by name. */
export function parseRrule(text: string): Recurrence {
  const parts = new Map<string, string>();
  for (const part of text.replace(/^RRULE:/i, '').split(';')) {
    const [name = '', value = ''] = part.split('=');
    const key = name.toUpperCase();
    if (!value || parts.has(key)) throw new ValidationError(`rrule: "${part}" is not NAME=value or repeats`);
    parts.set(key, value.toUpperCase());
  }
  const freq = parts.get('FREQ');
  if (freq !== 'DAILY' && freq !== 'WEEKLY') throw new ValidationError('rrule: FREQ must be DAILY or WEEKLY');
  const rule: Recurrence = { freq, interval: 1 };
  for (const [name, value] of parts) {
    switch (name) {
      case 'FREQ':
        break;
      case 'INTERVAL':
        [rule.interval] = list(value, name, 1, 99) as [number];
        break;
      case 'BYDAY':
        rule.byDay = value.split(',').map((d) => {
          const n = DAYS.indexOf(d);
          if (n < 0) throw new ValidationError(`rrule: BYDAY=${value} needs MO,TU,WE,TH,FR,SA,SU`);
          return n;
        });
        break;
      case 'BYHOUR':
        rule.byHour = list(value, name, 0, 23);
        break;
      case 'BYMINUTE':
        rule.byMinute = list(value, name, 0, 59);
        break;
      case 'COUNT':
        if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 9999)
          throw new ValidationError('rrule: COUNT must be 1-9999');
        rule.count = Number(value);
        break;
      case 'UNTIL': {
        const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z)?$/.exec(value);
        if (!m) throw new ValidationError('rrule: UNTIL must be YYYYMMDD or YYYYMMDDTHHMMSSZ (UTC)');
        const [, y, mo, d, h, mi, s] = m;
        // A date-only UNTIL includes that whole (UTC) day.
        rule.until = new Date(
          Date.UTC(
            Number(y),
            Number(mo) - 1,
            Number(d),
            h ? Number(h) : 23,
            h ? Number(mi) : 59,
            h ? Number(s) : 59,
          ),
        );
        break;
      }
      case 'WKST':
        if (value !== 'MO') throw new ValidationError('rrule: only WKST=MO is supported');
        break;
      default:
        throw new ValidationError(
          `rrule: ${name} is not supported (FREQ, INTERVAL, BYDAY, BYHOUR, BYMINUTE, UNTIL, COUNT, WKST=MO)`,
        );
    }
  }
  if (rule.until && rule.count !== undefined)
    throw new ValidationError('rrule: UNTIL and COUNT exclude each other');
  return rule;
}
