import { leadPriority, triggerOfStep, type HandoffTrigger } from '../../domain/lead-priority';
import type { Segment } from '../../domain/product-matching';

const SEGMENTS: [Segment | null | undefined, number][] = [
  ['hot', 100],
  ['warm', 60],
  ['cold', 20],
  [null, 40],
  [undefined, 40],
];

const TRIGGERS: [HandoffTrigger, number][] = [
  ['payment_started', 90],
  ['purchase_intent', 90],
  ['discount_request', 85],
  ['manager_requested', 70],
  ['contact_form', 70],
  ['model_escalation', 70],
];

describe('lead priority', () => {
  it.each(SEGMENTS)('segment %s alone gives %i', (segment, expected) => {
    expect(leadPriority(segment)).toBe(expected);
  });

  // Every segment × every trigger: the higher of the two.
  const table = SEGMENTS.flatMap(([segment, bySegment]) => TRIGGERS.map(([trigger, byTrigger]) => [segment, trigger, Math.max(bySegment, byTrigger)] as const));
  it.each(table)('segment %s with %s → %i', (segment, trigger, expected) => {
    expect(leadPriority(segment, trigger)).toBe(expected);
  });

  it('a few cases spelled out: a trigger raises a cold lead, never lowers a hot one', () => {
    expect(leadPriority('cold', 'payment_started')).toBe(90);
    expect(leadPriority('cold', 'discount_request')).toBe(85);
    expect(leadPriority('warm', 'manager_requested')).toBe(70);
    expect(leadPriority(null, 'contact_form')).toBe(70);
    expect(leadPriority('hot', 'model_escalation')).toBe(100);
    expect(leadPriority('hot', 'purchase_intent')).toBe(100);
  });

  it('payment beats a discount request, which beats a plain request for a manager', () => {
    const ranked = (['manager_requested', 'discount_request', 'payment_started'] as const).map((t) => leadPriority('cold', t));
    expect(ranked).toEqual([70, 85, 90]);
  });
});

describe('readiness in the priority', () => {
  it.each([
    // segment, trigger, readiness → priority: the highest of the segment's, the trigger's and readiness × 0.9
    [null, undefined, 95, 86],
    [null, 'manager_requested', 95, 86],
    ['cold', undefined, 50, 45],
    ['cold', 'manager_requested', 50, 70],
    ['hot', undefined, 100, 100],
    ['warm', 'purchase_intent', 100, 90],
    [null, undefined, 0, 40],
    [null, undefined, 250, 90],
    [null, undefined, Number.NaN, 40],
  ] as const)('segment %s, trigger %s, readiness %d → %i', (segment, trigger, readiness, expected) => {
    expect(leadPriority(segment, trigger, readiness)).toBe(expected);
  });

  it('readiness never lowers a priority and raises it monotonically', () => {
    for (const segment of ['cold', 'warm', 'hot', null] as const) {
      let previous = leadPriority(segment, 'contact_form');
      for (let readiness = 0; readiness <= 100; readiness += 5) {
        const priority = leadPriority(segment, 'contact_form', readiness);
        expect(priority).toBeGreaterThanOrEqual(previous);
        previous = priority;
      }
    }
  });
});

describe('trigger of a scenario step', () => {
  it.each([
    ['purchase_intent', 'purchase_intent'],
    ['payment_started', 'payment_started'],
    ['discount_request', 'discount_request'],
    ['manager_requested', 'manager_requested'],
    ['survey_done', 'manager_requested'],
    ['contact_form', 'manager_requested'],
    ['', 'manager_requested'],
    [undefined, 'manager_requested'],
  ])('step event %j → %s', (event, trigger) => {
    expect(triggerOfStep(event)).toBe(trigger);
  });
});
