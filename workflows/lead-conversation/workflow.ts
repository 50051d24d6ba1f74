import { allHandlersFinished, condition, continueAsNew, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { LlmActivities } from '../../activities/llm';
import type { SpeechActivities } from '../../activities/speech';
import type { TelegramActivities } from '../../activities/telegram';
import { withScenarioDefaults, type Scenario } from '../../domain/scenario';
import { survive, type Conversation, type RecordsActivities } from './context';
import {
  domainEventSignal,
  draftDecisionSignal,
  inboundSignal,
  leadStateQuery,
  type DraftDecision,
  type LeadConversationInput,
} from './contract';
import { handleDomainEvent, handleInbound } from './events';
import { HANDOFF_CHECK_MS } from './handoff-liveness';
import { recordingFirst } from './inbound-record';
import { recordModeIfChanged } from './mode-record';
import { conversationMode, initialState, rememberDomainEvent, rememberUpdate } from './state';
import { deadlines, earliest, fireDueTimer } from './timers';

// The conversation's concerns live in this folder, one module each, called by the loop below:
// events.ts (where an update goes), contact-form.ts, booking.ts, scenario-steps.ts and step-actions.ts,
// model-turns.ts and draft-approval.ts, handoff*.ts, payments.ts, follow-ups.ts, reset.ts, timers.ts.

const telegram = proxyActivities<TelegramActivities>({
  startToCloseTimeout: '30s',
  // A 429 overrides the backoff with Telegram's retry_after (see telegram-errors.ts).
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

const records = proxyActivities<RecordsActivities>({
  startToCloseTimeout: '15s',
  // Postgres being down must delay the conversation, never drop it: retry without a cap.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

const llm = proxyActivities<LlmActivities>({
  // The activity turns model failures into typed results; only Postgres trouble is retried.
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

const speech = proxyActivities<SpeechActivities>({
  // Download and transcription; provider failures come back typed, so only a crash is retried.
  startToCloseTimeout: '2m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 3 },
});

/** At continue-as-new a broken scenario file keeps the pinned version instead of being retried for ever. */
const SCENARIO_CANDIDATE_PATCH = 'scenario-candidate';

/** The loop writes the conversation's mode to the lead's row when it changes (campaigns read it there). */
const CONVERSATION_MODE_RECORDED_PATCH = 'conversation-mode-recorded';

const DEFAULT_MAX_EVENTS_PER_RUN = 1000;

/**
 * One lead's conversation, for as long as the lead exists. Inbound updates arrive as signals
 * and are handled one at a time, in order; scenario timers are workflow timers, so they fire
 * after any restart.
 */
export async function leadConversationWorkflow(input: LeadConversationInput): Promise<void> {
  const c: Conversation = {
    input,
    state: { ...initialState(input.telegramUserId, input.chatId), ...input.carriedOver?.state },
    scenario: input.carriedOver?.scenario ? withScenarioDefaults(input.carriedOver.scenario) : null,
    inbox: [...(input.carriedOver?.inbox ?? [])],
    domainEvents: [...(input.carriedOver?.domainEvents ?? [])],
    draftDecisions: new Map<number, DraftDecision>(),
    erasedThisRun: false,
    replaceMessageId: undefined,
    escalationTrigger: undefined,
    awaitedHandoffs: new Set<string>(),
    handoffCheckAt: Date.now() + HANDOFF_CHECK_MS,
    pendingInbound: undefined,
    telegram,
    records,
    llm,
    speech,
  };
  // Every activity call records a lead's update still waiting to be recorded first (inbound-record.ts).
  Object.assign(c, { telegram: recordingFirst(c, telegram), records: recordingFirst(c, records), llm: recordingFirst(c, llm), speech: recordingFirst(c, speech) });
  const { state, inbox, domainEvents } = c;
  let handledThisRun = 0;

  setHandler(inboundSignal, (event) => {
    // Deduplicate on arrival so a redelivered update never even queues.
    if (rememberUpdate(state, event.updateId)) inbox.push(event);
  });
  setHandler(draftDecisionSignal, (decision) => {
    if (!c.draftDecisions.has(decision.draftId)) c.draftDecisions.set(decision.draftId, decision);
  });
  setHandler(domainEventSignal, (event) => {
    if (rememberDomainEvent(state, event.id)) domainEvents.push(event);
  });
  setHandler(leadStateQuery, () => ({
    telegramUserId: state.telegramUserId,
    leadId: state.leadId,
    step: state.step,
    blocked: state.blocked,
    resetPending: state.resetPending,
    optedOut: state.optedOut ?? false,
    mode: conversationMode(state),
    handoff: state.handoff ?? null,
    segment: state.segment ?? null,
    score: state.score ?? null,
    pendingEvents: inbox.length + domainEvents.length,
    scenario: c.scenario && { id: c.scenario.id, version: c.scenario.version, language: c.scenario.language },
  }));

  const maxEvents = input.maxEventsPerRun ?? DEFAULT_MAX_EVENTS_PER_RUN;
  const timeToContinue = () => workflowInfo().continueAsNewSuggested || handledThisRun >= maxEvents || c.erasedThisRun;

  for (;;) {
    // Campaigns read the mode from the lead's row (no query per recipient): written when it changed.
    if (patched(CONVERSATION_MODE_RECORDED_PATCH)) await recordModeIfChanged(c);
    const woken = () => inbox.length > 0 || domainEvents.length > 0 || timeToContinue();
    const due = deadlines(c);
    const deadline = earliest(due);
    let timedOut = false;
    if (deadline < Infinity) timedOut = !(await condition(woken, Math.max(1, deadline - Date.now())));
    else await condition(woken);
    if (timedOut && (await fireDueTimer(c, due))) continue;
    if (timeToContinue()) {
      await condition(allHandlersFinished);
      const next = c.scenario && (await newerScenario(c, c.scenario));
      // The inbox travels with the state: events that arrived meanwhile are handled by the next run.
      await continueAsNew<typeof leadConversationWorkflow>({ ...input, carriedOver: { state, scenario: next ?? c.scenario, inbox, domainEvents } });
    }
    const domainEvent = domainEvents.shift();
    if (domainEvent) await survive(c, 'domain event', () => handleDomainEvent(c, domainEvent));
    const event = inbox.shift();
    if (event) await survive(c, 'inbound event', () => handleInbound(c, event));
    handledThisRun += 1;
  }
}

/** A newer version of the pinned scenario, adopted only if the lead's current step exists in it. */
async function newerScenario(c: Conversation, current: Scenario): Promise<Scenario | undefined> {
  let loaded: Scenario;
  if (patched(SCENARIO_CANDIDATE_PATCH)) {
    // A file that does not load keeps the pinned version (retrying would hold the conversation here).
    const candidate = await c.records.loadScenarioCandidate(current.language);
    if (!candidate.ok) {
      log.error('the scenario file does not load; keeping the pinned version', { leadId: c.state.leadId, version: current.version, problem: candidate.problem });
      return undefined;
    }
    loaded = candidate.scenario;
  } else loaded = await c.records.loadScenario(current.language);
  const latest = withScenarioDefaults(loaded);
  const fits = latest.version > current.version && (c.state.step === null || c.state.step in latest.steps);
  return fits ? latest : undefined;
}
