import type { Language } from '../language';
import { DAY_MS, localToUtc, MINUTE_MS, UnknownTimeZoneError, wallClock, type Day } from '../time-zone';

/**
 * The pure rules of consultation booking (docs/lead-journey.md#consultation-booking): which dates and slots to offer, what a
 * typed date/time means and why it is refused, when to remind, how to show a slot, and the
 * one-upcoming-booking rule.
 *
 * Imported by workflow code, so it is deterministic: the caller passes `now`; there is no I/O, no
 * argument-less `Date`, no randomness. Time zones come from `Intl.DateTimeFormat` alone, so any IANA
 * zone works, including ones with daylight saving time. Instants go in and out as UTC ISO strings;
 * only labels and guidance are in the school's local time.
 */

/** The school's zone unless configured otherwise; Moscow has no DST, but nothing here assumes that. */
export const DEFAULT_ZONE = 'Europe/Moscow';
/** The fixed daily slots offered as buttons, in local time. */
export const SLOTS = ['12:00', '14:00', '16:00', '18:00'] as const;
/** A manager needs time to prepare: nothing starts sooner than this after `now`. */
export const MIN_LEAD_MINUTES = 45;
/** Typed times must fall on :00, :15, :30 or :45, so managers' calendars stay on a grid. */
export const STEP_MINUTES = 15;
export const REMINDER_MINUTES_BEFORE = 15;
/** Nothing further ahead than this many local calendar days after today (that last day included). */
export const MAX_DAYS_AHEAD = 30;
/** From this local time on, the date options start tomorrow instead of today. */
export const TODAY_CUTOFF = '17:45';
/** Working hours: a consultation starts at OPENING_TIME at the earliest and LAST_START_TIME at the latest. */
export const OPENING_TIME = '10:00';
export const LAST_START_TIME = '19:45';
export const CLOSING_TIME = '20:00';

/** An instant as the caller has it: a UTC (or offset) ISO string, or epoch milliseconds. */
export type Instant = string | number;
export type SlotTime = (typeof SLOTS)[number];
export type BookingStatus = 'scheduled' | 'cancelled' | 'done';

/** A date button: `date` is the local calendar date `YYYY-MM-DD`, `label` what the lead reads. */
export interface DateOption {
  date: string;
  label: string;
}

/** A slot button: local `HH:MM` and the UTC ISO instant that gets stored. */
export interface Slot {
  time: string;
  startsAt: string;
}

/** The minimum a booking row must offer to `canBook`. */
export interface BookingLike {
  startsAt: string;
  status: BookingStatus;
}

export type StartRejection =
  | 'unparseable'
  | 'past'
  | 'too_soon'
  | 'not_on_step'
  | 'weekend'
  | 'outside_hours'
  | 'too_far';

/**
 * The verdict on a requested start. A refusal carries one short sentence in the lead's language
 * saying what to type instead, and, when there is one, `suggestion`: the nearest start that would be
 * accepted (UTC ISO), which the caller may offer as a button. Every example in `guidance` is written
 * so that `parseTypedDateTime` accepts it as typed.
 */
export type StartCheck =
  | { ok: true; startsAt: string }
  | { ok: false; reason: StartRejection; guidance: string; suggestion?: string };

/** A programming or data error, not a lead's typo: an unreadable instant, date or zone was passed in. */
export class BookingInputError extends Error {
  constructor(
    readonly field: 'now' | 'startsAt' | 'date' | 'zone',
    readonly value: unknown,
  ) {
    super(`invalid booking ${field}: ${JSON.stringify(value)}`);
    this.name = 'BookingInputError';
  }
}

/**
 * The two dates to offer: today and tomorrow while the local time is before 17:45, otherwise
 * tomorrow and the day after. A weekend day, or a day none of whose slots is still 45 minutes ahead
 * (today after 17:15), is skipped for the next weekday, so the lead always gets two dates that each
 * have at least one slot: Friday 17:50 gives Monday and Tuesday, and so does Friday 17:40 (its last
 * slot, 18:00, is only 20 minutes away).
 */
