import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { LeadsActivities } from '../../activities/leads';
import type { ScenarioActivities } from '../../activities/scenario';
import type { TelegramActivities } from '../../activities/telegram';
import { enterStep, reactTo, resetConfirmation, say, type Effect, type OutboundContent } from '../../domain/conversation';
import type { InboundEvent } from '../../domain/inbound-event';
import { languageFor } from '../../domain/language';
import type { Scenario } from '../../domain/scenario';
import { inboundSignal, leadStateQuery, type LeadConversationInput } from './contract';
import { initialState, nextSequence, rememberUpdate } from './state';

const telegram = proxyActivities<TelegramActivities>({
  startToCloseTimeout: '30s',
  // A 429 overrides the backoff with Telegram's retry_after (see telegram-errors.ts).
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

const records = proxyActivities<LeadsActivities & ScenarioActivities>({
  startToCloseTimeout: '15s',
  // Postgres being down must delay the conversation, never drop it: retry without a cap.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

const DEFAULT_MAX_EVENTS_PER_RUN = 1000;

/**
 * One lead's conversation, for as long as the lead exists. Inbound updates arrive as signals
 * and are handled one at a time, in order; scenario timers are workflow timers, so they fire
 * after any restart.
 */
export async function leadConversationWorkflow(input: LeadConversationInput): Promise<void> {
  const state = input.carriedOver?.state ?? initialState(input.telegramUserId, input.chatId);
  let scenario: Scenario | null = input.carriedOver?.scenario ?? null;
  const inbox: InboundEvent[] = [...(input.carriedOver?.inbox ?? [])];
  let handledThisRun = 0;

  setHandler(inboundSignal, (event) => {
    // Deduplicate on arrival so a redelivered update never even queues.
    if (rememberUpdate(state, event.updateId)) inbox.push(event);
  });
  setHandler(leadStateQuery, () => ({
    telegramUserId: state.telegramUserId,
    leadId: state.leadId,
    step: state.step,
    blocked: state.blocked,
    resetPending: state.resetPending,
    pendingEvents: inbox.length,
    scenario: scenario && { id: scenario.id, version: scenario.version, language: scenario.language },
  }));

  const maxEvents = input.maxEventsPerRun ?? DEFAULT_MAX_EVENTS_PER_RUN;
  const timeToContinue = () => workflowInfo().continueAsNewSuggested || handledThisRun >= maxEvents;

  for (;;) {
    await condition(() => inbox.length > 0 || timeToContinue());
    if (timeToContinue()) {
      await condition(allHandlersFinished);
      // The inbox travels with the state: events that arrived meanwhile are handled by the next run.
      await continueAsNew<typeof leadConversationWorkflow>({ ...input, carriedOver: { state, scenario, inbox } });
    }
    const event = inbox.shift();
    if (event) await handle(event);
    handledThisRun += 1;
  }

  async function handle(event: InboundEvent): Promise<void> {
    const { leadId } = await records.recordInbound(event);
    state.leadId = leadId;
    state.person = event.from;
    state.blocked = false; // a lead who writes has not blocked us
    scenario ??= await records.loadScenario(languageFor(event.from.languageCode));
    if (state.step === null || !(state.step in scenario.steps)) state.step = scenario.start;
    await run(reactTo(scenario, view(), event));
  }

  async function run(effects: Effect[]): Promise<void> {
    for (const effect of effects) await apply(effect);
  }

  async function apply(effect: Effect): Promise<void> {
    const current = scenario as Scenario;
    switch (effect.kind) {
      case 'send':
        return send(effect.content);
      case 'moveTo':
        state.step = effect.stepId;
        return;
      case 'waitThenEnter':
        // Durable: if every worker is down when it fires, it fires when one is back.
        await sleep(effect.seconds * 1000);
        return run(enterStep(current, effect.stepId, view()));
      case 'recordEvent':
        return recordEvent(effect.type, effect.payload);
      case 'notifyManagers':
        return notifyManagers(current, effect.reason);
      case 'askResetConfirmation':
        state.resetPending = true;
        return send(resetConfirmation(current, view()));
      case 'cancelReset':
        state.resetPending = false;
        return run([say(current.texts.resetCancelled, current, view())]);
      case 'resetConversation':
        return resetConversation(current);
    }
  }

  async function resetConversation(current: Scenario): Promise<void> {
    await records.deleteLeadData(state.telegramUserId);
    state.resetPending = false;
    state.step = current.start;
    const person = state.person;
    state.leadId = person ? (await records.ensureLead(person, state.chatId)).leadId : null;
    await run([say(current.texts.resetDone, current, view()), ...enterStep(current, current.start, view())]);
  }

  async function send(content: OutboundContent): Promise<void> {
    if (state.blocked) return;
    const outboundId = `${idPrefix()}/m${nextSequence(state)}`;
    try {
      await telegram.sendToLead({ outboundId, leadId: state.leadId, chatId: state.chatId, content });
    } catch (error) {
      // A refused message must not end the conversation: record why and go on.
      const type = failureType(error);
      if (type === 'TelegramBlocked') state.blocked = true;
      log.warn('message not delivered', { outboundId, type, leadId: state.leadId });
    }
  }

  async function recordEvent(type: string, payload?: Record<string, unknown>): Promise<void> {
    if (state.leadId === null) return;
    const idempotencyKey = `${idPrefix()}/e${nextSequence(state)}`;
    await records.recordLeadEvent({ leadId: state.leadId, type, payload, idempotencyKey });
  }

  async function notifyManagers(current: Scenario, reason: string): Promise<void> {
    const person = state.person;
    const who = person
      ? [person.firstName, person.lastName, person.username && `@${person.username}`].filter(Boolean).join(' ')
      : `id ${state.telegramUserId}`;
    const text = `${current.texts.managersNotice}: ${who} (id ${state.telegramUserId}), ${reason}`;
    try {
      await telegram.notifyManagers({ outboundId: `${idPrefix()}/n${nextSequence(state)}`, leadId: state.leadId, text });
    } catch (error) {
      log.error('managers notice failed', { type: failureType(error), leadId: state.leadId });
    }
  }

  function view() {
    return { step: state.step ?? '', resetPending: state.resetPending, firstName: state.person?.firstName };
  }
}

/** Ids made here are unique for the whole continue-as-new chain, and differ from an older chain with the same workflow id. */
function idPrefix(): string {
  const info = workflowInfo();
  return `${info.workflowId}/${info.firstExecutionRunId}`;
}

function failureType(error: unknown): string | undefined {
  if (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure) return error.cause.type ?? undefined;
  throw error;
}
