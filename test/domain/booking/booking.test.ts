import {
  BookingInputError,
  canBook,
  checkStart,
  dateOptions,
  formatSlot,
  MAX_DAYS_AHEAD,
  MIN_LEAD_MINUTES,
  parseTypedDateTime,
  reminderAt,
  SLOTS,
  slotsFor,
  STEP_MINUTES,
  upcomingBooking,
  type StartCheck,
  type StartRejection,
} from '../../../domain/booking/booking';

/** A Moscow wall-clock time (`2025-12-05T17:50`) as an ISO instant; Moscow is UTC+3 all year. */
const msk = (local: string): string => `${local}:00+03:00`;

// Dates used below: 2025-12-01 Mon, 03 Wed, 05 Fri, 06 Sat, 07 Sun, 08 Mon; 2025-12-31 Wed;
// 2026-01-02 Fri; 2026-03-27 Fri (Berlin springs forward on Sun 29 Mar); 2026-10-23 Fri (Berlin
// falls back on Sun 25 Oct); 2026-12-31 Thu; 2027-01-02 Sat.
const WEDNESDAY_NOON = msk('2025-12-03T12:50');

/** The wall clock of an instant, read independently of the module under test. */
function wall(instant: string | number, zone: string): { date: string; time: string; weekday: string } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
      .formatToParts(new Date(instant))
      .map((part) => [part.type, part.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}`, weekday: parts.weekday };
}

function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

function refused(result: StartCheck): { reason: StartRejection; guidance: string; suggestion?: string } {
  if (result.ok) throw new Error(`expected a refusal, got ${result.startsAt}`);
  return result;
}

/** Every «сегодня 16:30» / "05.12 14:00" a guidance sentence offers as an example. */
function examplesIn(guidance: string): string[] {
  return guidance.match(/(?:сегодня|завтра|today|tomorrow|\d{2}\.\d{2}) \d{2}:\d{2}/g) ?? [];
}

describe('dateOptions', () => {
  it('offers today and tomorrow on a weekday morning, labelled in Russian by default', () => {
    expect(dateOptions(msk('2025-12-08T10:00'))).toEqual([
      { date: '2025-12-08', label: 'Пн, 8 декабря' },
      { date: '2025-12-09', label: 'Вт, 9 декабря' },
    ]);
    expect(dateOptions(msk('2025-12-01T09:00'))[0]).toEqual({ date: '2025-12-01', label: 'Пн, 1 декабря' });
  });

  it('labels in English when asked', () => {
    expect(dateOptions(msk('2025-12-01T09:00'), 'Europe/Moscow', 'en')).toEqual([
      { date: '2025-12-01', label: 'Mon, 1 December' },
      { date: '2025-12-02', label: 'Tue, 2 December' },
    ]);
  });

  it('keeps today while its 18:00 slot is still 45 minutes ahead (until 17:15)', () => {
    expect(dateOptions(msk('2025-12-09T17:15')).map((o) => o.date)).toEqual(['2025-12-09', '2025-12-10']);
    expect(slotsFor('2025-12-09', msk('2025-12-09T17:15'))).toEqual([{ time: '18:00', startsAt: '2025-12-09T15:00:00.000Z' }]);
  });

  it('drops a today that has no slot left even before the 17:45 cut-off', () => {
    expect(dateOptions(msk('2025-12-09T17:16')).map((o) => o.date)).toEqual(['2025-12-10', '2025-12-11']);
  });

  it('offers tomorrow and the day after from 17:45 on', () => {
    expect(dateOptions(msk('2025-12-09T17:45')).map((o) => o.date)).toEqual(['2025-12-10', '2025-12-11']);
    expect(dateOptions(msk('2025-12-09T23:59')).map((o) => o.date)).toEqual(['2025-12-10', '2025-12-11']);
  });

  it('gives Monday and Tuesday on Friday at 17:50 (after the cut-off, Saturday skipped)', () => {
    expect(dateOptions(msk('2025-12-05T17:50'))).toEqual([
      { date: '2025-12-08', label: 'Пн, 8 декабря' },
      { date: '2025-12-09', label: 'Вт, 9 декабря' },
    ]);
  });

  it('gives Monday and Tuesday on Friday at 17:40 too: 18:00 is only 20 minutes away, so Friday has no slot', () => {
    expect(slotsFor('2025-12-05', msk('2025-12-05T17:40'))).toEqual([]);
    expect(dateOptions(msk('2025-12-05T17:40')).map((o) => o.date)).toEqual(['2025-12-08', '2025-12-09']);
  });

  it('gives Friday and Monday on Friday at noon, and on Thursday evening', () => {
    expect(dateOptions(msk('2025-12-05T12:00')).map((o) => o.date)).toEqual(['2025-12-05', '2025-12-08']);
    expect(dateOptions(msk('2025-12-04T17:40')).map((o) => o.date)).toEqual(['2025-12-05', '2025-12-08']);
    expect(dateOptions(msk('2025-12-04T18:30')).map((o) => o.date)).toEqual(['2025-12-05', '2025-12-08']);
  });

  it('gives Monday and Tuesday on Saturday and Sunday, whatever the hour', () => {
    for (const now of ['2025-12-06T00:05', '2025-12-06T10:00', '2025-12-06T19:00', '2025-12-07T12:00', '2025-12-07T23:59']) {
      expect(dateOptions(msk(now)).map((o) => o.date)).toEqual(['2025-12-08', '2025-12-09']);
    }
  });

  it('uses the local date, not the UTC one', () => {
    // Tuesday 00:30 in Moscow is still Monday in UTC.
    expect(dateOptions('2025-12-08T21:30:00Z').map((o) => o.date)).toEqual(['2025-12-09', '2025-12-10']);
    // Monday 20:00 in New York is already Tuesday in UTC; after the cut-off, so Tuesday and Wednesday.
    expect(dateOptions('2025-12-09T01:00:00Z', 'America/New_York').map((o) => o.date)).toEqual(['2025-12-09', '2025-12-10']);
    expect(dateOptions('2025-12-08T15:00:00Z', 'America/New_York').map((o) => o.date)).toEqual(['2025-12-08', '2025-12-09']);
  });

  it('accepts now as epoch milliseconds', () => {
    expect(dateOptions(Date.parse(msk('2025-12-05T17:50')))).toEqual(dateOptions(msk('2025-12-05T17:50')));
  });

  it('works in Berlin across the spring DST change', () => {
    // Friday 27 March 2026, 17:50 CET (UTC+1); Monday 30 March is already CEST (UTC+2).
    expect(dateOptions('2026-03-27T17:50:00+01:00', 'Europe/Berlin', 'en')).toEqual([
      { date: '2026-03-30', label: 'Mon, 30 March' },
      { date: '2026-03-31', label: 'Tue, 31 March' },
    ]);
  });
});

describe('slotsFor', () => {
  it('returns all four slots of a future weekday as UTC instants', () => {
    expect(slotsFor('2025-12-08', WEDNESDAY_NOON)).toEqual([
      { time: '12:00', startsAt: '2025-12-08T09:00:00.000Z' },
      { time: '14:00', startsAt: '2025-12-08T11:00:00.000Z' },
      { time: '16:00', startsAt: '2025-12-08T13:00:00.000Z' },
      { time: '18:00', startsAt: '2025-12-08T15:00:00.000Z' },
    ]);
  });

  it('keeps only slots at least 45 minutes ahead (exactly 45 is enough)', () => {
    expect(slotsFor('2025-12-03', msk('2025-12-03T13:15')).map((s) => s.time)).toEqual(['14:00', '16:00', '18:00']);
    expect(slotsFor('2025-12-03', msk('2025-12-03T13:16')).map((s) => s.time)).toEqual(['16:00', '18:00']);
    expect(slotsFor('2025-12-03', msk('2025-12-03T18:00')).map((s) => s.time)).toEqual([]);
  });

  it('has no slots on a weekend, in the past, or beyond 30 days', () => {
    expect(slotsFor('2025-12-06', WEDNESDAY_NOON)).toEqual([]);
    expect(slotsFor('2025-12-07', WEDNESDAY_NOON)).toEqual([]);
    expect(slotsFor('2025-12-02', WEDNESDAY_NOON)).toEqual([]);
    expect(slotsFor('2026-01-02', WEDNESDAY_NOON)).toHaveLength(4); // today + 30 days
    expect(slotsFor('2026-01-05', WEDNESDAY_NOON)).toEqual([]);
  });

  it('follows Berlin summer time in spring and autumn', () => {
    const first = (date: string, now: string) => slotsFor(date, now, 'Europe/Berlin')[0].startsAt;
    expect(first('2026-03-27', '2026-03-27T09:00:00+01:00')).toBe('2026-03-27T11:00:00.000Z'); // CET
    expect(first('2026-03-30', '2026-03-27T17:50:00+01:00')).toBe('2026-03-30T10:00:00.000Z'); // CEST
    expect(first('2026-10-23', '2026-10-23T08:00:00+02:00')).toBe('2026-10-23T10:00:00.000Z'); // CEST
    expect(first('2026-10-26', '2026-10-23T08:00:00+02:00')).toBe('2026-10-26T11:00:00.000Z'); // CET
  });

  it('works for zones with half- and quarter-hour offsets', () => {
    expect(slotsFor('2025-12-08', WEDNESDAY_NOON, 'Asia/Kolkata')[0].startsAt).toBe('2025-12-08T06:30:00.000Z');
    expect(slotsFor('2025-12-08', WEDNESDAY_NOON, 'Asia/Kathmandu')[0].startsAt).toBe('2025-12-08T06:15:00.000Z');
  });

  it('throws a BookingInputError for a malformed date, now or zone', () => {
    for (const date of ['2025-13-01', '2025-02-30', '5.12', '2025-12-5', '']) {
      expect(() => slotsFor(date, WEDNESDAY_NOON)).toThrow(BookingInputError);
    }
    expect(() => slotsFor('2025-12-08', 'not a time')).toThrow(expect.objectContaining({ field: 'now', value: 'not a time' }));
    expect(() => slotsFor('2025-12-08', WEDNESDAY_NOON, 'Mars/Olympus')).toThrow(expect.objectContaining({ field: 'zone' }));
  });
});

describe('parseTypedDateTime', () => {
  // now: Wednesday 3 December 2025, 12:50 Moscow time.
  it.each([
    ['05.12 14:00', '2025-12-05T11:00:00.000Z'],
    ['5.12 14.00', '2025-12-05T11:00:00.000Z'],
    ['05.12.2025 14:30', '2025-12-05T11:30:00.000Z'],
    ['5.12.25 14:30', '2025-12-05T11:30:00.000Z'],
    ['2025-12-05 14:00', '2025-12-05T11:00:00.000Z'],
    ['2025-12-05T14:00', '2025-12-05T11:00:00.000Z'],
    ['5 декабря в 14:00', '2025-12-05T11:00:00.000Z'],
    ['December 5 2pm', '2025-12-05T11:00:00.000Z'],
    ['завтра 15:00', '2025-12-04T12:00:00.000Z'],
    ['Завтра в 15.00', '2025-12-04T12:00:00.000Z'],
    ['завтра 15 часов', '2025-12-04T12:00:00.000Z'],
    ['  ЗАВТРА,  15:00. ', '2025-12-04T12:00:00.000Z'],
    ['завтра 15:00 мск', '2025-12-04T12:00:00.000Z'],
    ['15:00 завтра', '2025-12-04T12:00:00.000Z'],
    ['в 15:00 завтра', '2025-12-04T12:00:00.000Z'],
    ['сегодня в 16:15', '2025-12-03T13:15:00.000Z'],
    ['tomorrow 3pm', '2025-12-04T12:00:00.000Z'],
    ['tomorrow at 3:30 p.m.', '2025-12-04T12:30:00.000Z'],
    ['today 15:45', '2025-12-03T12:45:00.000Z'],
    ['послезавтра 12:00', '2025-12-05T09:00:00.000Z'],
    ['понедельник 12:00', '2025-12-08T09:00:00.000Z'],
    ['в понедельник в 12:00', '2025-12-08T09:00:00.000Z'],
    ['monday 12:00', '2025-12-08T09:00:00.000Z'],
    ['Mon 12pm', '2025-12-08T09:00:00.000Z'],
    ['в пятницу 19:45', '2025-12-05T16:45:00.000Z'],
    ['16:30', '2025-12-03T13:30:00.000Z'],
    ['4pm', '2025-12-03T13:00:00.000Z'],
  ])('reads %j', (text, startsAt) => {
    expect(parseTypedDateTime(text, WEDNESDAY_NOON)).toEqual({ ok: true, startsAt });
  });

  it('takes a weekday name as the nearest such day, today included unless its time has passed', () => {
    const mondayMorning = msk('2025-12-08T11:00');
    expect(parseTypedDateTime('понедельник 15:00', mondayMorning)).toEqual({ ok: true, startsAt: '2025-12-08T12:00:00.000Z' });
    expect(parseTypedDateTime('monday 10:00', mondayMorning)).toEqual({ ok: true, startsAt: '2025-12-15T07:00:00.000Z' });
    expect(parseTypedDateTime('next monday 15:00', mondayMorning)).toEqual({ ok: true, startsAt: '2025-12-15T12:00:00.000Z' });
    expect(parseTypedDateTime('следующий понедельник 15:00', mondayMorning)).toEqual({
      ok: true,
      startsAt: '2025-12-15T12:00:00.000Z',
    });
    expect(refused(parseTypedDateTime('понедельник 11:30', mondayMorning)).reason).toBe('too_soon');
  });

  it('rolls a date without a year over to next year once it has passed: 31.12 → 02.01', () => {
    const newYearsEve = msk('2025-12-31T12:00');
    expect(parseTypedDateTime('02.01 14:00', newYearsEve)).toEqual({ ok: true, startsAt: '2026-01-02T11:00:00.000Z' });
    // At the end of 2026, 2 January 2027 is a Saturday; the suggestion is Monday 4 January 2027.
    const saturday = refused(parseTypedDateTime('02.01 14:00', msk('2026-12-31T12:00')));
    expect(saturday).toEqual({
      ok: false,
      reason: 'weekend',
      guidance: 'Консультации проходят только по будням: выберите день с понедельника по пятницу, например 04.01 14:00',
      suggestion: '2027-01-04T11:00:00.000Z',
    });
    const nextEve = msk('2026-12-31T12:00');
    expect(parseTypedDateTime('04.01 14:00', nextEve)).toEqual({ ok: true, startsAt: '2027-01-04T11:00:00.000Z' });
  });

  it("keeps today's date this year, so a time already gone today is past, not a year away", () => {
    expect(refused(parseTypedDateTime('03.12 10:00', WEDNESDAY_NOON)).reason).toBe('past');
    expect(refused(parseTypedDateTime('01.12 12:00', WEDNESDAY_NOON)).reason).toBe('too_far');
    expect(refused(parseTypedDateTime('05.12.2024 14:00', WEDNESDAY_NOON)).reason).toBe('past');
  });

  it('refuses a time 30 minutes ahead as too_soon, suggesting the first time that works', () => {
    const now = msk('2025-12-03T15:45');
    expect(parseTypedDateTime('сегодня 16:15', now)).toEqual({
      ok: false,
      reason: 'too_soon',
      guidance: 'Выберите время минимум за 45 минут: например, сегодня 16:30 или позже',
      suggestion: '2025-12-03T13:30:00.000Z',
    });
    expect(refused(parseTypedDateTime('today 16:15', now, 'Europe/Moscow', 'en')).guidance).toBe(
      'Please pick a time at least 45 minutes from now: for example, today 16:30 or later',
    );
    // Late in the day the first time that works is tomorrow morning, and on Friday it is Monday's.
    expect(refused(parseTypedDateTime('сегодня 19:45', msk('2025-12-03T19:30'))).guidance).toBe(
      'Выберите время минимум за 45 минут: например, завтра 10:00 или позже',
    );
    expect(refused(parseTypedDateTime('сегодня 19:45', msk('2025-12-05T19:30'))).guidance).toBe(
      'Выберите время минимум за 45 минут: например, 08.12 10:00 или позже',
    );
  });

  it('refuses 14:10 as not_on_step, offering the neighbouring steps', () => {
    expect(parseTypedDateTime('05.12 14:10', WEDNESDAY_NOON)).toEqual({
      ok: false,
      reason: 'not_on_step',
      guidance: 'Время записи кратно 15 минутам (:00, :15, :30, :45): например, 05.12 14:00 или 05.12 14:15',
      suggestion: '2025-12-05T11:15:00.000Z',
    });
    expect(refused(parseTypedDateTime('tomorrow 14:10', WEDNESDAY_NOON, 'Europe/Moscow', 'en')).guidance).toBe(
      'Bookings go in 15-minute steps (:00, :15, :30, :45): for example, tomorrow 14:00 or tomorrow 14:15',
    );
    // Only the neighbour that is far enough ahead is offered.
    expect(refused(parseTypedDateTime('сегодня 13:40', WEDNESDAY_NOON)).guidance).toBe(
      'Время записи кратно 15 минутам (:00, :15, :30, :45): например, сегодня 13:45',
    );
  });

  it('refuses Saturday and Sunday as weekend, suggesting Monday at the same time', () => {
    for (const text of ['воскресенье 12:00', 'в субботу 12:00', '06.12 12:00', '2025-12-07 12:00', 'sunday 12pm']) {
      expect(parseTypedDateTime(text, WEDNESDAY_NOON)).toEqual({
        ok: false,
        reason: 'weekend',
        guidance: 'Консультации проходят только по будням: выберите день с понедельника по пятницу, например 08.12 12:00',
        suggestion: '2025-12-08T09:00:00.000Z',
      });
    }
    expect(refused(parseTypedDateTime('sunday 12:00', WEDNESDAY_NOON, 'Europe/Moscow', 'en')).guidance).toBe(
      'Consultations are on weekdays only: pick a day from Monday to Friday, for example 08.12 12:00',
    );
  });

  it('refuses 21:00 as outside_hours (10:00 to 20:00, last start 19:45)', () => {
    expect(parseTypedDateTime('05.12 21:00', WEDNESDAY_NOON)).toEqual({
      ok: false,
      reason: 'outside_hours',
      guidance: 'Консультации проходят с 10:00 до 20:00 (МСК), последняя запись на 19:45: например, 05.12 19:45',
      suggestion: '2025-12-05T16:45:00.000Z',
    });
    expect(refused(parseTypedDateTime('05.12 09:30', WEDNESDAY_NOON)).suggestion).toBe('2025-12-05T07:00:00.000Z');
    expect(refused(parseTypedDateTime('05.12 19:50', WEDNESDAY_NOON)).reason).toBe('outside_hours');
    expect(refused(parseTypedDateTime('05.12 20:00', WEDNESDAY_NOON)).reason).toBe('outside_hours');
    expect(refused(parseTypedDateTime('05.12 9:45', WEDNESDAY_NOON)).reason).toBe('outside_hours');
    expect(parseTypedDateTime('05.12 10:00', WEDNESDAY_NOON).ok).toBe(true);
    expect(parseTypedDateTime('05.12 19:45', WEDNESDAY_NOON).ok).toBe(true);
    expect(refused(parseTypedDateTime('tomorrow 9am', WEDNESDAY_NOON, 'Europe/Moscow', 'en')).guidance).toBe(
      'Consultations run from 10:00 to 20:00 (Moscow time), the last start is 19:45: for example, tomorrow 10:00',
    );
  });

  it('checks the day before the hour: Sunday 21:00 is a weekend refusal', () => {
    expect(refused(parseTypedDateTime('воскресенье 21:00', WEDNESDAY_NOON)).reason).toBe('weekend');
  });

  it('refuses more than 30 days ahead as too_far, naming the last bookable day', () => {
    expect(parseTypedDateTime('02.01 12:00', WEDNESDAY_NOON)).toEqual({ ok: true, startsAt: '2026-01-02T09:00:00.000Z' });
    expect(parseTypedDateTime('05.01 12:00', WEDNESDAY_NOON)).toEqual({
      ok: false,
      reason: 'too_far',
      guidance: 'Записаться можно не дальше чем на 30 дней вперёд, до 2 января: например, сегодня 13:45',
      suggestion: '2025-12-03T10:45:00.000Z',
    });
    expect(refused(parseTypedDateTime('5 January 12:00', WEDNESDAY_NOON, 'Europe/Moscow', 'en')).guidance).toBe(
      'Bookings are open up to 30 days ahead, until 2 January: for example, today 13:45',
    );
  });

  it('refuses a time already gone as past', () => {
    expect(parseTypedDateTime('сегодня 10:00', WEDNESDAY_NOON)).toEqual({
      ok: false,
      reason: 'past',
      guidance: 'Это время уже прошло. Выберите время в будущем: например, сегодня 13:45',
      suggestion: '2025-12-03T10:45:00.000Z',
    });
  });

  it.each([
    'когда-нибудь',
    '',
    'завтра утром',
    '31.02 14:00',
    '25:00',
    'завтра 24:00',
    'завтра 14:60',
    'tomorrow 13pm',
    '15',
    '14.30',
    'next 05.12 14:00',
  ])(
    'refuses %j as unparseable, showing a format that works',
    (text) => {
      expect(parseTypedDateTime(text, WEDNESDAY_NOON)).toEqual({
        ok: false,
        reason: 'unparseable',
        guidance: 'Не получилось понять дату и время. Напишите, например: сегодня 13:45',
        suggestion: '2025-12-03T10:45:00.000Z',
      });
    },
  );

  it('asks for the time when only a date is typed', () => {
    expect(parseTypedDateTime('05.12', WEDNESDAY_NOON)).toEqual({
      ok: false,
      reason: 'unparseable',
      guidance: 'Добавьте время: например, 05.12 12:00',
      suggestion: '2025-12-05T09:00:00.000Z',
    });
    expect(refused(parseTypedDateTime('tomorrow', WEDNESDAY_NOON, 'Europe/Moscow', 'en')).guidance).toBe(
      'Please add the time: for example, tomorrow 12:00',
    );
    expect(refused(parseTypedDateTime('в понедельник', WEDNESDAY_NOON)).guidance).toBe('Добавьте время: например, 08.12 12:00');
  });

  it('reads typed times in Berlin on both sides of a DST change, naming the zone in guidance', () => {
    const friday = '2026-03-27T10:00:00+01:00';
    const berlin = (text: string, now = friday) => parseTypedDateTime(text, now, 'Europe/Berlin');
    expect(berlin('27.03 12:00')).toEqual({ ok: true, startsAt: '2026-03-27T11:00:00.000Z' });
    expect(berlin('30.03 12:00')).toEqual({ ok: true, startsAt: '2026-03-30T10:00:00.000Z' });
    expect(berlin('monday 19:45')).toEqual({ ok: true, startsAt: '2026-03-30T17:45:00.000Z' });
    expect(berlin('26.10 12:00', '2026-10-23T10:00:00+02:00')).toEqual({ ok: true, startsAt: '2026-10-26T11:00:00.000Z' });
    expect(refused(parseTypedDateTime('30.03 20:30', friday, 'Europe/Berlin', 'en')).guidance).toBe(
      'Consultations run from 10:00 to 20:00 (Europe/Berlin), the last start is 19:45: for example, 30.03 19:45',
    );
    // «мск» is only dropped for a Moscow school; elsewhere it is not understood.
    expect(refused(parseTypedDateTime('30.03 12:00 мск', friday, 'Europe/Berlin')).reason).toBe('unparseable');
  });

  it('writes every example in its guidance so that typing it back is accepted', () => {
    const cases: [string, string][] = [
      ['сегодня 16:15', msk('2025-12-03T15:45')],
      ['сегодня 19:45', msk('2025-12-05T19:30')],
      ['05.12 14:10', WEDNESDAY_NOON],
      ['воскресенье 21:00', WEDNESDAY_NOON],
      ['05.12 21:00', WEDNESDAY_NOON],
      ['05.01 12:00', WEDNESDAY_NOON],
      ['сегодня 10:00', WEDNESDAY_NOON],
      ['что-то', msk('2025-12-31T19:20')],
      ['02.01 14:00', msk('2026-12-31T12:00')],
    ];
    for (const [text, now] of cases) {
      const refusal = refused(parseTypedDateTime(text, now));
      const examples = examplesIn(refusal.guidance);
      expect(examples.length).toBeGreaterThan(0);
      for (const typed of examples) expect(parseTypedDateTime(typed, now).ok).toBe(true);
      expect(parseTypedDateTime(examples[examples.length - 1], now)).toEqual({ ok: true, startsAt: refusal.suggestion });
    }
  });
});

describe('checkStart', () => {
  it('accepts an offered slot and normalises the instant to UTC ISO', () => {
    expect(checkStart('2025-12-05T14:00:00+03:00', WEDNESDAY_NOON)).toEqual({ ok: true, startsAt: '2025-12-05T11:00:00.000Z' });
    expect(checkStart(Date.parse('2025-12-05T11:00:00Z'), WEDNESDAY_NOON).ok).toBe(true);
  });

  it('refuses a slot that went stale while the lead hesitated', () => {
    const slot = slotsFor('2025-12-03', msk('2025-12-03T13:00'))[0];
    expect(slot.time).toBe('14:00');
    expect(refused(checkStart(slot.startsAt, msk('2025-12-03T13:20'))).reason).toBe('too_soon');
    expect(refused(checkStart(slot.startsAt, msk('2025-12-03T14:01'))).reason).toBe('past');
  });

  it('refuses seconds off the grid as not_on_step', () => {
    expect(refused(checkStart('2025-12-05T11:00:30.000Z', WEDNESDAY_NOON)).reason).toBe('not_on_step');
  });

  it('throws a BookingInputError for an unreadable start', () => {
    expect(() => checkStart('soon', WEDNESDAY_NOON)).toThrow(expect.objectContaining({ field: 'startsAt' }));
  });
});

describe('reminderAt', () => {
  it('is 15 minutes before the start, in UTC', () => {
    expect(reminderAt('2025-12-05T11:00:00.000Z')).toBe('2025-12-05T10:45:00.000Z');
    expect(reminderAt('2025-12-05T14:00:00+03:00')).toBe('2025-12-05T10:45:00.000Z');
    expect(reminderAt('2026-01-01T00:10:00Z')).toBe('2025-12-31T23:55:00.000Z');
  });

  it('throws a BookingInputError for an unreadable start', () => {
    expect(() => reminderAt('tomorrow')).toThrow(BookingInputError);
  });
});

describe('formatSlot', () => {
  it('writes the weekday, date, time and zone in Russian and English', () => {
    expect(formatSlot('2025-12-05T11:00:00.000Z')).toBe('пятница, 5 декабря, 14:00 (МСК)');
    expect(formatSlot('2025-12-05T11:00:00.000Z', 'Europe/Moscow', 'en')).toBe('Friday, 5 December, 14:00 (Moscow time)');
  });

  it('names other zones and follows their DST', () => {
    expect(formatSlot('2026-03-27T11:00:00.000Z', 'Europe/Berlin', 'en')).toBe('Friday, 27 March, 12:00 (Europe/Berlin)');
    expect(formatSlot('2026-03-30T10:00:00.000Z', 'Europe/Berlin')).toBe('понедельник, 30 марта, 12:00 (Europe/Berlin)');
  });

  it('uses the local date when it differs from the UTC one', () => {
    expect(formatSlot('2025-12-04T22:30:00.000Z')).toBe('пятница, 5 декабря, 01:30 (МСК)');
  });
});

describe('canBook', () => {
  const now = WEDNESDAY_NOON;

  it('allows a first booking', () => {
    expect(canBook([], now)).toBe(true);
  });

  it('refuses while a scheduled booking is upcoming', () => {
    expect(canBook([{ startsAt: '2025-12-05T11:00:00.000Z', status: 'scheduled' }], now)).toBe(false);
  });

  it('ignores cancelled, done and already started bookings', () => {
    const history = [
      { startsAt: '2025-12-05T11:00:00.000Z', status: 'cancelled' as const },
      { startsAt: '2025-12-01T11:00:00.000Z', status: 'done' as const },
      { startsAt: '2025-12-02T11:00:00.000Z', status: 'scheduled' as const },
      { startsAt: '2025-12-03T09:50:00.000Z', status: 'scheduled' as const }, // starts exactly now
    ];
    expect(canBook(history, now)).toBe(true);
  });

  it('names the earliest upcoming booking', () => {
    const later = { id: 2, startsAt: '2025-12-09T11:00:00.000Z', status: 'scheduled' as const };
    const sooner = { id: 1, startsAt: '2025-12-05T11:00:00.000Z', status: 'scheduled' as const };
    expect(upcomingBooking([later, sooner], now)).toBe(sooner);
    expect(upcomingBooking([], now)).toBeUndefined();
  });
});

describe('booking rules (properties over many seeded-random instants)', () => {
  const zones = ['Europe/Moscow', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Sydney'];
  const from = Date.parse('2024-01-01T00:00:00Z');
  const span = Date.parse('2031-01-01T00:00:00Z') - from;
  let seed = 20251205;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

  it('offers two weekdays whose every slot is ≥45 minutes ahead, on a weekday and on the 15-minute step', () => {
    for (let run = 0; run < 400; run++) {
      const nowMs = from + Math.floor(random() * span);
      const zone = pick(zones);
      const options = dateOptions(nowMs, zone, pick(['ru', 'en'] as const));
      expect(options).toHaveLength(2);
      expect(options[0].date < options[1].date).toBe(true);

      const local = wall(nowMs, zone);
      let date = local.time < '17:45' ? local.date : addDays(local.date, 1);
      for (; date < options[1].date; date = addDays(date, 1)) {
        // A day between the first candidate and the second option is either offered or has nothing to book.
        if (date !== options[0].date) expect(slotsFor(date, nowMs, zone)).toEqual([]);
      }
      for (const option of options) {
        const slots = slotsFor(option.date, nowMs, zone);
        expect(slots.length).toBeGreaterThan(0);
        for (const slot of slots) {
          const at = Date.parse(slot.startsAt);
          const seen = wall(at, zone);
          expect(at - nowMs).toBeGreaterThanOrEqual(MIN_LEAD_MINUTES * 60_000);
          expect(['Sat', 'Sun']).not.toContain(seen.weekday);
          expect(Number(seen.time.slice(3)) % STEP_MINUTES).toBe(0);
          expect(at % 60_000).toBe(0);
          expect(seen).toMatchObject({ date: option.date, time: slot.time });
          expect(SLOTS).toContain(slot.time);
          expect(checkStart(slot.startsAt, nowMs, zone)).toEqual({ ok: true, startsAt: slot.startsAt });
          expect(reminderAt(slot.startsAt)).toBe(new Date(at - 15 * 60_000).toISOString());
        }
      }
    }
  });

  it('accepts a typed time exactly when every rule holds, and every suggestion is accepted', () => {
    const outcomes = new Set<string>();
    for (let run = 0; run < 1000; run++) {
      const nowMs = from + Math.floor(random() * span);
      const zone = pick(zones);
      const language = pick(['ru', 'en'] as const);
      // Mostly from two days back to 35 days ahead, sometimes within the next two hours (where the
      // 45-minute rule bites); half on the 15-minute grid, half on any whole minute. Night hours are
      // skipped: DST repeats an hour there, and they are outside working hours anyway.
      const grid = random() < 0.5 ? STEP_MINUTES * 60_000 : 60_000;
      const offsetDays = random() < 0.25 ? random() / 12 : random() * 37 - 2;
      const at = Math.ceil((nowMs + offsetDays * 86_400_000) / grid) * grid;
      const seen = wall(at, zone);
      if (seen.time < '04:00') continue;
      const [year, month, day] = seen.date.split('-');
      const text = pick([`${day}.${month}.${year} ${seen.time}`, `${year}-${month}-${day} ${seen.time.replace(':', '.')}`]);

      const today = wall(nowMs, zone).date;
      const expected: StartRejection | null =
        at < nowMs
          ? 'past'
          : seen.date > addDays(today, MAX_DAYS_AHEAD)
            ? 'too_far'
            : ['Sat', 'Sun'].includes(seen.weekday)
              ? 'weekend'
              : seen.time < '10:00' || seen.time > '19:45'
                ? 'outside_hours'
                : Number(seen.time.slice(3)) % STEP_MINUTES !== 0
                  ? 'not_on_step'
                  : at - nowMs < MIN_LEAD_MINUTES * 60_000
                    ? 'too_soon'
                    : null;

      const result = parseTypedDateTime(text, nowMs, zone, language);
      outcomes.add(expected ?? 'ok');
      if (expected === null) {
        expect(result).toEqual({ ok: true, startsAt: new Date(at).toISOString() });
        continue;
      }
      const refusal = refused(result);
      expect(refusal.reason).toBe(expected);
      expect(refusal.guidance.length).toBeGreaterThan(10);
      expect(refusal.suggestion).toBeDefined();
      expect(checkStart(refusal.suggestion!, nowMs, zone).ok).toBe(true);
      for (const typed of examplesIn(refusal.guidance)) expect(parseTypedDateTime(typed, nowMs, zone).ok).toBe(true);
    }
    // The random inputs reached every rule, so none of the checks above passed vacuously.
    expect([...outcomes].sort()).toEqual(['not_on_step', 'ok', 'outside_hours', 'past', 'too_far', 'too_soon', 'weekend']);
  });
});
