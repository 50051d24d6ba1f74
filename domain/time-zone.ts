/**
 * The one way this project reads a wall clock in a time zone: booking slots, quiet hours, working
 * hours, scenario conditions and schedules all ask here. Intl is the only zone database a workflow
 * has (no I/O, deterministic for a given instant), so this module is safe inside workflows too.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** A calendar day as days since 1970-01-01 (UTC-based arithmetic, whatever the zone). */
export type Day = number;

export class UnknownTimeZoneError extends Error {
  constructor(readonly zone: string) {
    super(`unknown time zone: ${zone}`);
    this.name = 'UnknownTimeZoneError';
  }
}

/** The wall clock of a zone at an instant. `weekday` is ISO: Monday 1 … Sunday 7. */
export interface WallClock {
  day: Day;
  year: number;
  month: number;
  dayOfMonth: number;
  minuteOfDay: number;
  second: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new UnknownTimeZoneError(zone);
    }
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Whether Intl knows the zone (an IANA name such as `Europe/Moscow`). */
export function isTimeZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

export function wallClock(ms: number, zone: string): WallClock {
  const parts = formatterFor(zone).formatToParts(ms);
  const part = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const [year, month, dayOfMonth] = [part('year'), part('month'), part('day')];
  const day = Date.UTC(year, month - 1, dayOfMonth) / DAY_MS;
  return {
    day,
    year,
    month,
    dayOfMonth,
    // Some engines print midnight as 24 even with h23.
    minuteOfDay: (part('hour') % 24) * 60 + part('minute'),
    second: part('second'),
    weekday: isoWeekdayOf(day),
  };
}

/** ISO weekday of a day: 1970-01-01 was a Thursday (4). */
export function isoWeekdayOf(day: Day): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** Minutes since local midnight. */
export function localMinuteOfDay(ms: number, zone: string): number {
  return wallClock(ms, zone).minuteOfDay;
}

/** `HH:MM`, local. */
export function localTime(ms: number, zone: string): string {
  const minutes = localMinuteOfDay(ms, zone);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** `YYYY-MM-DD`, local. */
export function localDate(ms: number, zone: string): string {
  const { year, month, dayOfMonth } = wallClock(ms, zone);
  return `${year}-${String(month).padStart(2, '0')}-${String(dayOfMonth).padStart(2, '0')}`;
}

/** The wall clock as if it were UTC, in ms; minus the instant, it gives the zone's offset then. */
function wallClockMs(ms: number, zone: string): number {
  const local = wallClock(ms, zone);
  return local.day * DAY_MS + local.minuteOfDay * MINUTE_MS + local.second * 1000;
}

function offsetMs(ms: number, zone: string): number {
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  return wallClockMs(wholeSecond, zone) - wholeSecond;
}

/**
 * The instant a local wall-clock time happens. Takes the zone's offsets a day either side; a time
 * that happens twice (autumn DST) is the earlier one, a time that never happens (spring gap) moves
 * forward by the gap, as Temporal's "compatible" disambiguation does.
 */
export function localToUtc(day: Day, minuteOfDay: number, zone: string): number {
  const wall = day * DAY_MS + minuteOfDay * MINUTE_MS;
  const before = wall - offsetMs(wall - DAY_MS, zone);
  const after = wall - offsetMs(wall + DAY_MS, zone);
  const exact = [before, after].filter((ms) => wallClockMs(ms, zone) === wall);
  return exact.length > 0 ? Math.min(...exact) : before;
}
