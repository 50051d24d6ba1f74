import type { Segment } from './product-matching';

/** Where a lead stands for the sales team (docs/manager-handoff.md). */
export const LEAD_STATUSES = ['new', 'assigned', 'in_dialog', 'scheduled', 'paid', 'done', 'cancelled', 'incomplete'] as const;
export type LeadStatus = (typeof LEAD_STATUSES)[number];

/** Why the lead reached the managers. */
export type HandoffTrigger = 'manager_requested' | 'purchase_intent' | 'payment_started' | 'discount_request' | 'contact_form' | 'model_escalation' | 'manager_took';

const BY_SEGMENT: Record<Segment | 'unknown', number> = { hot: 100, warm: 60, cold: 20, unknown: 40 };

/** A trigger raises the priority to at least this much. */
const BY_TRIGGER: Record<HandoffTrigger, number> = {
  payment_started: 90,
  purchase_intent: 90,
  discount_request: 85,
  manager_requested: 70,
  contact_form: 70,
  model_escalation: 70,
  // A manager opened the dialog from the lead card: the lead asked for nothing, the segment decides.
  manager_took: 0,
};

/** The readiness (0–100) the model judged is worth this share of priority: 100 ranks with a purchase intent (90), never above a hot survey. */
export const READINESS_WEIGHT = 0.9;

/**
 * Priority 0–100: the highest of the segment's, what brought the lead to the managers, and the
 * readiness the model judged (readiness × 0.9, rounded). A lead who sounds ready to buy rises above
 * the unknown or cold segment the survey (or its absence) gave; readiness never lowers a priority.
 * The segment here is the survey's: an inferred one comes from readiness and would count it twice.
 */
export function leadPriority(segment: Segment | null | undefined, trigger?: HandoffTrigger, readiness?: number): number {
  const base = BY_SEGMENT[segment ?? 'unknown'];
  const byTrigger = trigger ? BY_TRIGGER[trigger] : 0;
  return Math.max(base, byTrigger, readinessPriority(readiness));
}

/** What readiness alone is worth (0 when unknown): also raises `leads.priority` after each model turn. */
export function readinessPriority(readiness: number | undefined): number {
  return readiness !== undefined && Number.isFinite(readiness) ? Math.round(Math.min(100, Math.max(0, readiness)) * READINESS_WEIGHT) : 0;
}

/** The trigger behind a scenario step that calls the managers (its recorded event names it). */
export function triggerOfStep(stepEvent: string | undefined): HandoffTrigger {
  if (stepEvent === 'purchase_intent' || stepEvent === 'payment_started' || stepEvent === 'discount_request') return stepEvent;
  return 'manager_requested';
}
