/**
 * The policy layer after the model (docs/llm-policy.md): what the bot actually does with a model
 * turn. Rules apply in a fixed order — segment, anti-repetition, escalation, stage, readiness,
 * safety — and each one that changes something leaves a line in `decisions` for the turn's record.
 *
 * Pure: no I/O, no clock, no randomness, no Node built-ins, because workflow code imports it.
 */
import { SALES_STAGES, type ModelReply, type NextAction, type SalesStage } from './llm-reply';
import { checkSafety, type SafetyResult } from './safety';

/** Why a turn goes to a manager instead of (or before) the lead. */
export type EscalationReason = 'low_confidence' | 'two_low_in_a_row' | 'technical_low_confidence' | 'unsafe' | 'model_asked';

export interface PolicyInput {
  reply: ModelReply;
  lead: { segment: 'cold' | 'warm' | 'hot' | null; score: number | null; stage: SalesStage; readiness: number };
  /** Next actions of the bot's previous turns, oldest first (the policy reads the last 3). */
  recentActions: NextAction[];
  /** Confidence of the previous model turn, if any. */
  previousConfidence: number | null;
  leadText: string;
  language: 'ru' | 'en';
}

export interface PolicyDecision {
  nextAction: NextAction;
  stage: SalesStage;
  readiness: number;
  /** The text for the lead, after the safety pass; never to be sent when `safety.blocked`. */
  reply: string;
  /** True whenever `nextAction` is `escalate_to_manager` (anti-repetition can escalate without a reason below). */
  escalate: boolean;
  escalationReasons: EscalationReason[];
  safety: SafetyResult;
  /** One line per rule applied, in order, for the turn's record (e.g. "cold lead: offer_payment → show_materials"). */
  decisions: string[];
}

/** Topics the model gets wrong with confidence: stems, matched at the start of a word, hyphen or space alike. */
export const TECHNICAL_TOPICS: readonly string[] = ['blockchain', 'блокчейн', 'mining', 'майнинг', 'hash', 'хеш', 'хэш', 'consensus', 'консенсус', 'smart contract', 'смарт-контракт'];

/** Strict thresholds: a confidence equal to one does not escalate. */
const LOW_CONFIDENCE = 0.35;
const TWO_LOW_CONFIDENCE = 0.5;
const TECHNICAL_CONFIDENCE = 0.7;
const WARM_PAYMENT_MIN_SCORE = 8;
const HOT_CONSULT_ABOVE_SCORE = 12;
const REPETITION_WINDOW = 3;
const REPETITION_LIMIT = 2;

const QUESTION_WORDS = new Set(['как', 'что', 'сколько', 'когда', 'почему', 'зачем', 'где', 'можно', 'how', 'what', 'when', 'why', 'can', 'is', 'are', 'do', 'does']);