export function dateOptions(now: Instant, zone: string = DEFAULT_ZONE, language: Language = 'ru'): DateOption[] {
  const nowMs = toMs(now, 'now');
  const local = localOf(nowMs, zone);
  const options: DateOption[] = [];
  let day = local.minuteOfDay < minutesOf(TODAY_CUTOFF) ? local.day : local.day + 1;
  for (; options.length < 2 && day <= local.day + MAX_DAYS_AHEAD; day++) {
    if (isWeekend(day) || slotsOn(day, nowMs, zone).length === 0) continue;
    options.push({ date: isoDate(day), label: dateLabel(day, language) });
  }
  return options;
}

/**
 * The slots of a local date (`YYYY-MM-DD`) that may still be booked: on a weekday, at least 45
 * minutes after `now` and within 30 days; the same rules a typed time must pass, so a slot button
 * never offers what typing would refuse. A weekend date has none.
 */
export function slotsFor(date: string, now: Instant, zone: string = DEFAULT_ZONE): Slot[] {
  return slotsOn(parseLocalDate(date), toMs(now, 'now'), zone);
}

/**
 * Understands what a lead types to ask for a time: `05.12 14:00`, `5.12.2026 14:30`,
 * `2026-12-05 14:00`, `5 декабря в 14:00`, `завтра 15:00`, `сегодня в 16:15`, `tomorrow 3pm`,
 * `today 15:45`, `понедельник 12:00`, `monday 12:00`, with `:` or `.` between hours and minutes and
 * the time before or after the date. Russian and English are both understood whatever `language`
 * is; `language` only chooses the guidance.
 *
 * - A date without a year is its next occurrence: this year unless that date is before today, then
 *   next year (so today's date with a time already gone is `past`, not a year away).
 * - A weekday name is the nearest such day from today on; today counts unless that time of day has
 *   already passed. `next monday` / `следующий понедельник` never means today.
 * - A time alone (`16:30`, `4pm`) means today; it needs `:` or am/pm, because a bare `05.12` is a date.
 * - A date alone is `unparseable`, with guidance asking for the time too.
 */
export function parseTypedDateTime(
  text: string,
  now: Instant,
  zone: string = DEFAULT_ZONE,
  language: Language = 'ru',
): StartCheck {
  const nowMs = toMs(now, 'now');
  const context: Context = { nowMs, zone, language, today: localOf(nowMs, zone).day };
  const input = normalize(text, zone);
  const requested = readDateTime(input, context);
  if (requested !== null) return verdict(requested, context);
  const onlyDay = readDay(input, context.today);
  if (onlyDay !== null) {
    const day = typeof onlyDay === 'number' ? onlyDay : nextWeekday(onlyDay, context.today);
    const suggestion = nearestValidFrom(day, minutesOf(SLOTS[0]), context);
    return refusal('unparseable', TEXTS[language].timeMissing(example(suggestion, context)), suggestion);
  }
  const suggestion = nextValidStart(nowMs, context);
  return refusal('unparseable', TEXTS[language].unparseable(example(suggestion, context)), suggestion);
}

/**
 * Checks an exact start against every rule, e.g. a slot chosen a while ago that the lead confirms
 * only now. Order of the checks, first failure wins: `past`, `too_far`, `weekend`, `outside_hours`,
 * `not_on_step`, `too_soon`; facts about the day and hour come before the 45-minute lead so the
 * guidance never suggests a time that breaks another rule.
 */
export function checkStart(
  startsAt: Instant,
  now: Instant,
  zone: string = DEFAULT_ZONE,
  language: Language = 'ru',
): StartCheck {
  const nowMs = toMs(now, 'now');
  const context: Context = { nowMs, zone, language, today: localOf(nowMs, zone).day };
  return verdict(toMs(startsAt, 'startsAt'), context);
}

/** When the reminder with confirm / cancel buttons goes out: 15 minutes before the start. */
export function reminderAt(startsAt: string): string {
  return new Date(toMs(startsAt, 'startsAt') - REMINDER_MINUTES_BEFORE * MINUTE_MS).toISOString();
}

/**
 * A start as the lead and the managers read it: «пятница, 5 декабря, 14:00 (МСК)» /
 * "Friday, 5 December, 14:00 (Moscow time)"; other zones are named by their IANA name.
 */
