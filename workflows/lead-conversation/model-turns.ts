import { patched } from '@temporalio/workflow';
import { enterStep, offerButtons } from '../../domain/conversation';
import { knowledgeAnswerButtons } from '../../domain/knowledge';
import { applyPolicy, type EscalationReason } from '../../domain/llm-policy';
import type { SalesStage } from '../../domain/llm-reply';
import type { Scenario } from '../../domain/scenario';
import { capFacts, failureType, idPrefix, type Conversation } from './context';
import { askForApproval } from './draft-approval';
import { recordEvent, send } from './outbound';
import { run } from './scenario-steps';
import { nextSequence } from './state';
import { act } from './step-actions';

/** Escalations a manager's approval can settle (an unsafe draft never goes to approval). */
const CONFIDENCE_REASONS: readonly EscalationReason[] = ['low_confidence', 'two_low_in_a_row', 'technical_low_confidence'];

/**
 * Free text the scenario has no answer for: the model replies, the policy decides what actually
 * goes out, and any failure becomes the scenario's templated answer with buttons, never silence.
 */
export async function llmTurn(c: Conversation, current: Scenario, leadText: string): Promise<void> {
  const { state } = c;
  // Conversations started before the policy layer answered free text with the fallback step.
  if (!patched('llm-free-text') || state.leadId === null) return run(c, enterStep(current, current.fallback));
  const key = `${idPrefix()}/l${nextSequence(state)}`;
  const result = await c.llm
    .llmReply({
      leadId: state.leadId,
      language: current.language,
      leadText,
      profile: {
        firstName: state.person?.firstName,
        segment: state.segment ?? null,
        score: state.score ?? null,
        stage: state.stage ?? 'opening',
        readiness: state.readiness ?? 0,
        answers: { ...(state.answers ?? {}), ...(state.facts ?? {}) },
      },
      step: state.step ?? current.start,
      scheduleTexts: { nextCohort: current.texts.scheduleNext, seatsLeft: current.texts.scheduleSeatsLeft, noCohort: current.texts.scheduleUnknown },
      idempotencyKey: key,
      // The activity shows "typing…" while it waits (activities/typing.ts); an activity's input is no command, so no patch.
      chatId: state.chatId,
    })
    .catch((error: unknown) => ({ ok: false as const, reason: failureType(error) ?? 'activity_failed', detail: 'the llm activity gave up' }));
  if (!result.ok) {
    const knowledge = 'knowledge' in result ? result.knowledge : undefined;
    await recordEvent(c, 'llm_fallback', { reason: result.reason, ...(knowledge && { knowledgeEntry: knowledge.entryId, knowledgeKey: knowledge.key }) });
    // A confident knowledge-base match answers instead of the templated step, with the step's buttons
    // (materials, consultation, manager). Asked only when there is a match: older histories have none.
    if (knowledge && patched('knowledge-answer')) return send(c, { type: 'text', text: knowledge.text, buttons: knowledgeAnswerButtons(current) });
    return run(c, enterStep(current, current.fallback));
  }
  const decision = applyPolicy({
    reply: result.reply,
    lead: { segment: state.segment ?? null, score: state.score ?? null, stage: (state.stage ?? 'opening') as SalesStage, readiness: state.readiness ?? 0 },
    recentActions: state.recentActions ?? [],
    previousConfidence: state.lastConfidence ?? null,
    leadText,
    language: current.language,
  });
  if (decision.stage !== state.stage) await c.records.saveStage({ leadId: state.leadId, stage: decision.stage });
  state.stage = decision.stage;
  state.readiness = decision.readiness;
  state.recentActions = [...(state.recentActions ?? []), decision.nextAction].slice(-5);
  state.lastConfidence = result.reply.confidence;
  state.facts = capFacts({ ...(state.facts ?? {}), ...result.reply.profileUpdates });
  // What the turn taught is kept in Postgres for staff (and an inferred segment for a lead without a survey).
  if (patched('lead-profile')) {
    await c.records.saveLeadProfile({ leadId: state.leadId, turnKey: key, facts: capFacts(result.reply.profileUpdates), readiness: decision.readiness });
  }
  await recordEvent(c, 'llm_turn', {
    intent: result.reply.intent,
    confidence: result.reply.confidence,
    proposed: result.reply.nextAction,
    nextAction: decision.nextAction,
    decisions: decision.decisions,
    escalationReasons: decision.escalationReasons,
    rewrites: decision.safety.rewrites,
    flags: decision.safety.flags,
    blocked: decision.safety.blocked,
  });
  const onlyUnsure = decision.escalate && !decision.safety.blocked && decision.escalationReasons.every((r) => CONFIDENCE_REASONS.includes(r));
  if (onlyUnsure && result.reply.intent !== 'human_request' && (await askForApproval(c, current, decision.reply, leadText, result.reply.confidence))) return;
  // The model second: its own reading of a purchase or a request for a human brings a manager in.
  const purchase = result.reply.intent === 'purchase' ? current.intents.find((i) => i.intent === 'purchase')?.goto : undefined;
  if (decision.escalate || result.reply.intent === 'human_request' || purchase) {
    c.escalationTrigger = decision.escalate && result.reply.intent !== 'human_request' ? 'model_escalation' : undefined;
    return run(c, enterStep(current, purchase && !decision.escalate ? purchase : current.escalationStep));
  }
  await send(c, { type: 'text', text: decision.reply, buttons: offerButtons(current, decision.nextAction) });
  if (decision.nextAction === 'show_materials') await act(c, current, { kind: 'sendMaterials', limit: 3 });
}
