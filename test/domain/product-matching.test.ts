import { MATCH_THRESHOLD, matchProducts, type Criterion, type MatchingLead, type Product } from '../../domain/product-matching';

function product(id: number, overrides: Partial<Product> = {}): Product {
  return {
    id,
    code: `p${id}`,
    name: `Product ${id}`,
    description: 'A programme',
    price: 100,
    currency: 'USD',
    valuePropositions: [],
    targetSegments: ['warm'],
    paymentLinks: {},
    active: true,
    budgetLevel: 1,
    urgencyLevel: 1,
    ...overrides,
  };
}

function criterion(productId: number, question: string, answer: string, weight: number, reason?: string): Criterion {
  return { productId, question, answer, weight, ...(reason !== undefined && { reason }) };
}

function lead(answers: Record<string, string>, overrides: Partial<MatchingLead> = {}): MatchingLead {
  return { answers, segment: null, budgetLevel: null, urgencyLevel: null, ...overrides };
}

/** The score of one product alone, as matchProducts reports it. */
function scoreOf(p: Product, criteria: Criterion[], answers: Record<string, string>): number {
  return matchProducts([p], criteria, lead(answers)).top[0].score;
}

const ids = (matches: { product: Product }[]) => matches.map((m) => m.product.id);

describe('matchProducts', () => {
  describe('the score', () => {
    it('is (matched positive − matched |negative|) / all positive weights', () => {
      // positive weights 3 + 2 + 5 = 10; matched +3 +2, matched −1 → (5 − 1) / 10 = 0.4
      const criteria = [
        criterion(1, 'q1', 'a', 3),
        criterion(1, 'q2', 'b', 2),
        criterion(1, 'q3', 'c', 5),
        criterion(1, 'q4', 'd', -1),
        criterion(1, 'q5', 'e', -4), // not matched: costs nothing
      ];
      const { top } = matchProducts([product(1)], criteria, lead({ q1: 'a', q2: 'b', q3: 'x', q4: 'd', q5: 'x' }));
      expect(top[0].score).toBe(0.4);
      expect(top[0].percent).toBe(40);
    });

    it('rounds percent to an integer: 2 of 3 is 67%', () => {
      const match = matchProducts([product(1)], [criterion(1, 'q1', 'a', 2), criterion(1, 'q2', 'b', 1)], lead({ q1: 'a' })).top[0];
      expect(match.score).toBeCloseTo(2 / 3, 9);
      expect(match.percent).toBe(67);
    });

    it('is clamped at 0 when anti-signals outweigh the matches', () => {
      // (1 − 4) / 3 = −1 → 0
      const criteria = [criterion(1, 'q1', 'a', 1), criterion(1, 'q2', 'b', 2), criterion(1, 'q3', 'c', -4)];
      expect(scoreOf(product(1), criteria, { q1: 'a', q3: 'c' })).toBe(0);
    });

    it('is clamped at 1 and reaches it when every positive criterion matches', () => {
      const criteria = [criterion(1, 'q1', 'a', 2), criterion(1, 'q2', 'b', 3)];
      expect(scoreOf(product(1), criteria, { q1: 'a', q2: 'b' })).toBe(1);
    });

    it('is 0 for a product with no positive weight, or no criteria at all', () => {
      expect(scoreOf(product(1), [criterion(1, 'q1', 'a', -2)], { q1: 'b' })).toBe(0);
      expect(scoreOf(product(1), [], { q1: 'a' })).toBe(0);
    });

    it('counts only the criteria of that product', () => {
      const criteria = [criterion(1, 'q1', 'a', 1), criterion(1, 'q2', 'b', 1), criterion(2, 'q2', 'b', -5), criterion(99, 'q1', 'a', 7)];
      expect(scoreOf(product(1), criteria, { q1: 'a', q2: 'b' })).toBe(1);
    });

    it('is not thrown off by float noise: (0.7 − 0.3) / 1 is exactly 0.4', () => {
      expect(0.7 - 0.3).not.toBe(0.4); // 0.39999999999999997
      const criteria = [criterion(1, 'q1', 'a', 0.7), criterion(1, 'q2', 'b', 0.3), criterion(1, 'q3', 'c', -0.3)];
      const result = matchProducts([product(1)], criteria, lead({ q1: 'a', q3: 'c' }));
      expect(result.top[0].score).toBe(0.4);
      expect(result.best?.product.id).toBe(1);
    });
  });

  describe('the threshold', () => {
    it('is 0.4', () => {
      expect(MATCH_THRESHOLD).toBe(0.4);
    });

    it('0.4 is offered', () => {
      const criteria = [criterion(1, 'q1', 'a', 2), criterion(1, 'q2', 'b', 3)]; // 2 / 5
      const { best } = matchProducts([product(1)], criteria, lead({ q1: 'a' }));
      expect(best).toMatchObject({ product: { id: 1 }, score: 0.4, percent: 40 });
    });

    it('0.39 is not offered, but still logged in the top', () => {
      const criteria = [criterion(1, 'q1', 'a', 39), criterion(1, 'q2', 'b', 61)]; // 39 / 100
      const { best, top } = matchProducts([product(1)], criteria, lead({ q1: 'a' }));
      expect(best).toBeNull();
      expect(top).toHaveLength(1);
      expect(top[0].score).toBe(0.39);
    });

    it('no products: no best, empty top', () => {
      expect(matchProducts([], [], lead({ q1: 'a' }))).toEqual({ best: null, top: [] });
    });
  });

  describe('reasons', () => {
    it('lists the matched positive criteria, strongest first, without anti-signals, blanks or repeats', () => {
      const criteria = [
        criterion(1, 'q1', 'a', 1, 'weak'),
        criterion(1, 'q2', 'b', 3, 'strong'),
        criterion(1, 'q3', 'c', 2, 'middle'),
        criterion(1, 'q4', 'd', 2, 'also middle'),
        criterion(1, 'q5', 'e', 5, 'not matched'),
        criterion(1, 'q6', 'f', -1, 'anti-signal'),
        criterion(1, 'q7', 'g', 1), // no reason
        criterion(1, 'q8', 'h', 1, '  '),
        criterion(1, 'q9', 'i', 1, 'weak'),
      ];
      const answers = { q1: 'a', q2: 'b', q3: 'c', q4: 'd', q6: 'f', q7: 'g', q8: 'h', q9: 'i' };
      const { top } = matchProducts([product(1)], criteria, lead(answers));
      expect(top[0].reasons).toEqual(['strong', 'middle', 'also middle', 'weak']);
    });
  });

  describe('ranking', () => {
    // Every product here scores 0.5: q1 = a matches 1 of 2.
    const halfOf = (...productIds: number[]) => productIds.flatMap((id) => [criterion(id, 'q1', 'a', 1), criterion(id, 'q2', 'b', 1)]);
    const answers = { q1: 'a' };

    it('orders by score first, whatever the levels say', () => {
      const criteria = [...halfOf(1), criterion(2, 'q1', 'a', 1)]; // 1: 0.5, 2: 1
      const products = [product(1, { budgetLevel: 2, urgencyLevel: 2, targetSegments: ['hot'] }), product(2, { budgetLevel: 0, urgencyLevel: 0 })];
      const { best } = matchProducts(products, criteria, lead(answers, { segment: 'hot', budgetLevel: 2, urgencyLevel: 2 }));
      expect(best?.product.id).toBe(2);
    });

    it('ties: the closer budget level wins over urgency, segment and id', () => {
      const products = [
        product(1, { budgetLevel: 3, urgencyLevel: 2, targetSegments: ['hot'] }), // budget 2 away
        product(2, { budgetLevel: 0, urgencyLevel: 0, targetSegments: ['cold'] }), // budget 1 away
      ];
      const { top } = matchProducts(products, halfOf(1, 2), lead(answers, { segment: 'hot', budgetLevel: 1, urgencyLevel: 2 }));
      expect(ids(top)).toEqual([2, 1]);
    });

    it('ties at equal budget distance: the closer urgency level wins over segment and id', () => {
      const products = [
        product(1, { budgetLevel: 2, urgencyLevel: 0, targetSegments: ['hot'] }), // urgency 3 away
        product(2, { budgetLevel: 0, urgencyLevel: 2, targetSegments: ['cold'] }), // urgency 1 away
      ];
      const { top } = matchProducts(products, halfOf(1, 2), lead(answers, { segment: 'hot', budgetLevel: 1, urgencyLevel: 3 }));
      expect(ids(top)).toEqual([2, 1]);
    });

    it('ties at equal level distances: the product meant for the lead’s segment wins over id', () => {
      const products = [product(1, { targetSegments: ['cold'] }), product(2, { targetSegments: ['warm', 'hot'] })];
      const { top } = matchProducts(products, halfOf(1, 2), lead(answers, { segment: 'hot', budgetLevel: 1, urgencyLevel: 1 }));
      expect(ids(top)).toEqual([2, 1]);
    });

    it('ties on everything: the lower id wins', () => {
      const products = [product(3), product(1), product(2)];
      const { best, top } = matchProducts(products, halfOf(1, 2, 3), lead(answers, { segment: 'warm', budgetLevel: 1, urgencyLevel: 1 }));
      expect(ids(top)).toEqual([1, 2, 3]);
      expect(best?.product.id).toBe(1);
    });

    it('an unknown lead level or segment is no preference: the next rule decides', () => {
      const products = [
        product(1, { budgetLevel: 3, urgencyLevel: 3, targetSegments: ['hot'] }),
        product(2, { budgetLevel: 0, urgencyLevel: 1, targetSegments: ['cold'] }),
      ];
      const criteria = halfOf(1, 2);
      // budget unknown → urgency decides (lead 1: product 2 is closer)
      expect(ids(matchProducts(products, criteria, lead(answers, { budgetLevel: null, urgencyLevel: 1, segment: 'hot' })).top)).toEqual([2, 1]);
      // both levels unknown → segment decides (product 1 is for hot leads)
      expect(ids(matchProducts(products, criteria, lead(answers, { segment: 'hot' })).top)).toEqual([1, 2]);
      // nothing known → id decides
      expect(ids(matchProducts(products, criteria, lead(answers)).top)).toEqual([1, 2]);
    });
  });

  it('ignores inactive products, even the best-scoring one', () => {
    const products = [product(1, { active: false }), product(2)];
    const criteria = [criterion(1, 'q1', 'a', 1), criterion(2, 'q1', 'a', 1), criterion(2, 'q2', 'b', 1)];
    const { best, top } = matchProducts(products, criteria, lead({ q1: 'a' }));
    expect(best?.product.id).toBe(2);
    expect(ids(top)).toEqual([2]);
  });

  it('top is the first 3 in rank order, including products below the threshold', () => {
    const products = [product(1), product(2), product(3), product(4), product(5)];
    // scores: 1 → 0.25, 2 → 1, 3 → 0, 4 → 0.5, 5 → 0.75
    const criteria = [
      criterion(1, 'q1', 'a', 1), criterion(1, 'q2', 'x', 3),
      criterion(2, 'q1', 'a', 1),
      criterion(3, 'q2', 'x', 1),
      criterion(4, 'q1', 'a', 1), criterion(4, 'q2', 'x', 1),
      criterion(5, 'q1', 'a', 3), criterion(5, 'q2', 'x', 1),
    ];
    const { best, top } = matchProducts(products, criteria, lead({ q1: 'a' }));
    expect(ids(top)).toEqual([2, 5, 4]);
    expect(top.map((m) => m.score)).toEqual([1, 0.75, 0.5]);
    expect(best).toBe(top[0]);
  });

  describe('properties (seeded pseudo-random cases)', () => {
    /** mulberry32: a small deterministic generator, so a failure replays exactly. */
    function random(seed: number): () => number {
      let a = seed >>> 0;
      return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }

    const QUESTIONS = ['q1', 'q2', 'q3', 'q4', 'q5'];
    const ANSWERS = ['a', 'b', 'c', 'd'];

    function randomCase(next: () => number) {
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
      const criteria: Criterion[] = [];
      const count = Math.floor(next() * 9);
      for (let i = 0; i < count; i++) {
        // weights in [−5, 5] with two decimals; a few are exactly 0 when rounding lands there
        const weight = Math.round((next() * 10 - 5) * 100) / 100;
        criteria.push(criterion(1, pick(QUESTIONS), pick(ANSWERS), weight));
      }
      const answers: Record<string, string> = {};
      for (const question of QUESTIONS) if (next() < 0.8) answers[question] = pick(ANSWERS);
      return { criteria, answers, pick };
    }

    it('the score is always within [0, 1] and percent within [0, 100]', () => {
      const next = random(20261129);
      for (let run = 0; run < 2000; run++) {
        const { criteria, answers } = randomCase(next);
        const match = matchProducts([product(1)], criteria, lead(answers)).top[0];
        expect(match.score).toBeGreaterThanOrEqual(0);
        expect(match.score).toBeLessThanOrEqual(1);
        expect(match.percent).toBeGreaterThanOrEqual(0);
        expect(match.percent).toBeLessThanOrEqual(100);
      }
    });

    it('adding a matched positive criterion never lowers the score', () => {
      const next = random(42);
      for (let run = 0; run < 2000; run++) {
        const { criteria, answers, pick } = randomCase(next);
        const question = pick(QUESTIONS);
        answers[question] ??= pick(ANSWERS);
        const weight = Math.round((0.01 + next() * 5) * 100) / 100;
        const before = scoreOf(product(1), criteria, answers);
        const after = scoreOf(product(1), [...criteria, criterion(1, question, answers[question], weight)], answers);
        expect(after).toBeGreaterThanOrEqual(before);
      }
    });
  });
});
