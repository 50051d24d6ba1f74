import { isTimeZone, localDate, localMinuteOfDay, localTime, localToUtc, UnknownTimeZoneError, wallClock } from '../../domain/time-zone';

describe('the one wall clock', () => {
  it('reads Moscow time, ISO weekday and the local date across midnight UTC', () => {
    const at = Date.UTC(2026, 11, 6, 22, 30); // Sunday 22:30 UTC = Monday 01:30 in Moscow (UTC+3)
    expect(localTime(at, 'Europe/Moscow')).toBe('01:30');
    expect(localDate(at, 'Europe/Moscow')).toBe('2026-12-07');
    expect(wallClock(at, 'Europe/Moscow').weekday).toBe(1);
    expect(wallClock(at, 'UTC').weekday).toBe(7);
    expect(localMinuteOfDay(at, 'Asia/Kolkata')).toBe(4 * 60); // UTC+5:30
  });

  it('turns a local time back into the instant, through daylight saving changes', () => {
    const day = Date.UTC(2026, 2, 8) / 86_400_000; // 8 March 2026: New York springs forward at 02:00
    expect(new Date(localToUtc(day, 12 * 60, 'America/New_York')).toISOString()).toBe('2026-03-08T16:00:00.000Z');
    expect(new Date(localToUtc(day, 2 * 60 + 30, 'America/New_York')).toISOString()).toBe('2026-03-08T07:30:00.000Z'); // the gap moves forward
    const autumn = Date.UTC(2026, 10, 1) / 86_400_000; // 1:30 happens twice: the earlier one
    expect(new Date(localToUtc(autumn, 90, 'America/New_York')).toISOString()).toBe('2026-11-01T05:30:00.000Z');
    for (let minute = 0; minute < 24 * 60; minute += 15) {
      expect(localMinuteOfDay(localToUtc(day + 1, minute, 'Europe/Moscow'), 'Europe/Moscow')).toBe(minute);
    }
  });

  it('names an unknown zone', () => {
    expect(isTimeZone('Europe/Moscow')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(() => wallClock(0, 'Mars/Olympus')).toThrow(UnknownTimeZoneError);
  });
});
