import { inPilot, pickWinner, variantFor, type VariantStats } from '../../../domain/broadcasts/ab-test';

const stats = (key: 'A' | 'B' | 'C', delivered: number, successes: number, unsubscribes = 0): VariantStats => ({ key, delivered, successes, unsubscribes });

describe('A/B assignment by a hash of (test, lead)', () => {
  const leads = Array.from({ length: 5000 }, (_, i) => 10_000 + i);

  it('puts about the pilot share of the audience in the pilot, the same leads every time', () => {
    const pilot = leads.filter((lead) => inPilot(42, lead, 20));
    expect(pilot.length / leads.length).toBeGreaterThan(0.18);
    expect(pilot.length / leads.length).toBeLessThan(0.22);
    expect(leads.filter((lead) => inPilot(42, lead, 20))).toEqual(pilot);
    // Another test draws another pilot.
    const other = leads.filter((lead) => inPilot(43, lead, 20));
    expect(other.filter((lead) => pilot.includes(lead)).length).toBeLessThan(pilot.length / 2);
  });

  it('splits variants by weight and keeps each lead on its variant', () => {
    const variants = [{ key: 'A' as const, weight: 50 }, { key: 'B' as const, weight: 25 }, { key: 'C' as const, weight: 25 }];
    const assigned = leads.map((lead) => variantFor(7, lead, variants));
    const share = (key: string) => assigned.filter((k) => k === key).length / leads.length;
    expect(share('A')).toBeGreaterThan(0.47);
    expect(share('A')).toBeLessThan(0.53);
    expect(share('B')).toBeGreaterThan(0.22);
    expect(share('C')).toBeGreaterThan(0.22);
    expect(leads.map((lead) => variantFor(7, lead, variants))).toEqual(assigned);
  });
});

describe('the winner rule', () => {
  it('picks the best rate by the metric', () => {
    expect(pickWinner([stats('A', 60, 6), stats('B', 60, 12)])).toMatchObject({ decided: true, winner: 'B' });
    expect(pickWinner([stats('A', 80, 20), stats('B', 40, 9), stats('C', 40, 11)])).toMatchObject({ decided: true, winner: 'C' });
  });

  it('a tie on the metric goes to the lower unsubscribe rate', () => {
    const decision = pickWinner([stats('A', 60, 12, 5), stats('B', 60, 12, 1)]);
    expect(decision).toMatchObject({ decided: true, winner: 'B' });
    expect(decision.reason).toMatch(/ничья/);
    // Rates compared exactly: 10/50 equals 12/60.
    expect(pickWinner([stats('A', 50, 10, 3), stats('B', 60, 12, 1)])).toMatchObject({ winner: 'B' });
  });

  it('no winner below 100 delivered in total or 30 in a variant', () => {
    expect(pickWinner([stats('A', 45, 9), stats('B', 45, 1)])).toEqual({ decided: false, reason: 'доставлено 90 из нужных 100' });
    expect(pickWinner([stats('A', 90, 9), stats('B', 29, 20)])).toMatchObject({ decided: false, reason: expect.stringContaining('B') });
  });

  it('"deliver now" waives the minimum and takes the best so far', () => {
    expect(pickWinner([stats('A', 10, 1), stats('B', 10, 3)], { waiveMinimum: true })).toMatchObject({ decided: true, winner: 'B' });
  });
});
