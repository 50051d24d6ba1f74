/**
 * What the bot learned about a lead from its model turns (docs/llm-policy.md#what-the-bot-learns):
 * facts such as goal, experience, budget and objections, and a readiness to buy (0–100). Pure
 * rules: the segment a lead without a survey is given, and the lines staff read on the cards.
 */
import type { Segment } from './product-matching';

/** Where the lead's segment came from: the survey's score, or the model's readiness. */
export type SegmentSource = 'survey' | 'inferred';

/** The keys the model is asked to use (scenarios/prompts), shown first and by name on the cards. */
const KNOWN_FACTS: Record<string, string> = {
  goal: 'Цель',
  experience: 'Опыт',
  budget: 'Бюджет',
  objections: 'Возражения',
};

/** Readiness at or above these makes an inferred hot / warm lead; below, cold. */
export const INFERRED_HOT_FROM = 70;
export const INFERRED_WARM_FROM = 40;

/**
 * The segment of a lead who never took the survey, from how ready the model judged them. A survey's
 * segment always wins: the caller writes this one only where there is none or it was inferred too.
 */
export function inferSegment(readiness: number): Segment {
  if (readiness >= INFERRED_HOT_FROM) return 'hot';
  if (readiness >= INFERRED_WARM_FROM) return 'warm';
  return 'cold';
}

/** A readiness the model gave, kept in 0–100 whole points. */
export function clampReadiness(readiness: number): number {
  return Number.isFinite(readiness) ? Math.min(100, Math.max(0, Math.round(readiness))) : 0;
}

export interface LearnedFact {
  key: string;
  value: string;
  /** ISO time the current value was learned. */
  learnedAt: string;
}

export interface LearnedProfile {
  facts: LearnedFact[];
  readiness: number | null;
  segment: string | null;
  segmentSource: SegmentSource | null;
}

/** The profile as lines for a card: readiness and an inferred segment first, then the known facts, then the rest. */
export function profileLines(profile: LearnedProfile, formatTime?: (iso: string) => string): string[] {
  const lines: string[] = [];
  if (profile.readiness !== null) lines.push(`Готовность к покупке: ${profile.readiness}/100`);
  if (profile.segment && profile.segmentSource === 'inferred') lines.push(`Сегмент (предположен ботом, опрос не пройден): ${profile.segment}`);
  const known = Object.keys(KNOWN_FACTS);
  const ordered = [...profile.facts].sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key));
  for (const fact of ordered) {
    const when = formatTime ? ` (${formatTime(fact.learnedAt)})` : '';
    lines.push(`${KNOWN_FACTS[fact.key] ?? fact.key}: ${clip(fact.value, 200)}${when}`);
  }
  return lines;

  function rank(key: string): number {
    const i = known.indexOf(key);
    return i === -1 ? known.length : i;
  }
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
