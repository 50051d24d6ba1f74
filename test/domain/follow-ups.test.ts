import { catchUpOffsetMs, dueFollowUps, nextFollowUp, outsideQuietHours, type FollowUpPlan } from '../../domain/follow-ups';

const HOUR = 3_600_000;
const plan: FollowUpPlan = {
  quietHours: { from: '22:00', to: '09:00' },
  catchUpSpreadMinutes: 60,
  lateAfterMinutes: 5,
  sequence: [
    { id: 'h24', afterHours: 24, text: '24' },
    { id: 'h72', afterHours: 72, text: '72' },
    { id: 'reengage', afterHours: 120, text: 'r', onceEver: true },
  ],
};
const at = (iso: string) => Date.parse(iso);
const moscow = 'Europe/Moscow';

describe('quiet hours', () => {
  it.each([
    ['2026-12-01T20:30:00Z', '2026-12-02T06:00:00Z'], // 23:30 MSK → 09:00 MSK
    ['2026-12-01T19:00:00Z', '2026-12-02T06:00:00Z'], // 22:00 MSK exactly: quiet
    ['2026-12-01T23:15:00Z', '2026-12-02T06:00:00Z'], // 02:15 MSK
    ['2026-12-02T05:59:00Z', '2026-12-02T06:00:00Z'], // 08:59 MSK
    ['2026-12-02T06:00:00Z', '2026-12-02T06:00:00Z'], // 09:00 MSK: allowed
    ['2026-12-01T18:59:00Z', '2026-12-01T18:59:00Z'], // 21:59 MSK: allowed
  ])('%s → %s', (due, expected) => {
    expect(new Date(outsideQuietHours(at(due), plan.quietHours, moscow)).toISOString()).toBe(new Date(expected).toISOString());
  });

  it('follows the lead zone and can be switched off', () => {
    expect(outsideQuietHours(at('2026-12-01T21:30:00Z'), plan.quietHours, 'Europe/London')).toBe(at('2026-12-01T21:30:00Z'));
    expect(outsideQuietHours(at('2026-12-01T20:30:00Z'), null, moscow)).toBe(at('2026-12-01T20:30:00Z'));
  });
});

describe('the sequence', () => {
  const lastActivityMs = at('2026-12-01T09:00:00Z'); // 12:00 MSK
  it('arms the first unsent step from the last activity; the re-engagement only once ever', () => {
    expect(nextFollowUp(plan, { lastActivityMs, sentThisSilence: [], sentEver: [] }, moscow)).toMatchObject({ step: { id: 'h24' }, dueMs: lastActivityMs + 24 * HOUR });
    expect(nextFollowUp(plan, { lastActivityMs, sentThisSilence: ['h24'], sentEver: ['h24'] }, moscow)?.step.id).toBe('h72');
    expect(nextFollowUp(plan, { lastActivityMs, sentThisSilence: [], sentEver: ['reengage'] }, moscow)?.step.id).toBe('h24');
    expect(nextFollowUp(plan, { lastActivityMs, sentThisSilence: ['h24', 'h72'], sentEver: ['reengage'] }, moscow)).toBeNull();
  });

  it('when several are overdue, only the latest goes out and the older ones are skipped', () => {
    const memory = { lastActivityMs, sentThisSilence: [], sentEver: [] };
    expect(dueFollowUps(plan, memory, lastActivityMs + 75 * HOUR)).toEqual({ send: plan.sequence[1], skipped: [plan.sequence[0]] });
    expect(dueFollowUps(plan, memory, lastActivityMs + 23 * HOUR)).toEqual({ send: null, skipped: [] });
  });

  it('catch-up offsets are stable per lead, within the spread, and differ between leads', () => {
    const offsets = Array.from({ length: 200 }, (_, i) => catchUpOffsetMs(1_000_000 + i * 7919, 60));
    expect(offsets.every((o) => o >= 0 && o < 60 * 60_000)).toBe(true);
    expect(new Set(offsets).size).toBeGreaterThan(150);
    expect(catchUpOffsetMs(42, 60)).toBe(catchUpOffsetMs(42, 60));
    expect(catchUpOffsetMs(42, 0)).toBe(0);
  });
});
