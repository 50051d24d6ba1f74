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

/** Priority 0–100: the segment's, raised by what brought the lead to the managers. */
export function leadPriority(segment: Segment | null | undefined, trigger?: HandoffTrigger): number {
  const base = BY_SEGMENT[segment ?? 'unknown'];
  return trigger ? Math.max(base, BY_TRIGGER[trigger]) : base;
}

/** The trigger behind a scenario step that calls the managers (its recorded event names it). */
export function triggerOfStep(stepEvent: string | undefined): HandoffTrigger {
  if (stepEvent === 'purchase_intent' || stepEvent === 'payment_started' || stepEvent === 'discount_request') return stepEvent;
  return 'manager_requested';
}
