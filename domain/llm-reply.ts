/**
 * The shape of a model turn (docs/llm-policy.md), shared by the LLM activity that validates it
 * and the policy layer that decides what goes out. Plain types: workflow code imports this module.
 */

/** What the bot does next, as the model proposes it and the policy finally decides. */
export const NEXT_ACTIONS = ['answer', 'ask', 'show_materials', 'offer_consult', 'offer_payment', 'escalate_to_manager'] as const;
export type NextAction = (typeof NEXT_ACTIONS)[number];

/** The ten sales stages, in order: a lead moves forward at most one per turn and never back. */
export const SALES_STAGES = ['opening', 'frame', 'goal', 'diagnostics', 'gap', 'solution', 'proof', 'objections', 'scarcity', 'closing'] as const;
export type SalesStage = (typeof SALES_STAGES)[number];

/** The model's structured reply, already validated. */
export interface ModelReply {
  reply: string;
  intent: string;
  nextAction: NextAction;
  /** 0–1: how sure the model is of its reply. */
  confidence: number;
  /** Facts the model learned about the lead (goal, budget, experience…). */
  profileUpdates: Record<string, string>;
  /** 0–100: how ready the lead seems to buy. */
  readiness: number;
  stage: SalesStage;
}