/** Decides what the bot does with a model turn. */
export function applyPolicy(input: PolicyInput): PolicyDecision {
  const { reply, lead } = input;
  const decisions: string[] = [];
  const safety = checkSafety(reply.reply, input.language);

  // (a) Segment: who may be offered what.
  let action = reply.nextAction;
  const switchTo = (next: NextAction, why: string) => {
    if (next === action) return;
    decisions.push(`${why}: ${action} → ${next}`);
    action = next;
  };
  if (lead.segment === 'cold' && action === 'offer_payment') switchTo('show_materials', 'cold lead');
  // An unknown score is not evidence of readiness: a warm lead without one is not offered payment either.
  if (lead.segment === 'warm' && action === 'offer_payment' && (lead.score === null || lead.score < WARM_PAYMENT_MIN_SCORE)) {
    switchTo('offer_consult', `warm lead, score ${lead.score ?? 'unknown'} < ${WARM_PAYMENT_MIN_SCORE}`);
  }
  if (
    lead.segment === 'hot' &&
    lead.score !== null &&
    lead.score > HOT_CONSULT_ABOVE_SCORE &&
    (action === 'offer_payment' || action === 'answer') &&
    isQuestion(input.leadText)
  ) {
    switchTo('offer_consult', `hot lead, score ${lead.score} > ${HOT_CONSULT_ABOVE_SCORE}, asked a question`);
  }

  // (b) Anti-repetition over the last 3 bot turns. 'answer' is exempt: replying to what the lead
  // asked is not a push, and a lead asking three questions in a row must get three answers, not a manager.
  const repeats = input.recentActions.slice(-REPETITION_WINDOW).filter((previous) => previous === action).length;
  if (action !== 'answer' && repeats >= REPETITION_LIMIT) {
    const offer = action === 'offer_consult' || action === 'offer_payment';
    switchTo(offer ? 'show_materials' : 'escalate_to_manager', `anti-repetition: ${action} ${repeats}× in the last ${REPETITION_WINDOW} turns`);
  }

  // (c) Escalation.
  const confidence = Number.isFinite(reply.confidence) ? reply.confidence : 0; // validated upstream; garbage counts as no confidence
  const reasons: EscalationReason[] = [];
  if (confidence < LOW_CONFIDENCE) reasons.push('low_confidence');
  if (confidence < TWO_LOW_CONFIDENCE && input.previousConfidence !== null && input.previousConfidence < TWO_LOW_CONFIDENCE) reasons.push('two_low_in_a_row');
  if (confidence < TECHNICAL_CONFIDENCE && (mentionsTechnicalTopic(input.leadText) || mentionsTechnicalTopic(reply.reply))) reasons.push('technical_low_confidence');
  if (safety.blocked) reasons.push('unsafe');
  if (reply.nextAction === 'escalate_to_manager') reasons.push('model_asked');
  if (reasons.length > 0) {
    if (action === 'escalate_to_manager') decisions.push(`escalate (${reasons.join(', ')})`);
    else switchTo('escalate_to_manager', `escalate (${reasons.join(', ')})`);
  }

  // (d) Stage: forward at most one step, never back.
  const stage = nextStage(lead.stage, reply.stage);
  if (stage !== reply.stage) {
    const current = currentStage(lead.stage);
    decisions.push(
      stageIndex(reply.stage) > stageIndex(current)
        ? `stage: model proposed ${reply.stage}, one step at most: ${current} → ${stage}`
        : `stage: model proposed ${reply.stage}, never back: stays ${stage}`,
    );
  }

  // (e) Readiness within 0–100.
  const readiness = clampReadiness(reply.readiness, lead.readiness);
  if (readiness !== reply.readiness) decisions.push(`readiness: ${reply.readiness} → ${readiness}`);

  // (f) Safety.
  if (safety.blocked) decisions.push(`safety: blocked (${safety.blockReasons.join(', ')})`);
  for (const rewrite of safety.rewrites) decisions.push(`safety: ${rewrite.rule}: «${rewrite.from}» → «${rewrite.to}»`);
  if (safety.flags.length > 0) decisions.push(`safety: flagged ${safety.flags.join(', ')}`);
  if (safety.disclaimerAdded) decisions.push('safety: risk disclaimer added');

  return {
    nextAction: action,
    stage,
    readiness,
    reply: safety.text,
    escalate: action === 'escalate_to_manager',
    escalationReasons: reasons,
    safety,
    decisions,
  };
}

/** A '?' anywhere, or a question word first («Как оплатить», "can I pay by card"). */
function isQuestion(text: string): boolean {
  if (text.includes('?')) return true;
  const first = /^[^\p{L}]*(\p{L}+(?:[-'’]\p{L}+)*)/u.exec(text)?.[1];
  return first !== undefined && QUESTION_WORDS.has(normalise(first));
}

const TECHNICAL = new RegExp(`(?<![\\p{L}\\p{N}])(?:${TECHNICAL_TOPICS.map((topic) => escapeRegExp(normalise(topic))).join('|')})`, 'u');

function mentionsTechnicalTopic(text: string): boolean {
  return TECHNICAL.test(normalise(text));
}

/** A stage the lead cannot be in (an old or scenario-specific name) reads as the first one. */
function currentStage(stage: string): SalesStage {
  return stageIndex(stage) >= 0 ? (stage as SalesStage) : SALES_STAGES[0];
}

function nextStage(current: string, proposed: string): SalesStage {
  const from = stageIndex(currentStage(current));
  return stageIndex(proposed) > from ? SALES_STAGES[from + 1] : SALES_STAGES[from];
}

function stageIndex(stage: string): number {
  return (SALES_STAGES as readonly string[]).indexOf(stage);
}

/** NaN keeps the lead's readiness; everything ends within 0–100, the lead's own value included. */
function clampReadiness(proposed: number, current: number): number {
  const value = Number.isNaN(proposed) ? current : proposed;
  return Number.isNaN(value) ? 0 : Math.min(100, Math.max(0, value));
}

/** Lower case, ё → е, hyphens as spaces: "Smart-contracts" finds "smart contract". */
function normalise(text: string): string {
  return text.toLowerCase().replace(/ё/g, 'е').replace(/[-‐‑–—]/g, ' ').replace(/\s+/g, ' ');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