export function formatSlot(startsAt: string, zone: string = DEFAULT_ZONE, language: Language = 'ru'): string {
  const local = localOf(toMs(startsAt, 'startsAt'), zone);
  const names = NAMES[language];
  const { day: dayOfMonth, month } = calendarOf(local.day);
  const date = `${names.weekdays[weekdayOf(local.day)]}, ${dayOfMonth} ${names.months[month - 1]}`;
  return `${date}, ${hhmm(local.minuteOfDay)} (${zoneLabel(zone, language)})`;
}

/**
 * The lead's upcoming booking, if any: scheduled and starting strictly after `now`. A scheduled
 * booking whose start has passed is in progress or missed, and no longer blocks a new one.
 */
export function upcomingBooking<T extends BookingLike>(existing: readonly T[], now: Instant): T | undefined {
  const nowMs = toMs(now, 'now');
  return existing
    .filter((booking) => booking.status === 'scheduled' && toMs(booking.startsAt, 'startsAt') > nowMs)
    .sort((a, b) => toMs(a.startsAt, 'startsAt') - toMs(b.startsAt, 'startsAt'))[0];
}

/** One upcoming booking per lead: a new one is allowed only when there is none (reschedule instead). */
export function canBook(existing: readonly BookingLike[], now: Instant): boolean {
  return upcomingBooking(existing, now) === undefined;
}

// ---------------------------------------------------------------------------------------------
// Rules


interface Context {
  nowMs: number;
  zone: string;
  language: Language;
  today: Day;
}

function slotsOn(day: Day, nowMs: number, zone: string): Slot[] {
  const today = localOf(nowMs, zone).day;
  return SLOTS.map((time) => ({ time, startsMs: localToUtc(day, minutesOf(time), zone) }))
    .filter(({ startsMs }) => rejectionOf(startsMs, nowMs, zone, today) === null)
    .map(({ time, startsMs }) => ({ time, startsAt: new Date(startsMs).toISOString() }));
}

function rejectionOf(startMs: number, nowMs: number, zone: string, today: Day): StartRejection | null {
  if (startMs < nowMs) return 'past';
  const local = localOf(startMs, zone);
  if (local.day > today + MAX_DAYS_AHEAD) return 'too_far';
  if (isWeekend(local.day)) return 'weekend';
  if (local.minuteOfDay < minutesOf(OPENING_TIME) || local.minuteOfDay > minutesOf(LAST_START_TIME)) {
    return 'outside_hours';
  }
  if (local.minuteOfDay % STEP_MINUTES !== 0 || startMs % MINUTE_MS !== 0) return 'not_on_step';
  if (startMs - nowMs < MIN_LEAD_MINUTES * MINUTE_MS) return 'too_soon';
  return null;
}

function verdict(startMs: number, context: Context): StartCheck {
  const reason = rejectionOf(startMs, context.nowMs, context.zone, context.today);
  if (reason === null) return { ok: true, startsAt: new Date(startMs).toISOString() };
  const texts = TEXTS[context.language];
  const local = localOf(startMs, context.zone);
  switch (reason) {
    case 'past': {
      const suggestion = nextValidStart(context.nowMs, context);
      return refusal(reason, texts.past(example(suggestion, context)), suggestion);
    }
    case 'too_soon': {
      const suggestion = nextValidStart(context.nowMs, context);
      return refusal(reason, texts.tooSoon(example(suggestion, context)), suggestion);
    }
    case 'too_far': {
      const suggestion = nextValidStart(context.nowMs, context);
      const lastDay = dayMonth(context.today + MAX_DAYS_AHEAD, context.language);
      return refusal(reason, texts.tooFar(lastDay, example(suggestion, context)), suggestion);
    }
    case 'weekend': {
      let monday = local.day;
      while (isWeekend(monday)) monday++;
      const suggestion = nearestValidFrom(monday, local.minuteOfDay, context);
      return refusal(reason, texts.weekend(example(suggestion, context)), suggestion);
    }
    case 'outside_hours': {
      const suggestion = nearestValidFrom(local.day, local.minuteOfDay, context);
      const zone = zoneLabel(context.zone, context.language);
      return refusal(reason, texts.outsideHours(zone, example(suggestion, context)), suggestion);
    }
    case 'not_on_step': {
      const down = Math.floor(local.minuteOfDay / STEP_MINUTES) * STEP_MINUTES;
      const neighbours = [down, down + STEP_MINUTES]
        .map((minute) => localToUtc(local.day, minute, context.zone))
        .filter((ms) => rejectionOf(ms, context.nowMs, context.zone, context.today) === null);
      if (neighbours.length === 0) {
        const fallback = nextValidStart(startMs, context) ?? nextValidStart(context.nowMs, context);
        if (fallback !== undefined) neighbours.push(fallback);
      }
      const examples = neighbours.map((ms) => example(ms, context)).filter((text) => text !== undefined);
      return refusal(reason, texts.notOnStep(examples), neighbours[neighbours.length - 1]);
    }
    case 'unparseable':
      // rejectionOf never says 'unparseable'; kept so the switch stays exhaustive.
      return refusal(reason, texts.unparseable(undefined), undefined);
  }
}

