import { createHash } from 'node:crypto';
import type { AbMetric, AbVariant, VariantKey } from './campaign';

/**
 * The A/B rules of docs/broadcasts.md#ab-tests, pure so they read the same everywhere: who is in the
 * pilot and which variant they get (a hash of the test and the lead: sticky across runs, restarts
 * and re-snapshots), and which variant wins.
 */

/** docs/broadcasts.md#ab-tests: at least 100 delivered in total and 30 per variant before a winner is picked. */
export const MIN_DELIVERED_TOTAL = 100;
export const MIN_DELIVERED_PER_VARIANT = 30;

/** A number in [0, 1) from a hash of the parts: the same parts always give the same number. */
function unitHash(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join(':')).digest().readUInt32BE(0) / 2 ** 32;
}

/** Whether the lead is in the test's pilot share (percent). */
export function inPilot(campaignId: number, leadId: number, pilotShare: number): boolean {
  return unitHash('pilot', campaignId, leadId) < pilotShare / 100;
}

/** The lead's variant, by weight. Drawn from its own hash so pilot membership and variant are independent. */
export function variantFor(campaignId: number, leadId: number, variants: Pick<AbVariant, 'key' | 'weight'>[]): VariantKey {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  let point = unitHash('variant', campaignId, leadId) * total;
  for (const variant of variants) {
    if (point < variant.weight) return variant.key;
    point -= variant.weight;
  }
  return variants[variants.length - 1].key;
}

/** One variant's pilot figures within the window. */
export interface VariantStats {
  key: VariantKey;
  /** Reached the lead (status sent). */
  delivered: number;
  /** Did what the metric counts (clicked, replied, became a lead, paid). */
  successes: number;
  unsubscribes: number;
}

export type WinnerDecision =
  | { decided: true; winner: VariantKey; reason: string }
  | { decided: false; reason: string };

export const METRIC_NAMES: Record<AbMetric, string> = {
  click_rate: 'кликабельность',
  reply_rate: 'доля ответов',
  lead_conversion: 'конверсия в заявку',
  payment_conversion: 'конверсия в оплату',
};

/**
 * The best variant by the metric; equal rates go to the lower unsubscribe rate, then to the
 * variant listed first. Without enough data (unless `waiveMinimum`, for "deliver now") no winner.
 */
export function pickWinner(stats: VariantStats[], options: { waiveMinimum?: boolean } = {}): WinnerDecision {
  const total = stats.reduce((sum, s) => sum + s.delivered, 0);
  if (!options.waiveMinimum) {
    if (total < MIN_DELIVERED_TOTAL) return { decided: false, reason: `доставлено ${total} из нужных ${MIN_DELIVERED_TOTAL}` };
    const short = stats.filter((s) => s.delivered < MIN_DELIVERED_PER_VARIANT);
    if (short.length) return { decided: false, reason: `в вариантах ${short.map((s) => s.key).join(', ')} доставлено меньше ${MIN_DELIVERED_PER_VARIANT}` };
  }
  const ranked = [...stats].sort((a, b) => compareRates(b.successes, b.delivered, a.successes, a.delivered) || compareRates(a.unsubscribes, a.delivered, b.unsubscribes, b.delivered));
  const [best, second] = ranked;
  if (!best) return { decided: false, reason: 'нет вариантов' };
  const tiedOnMetric = second !== undefined && compareRates(best.successes, best.delivered, second.successes, second.delivered) === 0;
  const reason = tiedOnMetric
    ? `ничья по метрике (${percent(best.successes, best.delivered)}); меньше отписок: ${percent(best.unsubscribes, best.delivered)}`
    : `лучший по метрике: ${percent(best.successes, best.delivered)}`;
  return { decided: true, winner: best.key, reason };
}

/** Compares x1/y1 with x2/y2 exactly (an empty variant counts as 0). */
function compareRates(x1: number, y1: number, x2: number, y2: number): number {
  const left = y1 === 0 ? 0 : x1 * (y2 || 1);
  const right = y2 === 0 ? 0 : x2 * (y1 || 1);
  return Math.sign(left - right);
}

export function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${((part / whole) * 100).toFixed(1)}%`;
}
