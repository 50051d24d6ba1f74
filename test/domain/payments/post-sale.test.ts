import { duePostSale, nextPostSaleAt, type PostSalePlan } from '../../../domain/payments/post-sale';

const HOUR = 3_600_000;
const plan: PostSalePlan = {
  quietHours: { from: '22:00', to: '09:00' },
  sequence: [
    { id: 'day1', afterHours: 24, text: 'one' },
    { id: 'day3', afterHours: 72, text: 'three' },
    { id: 'day7', afterHours: 168, text: 'seven' },
  ],
};
const paidAtMs = Date.parse('2026-12-01T11:00:00Z'); // 14:00 in Moscow

describe('post-sale sequence', () => {
  it('counts from the payment, one message after another', () => {
    expect(nextPostSaleAt(plan, { paidAtMs, sent: [] }, 'Europe/Moscow')).toBe(paidAtMs + 24 * HOUR);
    expect(nextPostSaleAt(plan, { paidAtMs, sent: ['day1'] }, 'Europe/Moscow')).toBe(paidAtMs + 72 * HOUR);
    expect(nextPostSaleAt(plan, { paidAtMs, sent: ['day1', 'day3', 'day7'] }, 'Europe/Moscow')).toBeNull();
  });

  it('a message due in the quiet hours waits for 09:00', () => {
    const lateEvening = Date.parse('2026-12-01T20:00:00Z'); // 23:00 in Moscow
    expect(new Date(nextPostSaleAt(plan, { paidAtMs: lateEvening, sent: [] }, 'Europe/Moscow') as number).toISOString()).toBe('2026-12-03T06:00:00.000Z');
  });

  it('after a long gap only the latest due message goes out; the older ones are skipped', () => {
    const due = duePostSale(plan, { paidAtMs, sent: [] }, paidAtMs + 100 * HOUR);
    expect(due.send?.id).toBe('day3');
    expect(due.skipped.map((s) => s.id)).toEqual(['day1']);
    expect(duePostSale(plan, { paidAtMs, sent: [] }, paidAtMs + 23 * HOUR).send).toBeNull();
  });
});