function refusal(reason: StartRejection, guidance: string, suggestionMs: number | undefined): StartCheck {
  return suggestionMs === undefined
    ? { ok: false, reason, guidance }
    : { ok: false, reason, guidance, suggestion: new Date(suggestionMs).toISOString() };
}

/**
 * The earliest acceptable start at or after `fromMs` (and 45 minutes after now), or undefined when
 * none is left within 30 days. Walks the 15-minute grid in local time, checking each candidate with
 * the same rules, so DST changes cannot make it suggest a refused time.
 */
function nextValidStart(fromMs: number, context: Context): number | undefined {
  const { nowMs, zone, today } = context;
  const earliest = Math.max(fromMs, nowMs + MIN_LEAD_MINUTES * MINUTE_MS);
  const start = localOf(earliest, zone);
  for (let day = start.day; day <= today + MAX_DAYS_AHEAD; day++) {
    if (isWeekend(day)) continue;
    for (let minute = minutesOf(OPENING_TIME); minute <= minutesOf(LAST_START_TIME); minute += STEP_MINUTES) {
      if (day === start.day && minute < start.minuteOfDay) continue;
      const candidate = localToUtc(day, minute, zone);
      if (candidate >= earliest && rejectionOf(candidate, nowMs, zone, today) === null) return candidate;
    }
  }
  return undefined;
}

/**
 * The nearest acceptable start from a local day and time on (a too-late time is pulled back to 19:45
 * first); when nothing is left before the 30-day limit, the earliest acceptable start at all.
 */
function nearestValidFrom(day: Day, minuteOfDay: number, context: Context): number | undefined {
  const minute = Math.min(minuteOfDay, minutesOf(LAST_START_TIME));
  return nextValidStart(localToUtc(day, minute, context.zone), context) ?? nextValidStart(context.nowMs, context);
}

// ---------------------------------------------------------------------------------------------
// Reading typed text

interface WeekdayRef {
  weekday: number;
  /** `next monday`: never today. */
  strict: boolean;
}

const TIME_PATTERN =
  /^(?:(?:в|во|at|@)\s*)?(\d{1,2})(?:([:.])(\d{2}))?(?:\s*([ap])\.?m\.?)?(?:\s*(?:ч|час|часа|часов)\.?)?$/;

