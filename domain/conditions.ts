import type { Segment } from './product-matching';
import { localTime, wallClock } from './time-zone';

/**
 * A condition in a scenario file. Every listed part must hold; an empty condition always holds.
 * `time` is read in the lead's zone: `before`/`after` are HH:MM, `weekdays` Monday–Friday.
 */
export interface Condition {
  segment?: (Segment | 'unknown')[];
  score?: { min?: number; max?: number };
  answers?: Record<string, string[]>;
  stage?: string[];
  time?: { before?: string; after?: string; weekdays?: boolean };
  /** Whether product matching found a product above the threshold. */
  product?: 'matched' | 'none';
}

/** What conditions can look at. `localTime` is HH:MM and `weekday` 1 (Mon)–7 (Sun), both in the lead's zone. */
export interface ConditionFacts {
  segment: Segment | null;
  score: number | null;
  answers: Record<string, string>;
  stage: string;
  localTime: string;
  weekday: number;
  productMatched: boolean | null;
}

export function holds(condition: Condition | undefined, facts: ConditionFacts): boolean {
  if (!condition) return true;
  if (condition.segment && !condition.segment.includes(facts.segment ?? 'unknown')) return false;
  if (condition.score) {
    if (facts.score === null) return false;
    if (condition.score.min !== undefined && facts.score < condition.score.min) return false;
    if (condition.score.max !== undefined && facts.score > condition.score.max) return false;
  }
  for (const [question, codes] of Object.entries(condition.answers ?? {})) {
    if (!codes.includes(facts.answers[question])) return false;
  }
  if (condition.stage && !condition.stage.includes(facts.stage)) return false;
  if (condition.product && (facts.productMatched === null || (condition.product === 'matched') !== facts.productMatched)) return false;
  if (condition.time) {
    const { before, after, weekdays } = condition.time;
    if (before && !(facts.localTime < before)) return false;
    if (after && !(facts.localTime >= after)) return false;
    if (weekdays && facts.weekday > 5) return false;
  }
  return true;
}

/** Local HH:MM and ISO weekday of an instant in a time zone. */
export function localClock(epochMs: number, timeZone: string): { localTime: string; weekday: number } {
  return { localTime: localTime(epochMs, timeZone), weekday: wallClock(epochMs, timeZone).weekday };
}
