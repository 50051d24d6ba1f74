/**
 * Which programme suits a lead, from their survey answers (docs/products-and-matching.md).
 * Pure: no I/O, no clock, no randomness, no Node built-ins, because workflow code imports it.
 */

export type Segment = 'cold' | 'warm' | 'hot';

/** A programme the school sells, as the bot presents and matches it. */
export interface Product {
  id: number;
  /** Stable key used by the seed file and in logs (e.g. crypto_start). */
  code: string;
  name: string;
  description: string;
  price: number;
  currency: string;
  valuePropositions: string[];
  targetSegments: Segment[];
  paymentLinks: { full?: string; instalment?: string };
  /** The price in Telegram Stars (XTR), when the product can be paid with a Stars invoice. */
  starsPrice?: number;
  landingUrl?: string;
  mediaUrl?: string;
  active: boolean;
  /** 0-3: the budget of the lead the product suits; only breaks ties between equal scores. */
  budgetLevel: number;
  /** 0-3: how soon that lead wants results; only breaks ties between equal scores. */
  urgencyLevel: number;
}

/** One survey answer that speaks for (positive weight) or against (negative weight) a product. */
export interface Criterion {
  productId: number;
  question: string;
  answer: string;
  weight: number;
  /** Shown to the lead as "why it matches" when the criterion is positive and matched. */
  reason?: string;
}

/** A product as editors describe it in the seed file: no database id, its criteria inline. */
export interface ProductDefinition extends Omit<Product, 'id'> {
  criteria: Omit<Criterion, 'productId'>[];
}

/** The products file: the whole catalogue, keyed by product code. */
export interface ProductSeed {
  products: ProductDefinition[];
}

/** What matching knows about a lead. Unknown levels and segment express no preference. */
export interface MatchingLead {
  /** Survey answers by question, e.g. { q1: 'no_experience' }. */
  answers: Record<string, string>;
  segment: Segment | null;
  budgetLevel: number | null;
  urgencyLevel: number | null;
}

export interface Match {
  product: Product;
  /** 0..1. */
  score: number;
  /** The score as a rounded percentage, for "matches by 56%". */
  percent: number;
  /** Reasons of the matched positive criteria, strongest first. */
  reasons: string[];
}

export interface MatchResult {
  /** The highest-ranked product, if it reaches MATCH_THRESHOLD; otherwise offer a consultation. */
  best: Match | null;
  /** The first three in rank order, whatever their scores: logged with every match. */
  top: Match[];
}

/** A product is offered only at this score or above. */
export const MATCH_THRESHOLD = 0.4;

const TOP_SIZE = 3;

/**
 * Scores every active product and ranks them: by score, then closer budget level, closer
 * urgency level, segment fit, lower id. Criteria of unknown or inactive products are ignored.
 */
export function matchProducts(
  products: readonly Product[],
  criteria: readonly Criterion[],
  lead: MatchingLead,
): MatchResult {
  const byProduct = new Map<number, Criterion[]>();
  for (const criterion of criteria) {
    const list = byProduct.get(criterion.productId) ?? [];
    list.push(criterion);
    byProduct.set(criterion.productId, list);
  }
  const ranked = products
    .filter((product) => product.active)
    .map((product) => scoreProduct(product, byProduct.get(product.id) ?? [], lead.answers))
    .sort((a, b) => compareMatches(a, b, lead));
  const top = ranked.slice(0, TOP_SIZE);
  const best = top.length > 0 && top[0].score >= MATCH_THRESHOLD ? top[0] : null;
  return { best, top };
}

/**
 * clamp((Σ matched positive − Σ matched |negative|) / Σ positive weights, 0, 1); a product
 * with no positive weight scores 0. The score is rounded to 9 decimals so that float noise
 * (0.7 − 0.3 = 0.39999999999999997) neither misses the threshold nor breaks a tie.
 */
function scoreProduct(product: Product, criteria: readonly Criterion[], answers: Record<string, string>): Match {
  let possible = 0;
  let gained = 0;
  let lost = 0;
  const matchedPositive: Criterion[] = [];
  for (const criterion of criteria) {
    const matched = answers[criterion.question] === criterion.answer;
    if (criterion.weight > 0) {
      possible += criterion.weight;
      if (matched) {
        gained += criterion.weight;
        matchedPositive.push(criterion);
      }
    } else if (matched) {
      lost += Math.abs(criterion.weight);
    }
  }
  const raw = possible > 0 ? (gained - lost) / possible : 0;
  const score = Math.round(Math.min(1, Math.max(0, raw)) * 1e9) / 1e9;
  // Array.prototype.sort is stable: equal weights keep the order the criteria came in.
  const reasons = matchedPositive
    .sort((a, b) => b.weight - a.weight)
    .map((criterion) => criterion.reason?.trim() ?? '')
    .filter((reason, index, all) => reason !== '' && all.indexOf(reason) === index);
  return { product, score, percent: Math.round(score * 100), reasons };
}

function compareMatches(a: Match, b: Match, lead: MatchingLead): number {
  return (
    b.score - a.score ||
    levelDistance(a.product.budgetLevel, lead.budgetLevel) - levelDistance(b.product.budgetLevel, lead.budgetLevel) ||
    levelDistance(a.product.urgencyLevel, lead.urgencyLevel) - levelDistance(b.product.urgencyLevel, lead.urgencyLevel) ||
    segmentMisfit(a.product, lead.segment) - segmentMisfit(b.product, lead.segment) ||
    a.product.id - b.product.id
  );
}

/** An unknown lead level puts every product at the same distance. */
function levelDistance(productLevel: number, leadLevel: number | null): number {
  return leadLevel === null ? 0 : Math.abs(productLevel - leadLevel);
}

function segmentMisfit(product: Product, segment: Segment | null): number {
  return segment === null || product.targetSegments.includes(segment) ? 0 : 1;
}
