import { inferSegment, profileLines } from '../../domain/lead-profile';

describe('the segment inferred from readiness', () => {
  it.each([
    [0, 'cold'],
    [39, 'cold'],
    [40, 'warm'],
    [69, 'warm'],
    [70, 'hot'],
    [100, 'hot'],
  ] as const)('readiness %i → %s', (readiness, segment) => {
    expect(inferSegment(readiness)).toBe(segment);
  });
});

describe('the profile on the cards', () => {
  const at = '2026-12-01T10:00:00.000Z';
  it('readiness and an inferred segment first, then goal, experience, budget, objections, then other facts by name', () => {
    const lines = profileLines({
      readiness: 65,
      segment: 'warm',
      segmentSource: 'inferred',
      facts: [
        { key: 'timezone', value: 'UTC+3', learnedAt: at },
        { key: 'objections', value: 'дорого', learnedAt: at },
        { key: 'goal', value: 'доход', learnedAt: at },
        { key: 'budget', value: '300$', learnedAt: at },
      ],
    });
    expect(lines).toEqual(['Готовность к покупке: 65/100', 'Сегмент (предположен ботом, опрос не пройден): warm', 'Цель: доход', 'Бюджет: 300$', 'Возражения: дорого', 'timezone: UTC+3']);
  });

  it("a survey's segment is not repeated (the card's header shows it); nothing learned, no lines", () => {
    expect(profileLines({ readiness: null, segment: 'hot', segmentSource: 'survey', facts: [] })).toEqual([]);
  });

  it('with a clock, each fact says when it was learned', () => {
    expect(profileLines({ readiness: null, segment: null, segmentSource: null, facts: [{ key: 'goal', value: 'доход', learnedAt: at }] }, (iso) => iso.slice(0, 10))).toEqual(['Цель: доход (2026-12-01)']);
  });
});