function normalize(text: string, zone: string): string {
  let input = text
    .toLowerCase()
    .replace(/ё/g, 'е')
    .replace(/[«»"'!?]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s.,;]+$/, '')
    .replace(/^(\d{4}-\d{1,2}-\d{1,2})t(?=\d)/, '$1 ');
  // A Moscow school's leads often add the zone they already mean; elsewhere it would be a lie.
  if (zone === 'Europe/Moscow') input = input.replace(/[\s,(]*(?:по мск|по москве|мск|msk|moscow time)\)?$/, '');
  return input;
}

/** Tries every split of the text into a day and a time, day first, then time first, then time alone. */
function readDateTime(input: string, context: Context): number | null {
  const splits: [string, string][] = [];
  for (const match of input.matchAll(/\s*,\s*|\s+/g)) {
    const at = match.index ?? 0;
    splits.push([input.slice(0, at), input.slice(at + match[0].length)]);
  }
  for (const [left, right] of splits) {
    const found = combine(readDay(left, context.today), readTime(right, false), context);
    if (found !== null) return found;
  }
  for (const [left, right] of splits) {
    const found = combine(readDay(right, context.today), readTime(left, false), context);
    if (found !== null) return found;
  }
  return combine(context.today, readTime(input, true), context);
}

function combine(day: Day | WeekdayRef | null, minuteOfDay: number | null, context: Context): number | null {
  if (day === null || minuteOfDay === null) return null;
  if (typeof day === 'number') return localToUtc(day, minuteOfDay, context.zone);
  let resolved = nextWeekday(day, context.today);
  if (resolved === context.today && localToUtc(resolved, minuteOfDay, context.zone) < context.nowMs) resolved += 7;
  return localToUtc(resolved, minuteOfDay, context.zone);
}

/** The nearest day with that weekday from today on (today included unless `strict`). */
function nextWeekday(ref: WeekdayRef, today: Day): Day {
  const ahead = (ref.weekday - weekdayOf(today) + 7) % 7;
  return today + (ahead === 0 && ref.strict ? 7 : ahead);
}

/** Minute of the day, or null. Alone, a time needs `:` or am/pm: `05.12` on its own is a date. */
function readTime(text: string, alone: boolean): number | null {
  const match = TIME_PATTERN.exec(text.trim());
  if (!match) return null;
  const [, hourText, separator, minuteText, meridiem] = match;
  if (alone && separator !== ':' && meridiem === undefined) return null;
  let hour = Number(hourText);
  const minute = minuteText === undefined ? 0 : Number(minuteText);
  if (minute > 59) return null;
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (meridiem === 'p' ? 12 : 0);
  } else if (hour > 23) {
    return null;
  }
  return hour * 60 + minute;
}

/** A local day, a weekday still to resolve against the time, or null. */
function readDay(text: string, today: Day): Day | WeekdayRef | null {
  let input = text.trim().replace(/^(?:в|во|on)\s+/, '').replace(/\.$/, '');
  const next = /^(?:next|следующ(?:ий|ую|ее|ая))\s+(.+)$/.exec(input);
  if (next) input = next[1];
  const weekday = WEEKDAY_WORDS.get(input);
  if (weekday !== undefined) return { weekday, strict: next !== null };
  if (next) return null;
  if (/^(?:сегодня|today)$/.test(input)) return today;
  if (/^(?:завтра|tomorrow)$/.test(input)) return today + 1;
  if (/^(?:послезавтра|(?:the )?day after tomorrow)$/.test(input)) return today + 2;

  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(input);
  if (match) return dayFrom(Number(match[1]), Number(match[2]), Number(match[3]));
  match = /^(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?$/.exec(input);
  if (match) return datedDay(Number(match[1]), Number(match[2]), match[3], today);
  match = /^(\d{1,2})\s+([a-zа-я]+)(?:,?\s+(\d{4}))?$/.exec(input);
  if (match) return namedMonthDay(Number(match[1]), match[2], match[3], today);
  match = /^([a-z]+)\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?$/.exec(input);
  if (match) return namedMonthDay(Number(match[2]), match[1], match[3], today);
  return null;
}

function namedMonthDay(dayOfMonth: number, monthWord: string, year: string | undefined, today: Day): Day | null {
  const month = MONTH_STEMS.findIndex((stems) => stems.some((stem) => monthWord.startsWith(stem)));
  return month < 0 ? null : datedDay(dayOfMonth, month + 1, year, today);
}

/** A day and month with an optional year; without one, the next occurrence counting today. */
function datedDay(dayOfMonth: number, month: number, year: string | undefined, today: Day): Day | null {
  if (year !== undefined) return dayFrom(year.length === 2 ? 2000 + Number(year) : Number(year), month, dayOfMonth);
  const thisYear = calendarOf(today).year;
  const candidate = dayFrom(thisYear, month, dayOfMonth);
  if (candidate !== null && candidate >= today) return candidate;
  return dayFrom(thisYear + 1, month, dayOfMonth);
}

// ---------------------------------------------------------------------------------------------
// Time zones and the calendar

interface LocalTime {
  day: Day;
  minuteOfDay: number;
  second: number;
}

/** The wall clock of `zone` at an instant; an unknown zone is the caller's input error. */
function localOf(ms: number, zone: string): LocalTime {
  try {
    return wallClock(ms, zone);
  } catch (error) {
    if (error instanceof UnknownTimeZoneError) throw new BookingInputError('zone', zone);
    throw error;
  }
}

function toMs(value: Instant, field: 'now' | 'startsAt'): number {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new BookingInputError(field, value);
  return ms;
}

function parseLocalDate(date: string): Day {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const day = match ? dayFrom(Number(match[1]), Number(match[2]), Number(match[3])) : null;
  if (day === null) throw new BookingInputError('date', date);
  return day;
}

/** The day number of a real calendar date, or null (31.02, month 13). */
function dayFrom(year: number, month: number, dayOfMonth: number): Day | null {
  if (year < 1000 || month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > 31) return null;
  const day = Date.UTC(year, month - 1, dayOfMonth) / DAY_MS;
  const back = calendarOf(day);
  return back.month === month && back.day === dayOfMonth ? day : null;
}

function calendarOf(day: Day): { year: number; month: number; day: number } {
  const date = new Date(day * DAY_MS);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** 0 = Sunday … 6 = Saturday, like `Date#getUTCDay`; 1970-01-01 was a Thursday. */
function weekdayOf(day: Day): number {
  return (((day + 4) % 7) + 7) % 7;
}

function isWeekend(day: Day): boolean {
  const weekday = weekdayOf(day);
  return weekday === 0 || weekday === 6;
}

function isoDate(day: Day): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours * 60 + minutes;
}

function hhmm(minuteOfDay: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(minuteOfDay / 60))}:${pad(minuteOfDay % 60)}`;
}

// ---------------------------------------------------------------------------------------------
// Words

const NAMES: Record<Language, { weekdays: string[]; short: string[]; months: string[] }> = {
  ru: {
    weekdays: ['воскресенье', 'понедельник', 'вторник', 'среда', 'четверг', 'пятница', 'суббота'],
    short: ['Вс', 'Пн', 'Вт', 'Ср', 'Чт', 'Пт', 'Сб'],
    months: [
      'января', 'февраля', 'марта', 'апреля', 'мая', 'июня',
      'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря',
    ],
  },
  en: {
    weekdays: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
    short: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
    months: [
      'January', 'February', 'March', 'April', 'May', 'June',
      'July', 'August', 'September', 'October', 'November', 'December',
    ],
  },
};

const WEEKDAY_WORDS = new Map<string, number>(
  (
    [
      [0, ['воскресенье', 'вс', 'sunday', 'sun']],
      [1, ['понедельник', 'пн', 'monday', 'mon']],
      [2, ['вторник', 'вт', 'tuesday', 'tue', 'tues']],
      [3, ['среда', 'среду', 'ср', 'wednesday', 'wed']],
      [4, ['четверг', 'чт', 'thursday', 'thu', 'thur', 'thurs']],
      [5, ['пятница', 'пятницу', 'пт', 'friday', 'fri']],
      [6, ['суббота', 'субботу', 'сб', 'saturday', 'sat']],
    ] as const
  ).flatMap(([weekday, words]) => words.map((word): [string, number] => [word, weekday])),
);

/** Any word starting with a stem names the month: «декабря», «дек», "december", "dec". */
const MONTH_STEMS: string[][] = [
  ['янв', 'jan'],
  ['фев', 'feb'],
  ['мар', 'mar'],
  ['апр', 'apr'],
  ['мая', 'май', 'may'],
  ['июн', 'jun'],
  ['июл', 'jul'],
  ['авг', 'aug'],
  ['сен', 'sep'],
  ['окт', 'oct'],
  ['ноя', 'nov'],
  ['дек', 'dec'],
];

function dateLabel(day: Day, language: Language): string {
  return `${NAMES[language].short[weekdayOf(day)]}, ${dayMonth(day, language)}`;
}

function dayMonth(day: Day, language: Language): string {
  const { day: dayOfMonth, month } = calendarOf(day);
  return `${dayOfMonth} ${NAMES[language].months[month - 1]}`;
}

function zoneLabel(zone: string, language: Language): string {
  if (zone === 'Europe/Moscow') return language === 'ru' ? 'МСК' : 'Moscow time';
  return zone;
}

/** A start written the way a lead would type it, and the way `parseTypedDateTime` reads it back. */
function example(ms: number | undefined, context: Context): string | undefined {
  if (ms === undefined) return undefined;
  const local = localOf(ms, context.zone);
  const time = hhmm(local.minuteOfDay);
  const words = context.language === 'ru' ? ['сегодня', 'завтра'] : ['today', 'tomorrow'];
  if (local.day === context.today) return `${words[0]} ${time}`;
  if (local.day === context.today + 1) return `${words[1]} ${time}`;
  const { day, month } = calendarOf(local.day);
  return `${String(day).padStart(2, '0')}.${String(month).padStart(2, '0')} ${time}`;
}

type Example = string | undefined;

/** «: например, X», or nothing when there is no example (only if nothing is bookable within 30 days). */
const eg = (lead: string, example: Example, tail = ''): string => (example ? `${lead}${example}${tail}` : '');

const TEXTS: Record<
  Language,
  {
    unparseable(example: Example): string;
    timeMissing(example: Example): string;
    past(example: Example): string;
    tooSoon(example: Example): string;
    tooFar(lastDay: string, example: Example): string;
    weekend(example: Example): string;
    outsideHours(zone: string, example: Example): string;
    notOnStep(examples: string[]): string;
  }
> = {
  ru: {
    unparseable: (ex) => `Не получилось понять дату и время. Напишите, например: ${ex ?? '05.12 14:00'}`,
    timeMissing: (ex) => `Добавьте время: например, ${ex ?? 'завтра 14:00'}`,
    past: (ex) => `Это время уже прошло. Выберите время в будущем${eg(': например, ', ex)}`,
    tooSoon: (ex) => `Выберите время минимум за ${MIN_LEAD_MINUTES} минут${eg(': например, ', ex, ' или позже')}`,
    tooFar: (last, ex) =>
      `Записаться можно не дальше чем на ${MAX_DAYS_AHEAD} дней вперёд, до ${last}${eg(': например, ', ex)}`,
    weekend: (ex) =>
      `Консультации проходят только по будням: выберите день с понедельника по пятницу${eg(', например ', ex)}`,
    outsideHours: (zone, ex) =>
      `Консультации проходят с ${OPENING_TIME} до ${CLOSING_TIME} (${zone}), ` +
      `последняя запись на ${LAST_START_TIME}${eg(': например, ', ex)}`,
    notOnStep: (examples) =>
      `Время записи кратно ${STEP_MINUTES} минутам (:00, :15, :30, :45)${eg(': например, ', examples.join(' или '))}`,
  },
  en: {
    unparseable: (ex) => `I couldn't read the date and time. Type them like this: ${ex ?? '05.12 14:00'}`,
    timeMissing: (ex) => `Please add the time: for example, ${ex ?? 'tomorrow 14:00'}`,
    past: (ex) => `That time has already passed. Pick a time in the future${eg(': for example, ', ex)}`,
    tooSoon: (ex) =>
      `Please pick a time at least ${MIN_LEAD_MINUTES} minutes from now${eg(': for example, ', ex, ' or later')}`,
    tooFar: (last, ex) =>
      `Bookings are open up to ${MAX_DAYS_AHEAD} days ahead, until ${last}${eg(': for example, ', ex)}`,
    weekend: (ex) => `Consultations are on weekdays only: pick a day from Monday to Friday${eg(', for example ', ex)}`,
    outsideHours: (zone, ex) =>
      `Consultations run from ${OPENING_TIME} to ${CLOSING_TIME} (${zone}), ` +
      `the last start is ${LAST_START_TIME}${eg(': for example, ', ex)}`,
    notOnStep: (examples) =>
      `Bookings go in ${STEP_MINUTES}-minute steps (:00, :15, :30, :45)${eg(': for example, ', examples.join(' or '))}`,
  },
};
