import { ActivityFailure, ApplicationFailure, log, workflowInfo } from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/bookings';
import type { JourneyActivities } from '../../activities/journey';
import type { LeadProfileActivities } from '../../activities/lead-profile';
import type { LeadsActivities } from '../../activities/leads';
import type { LlmActivities } from '../../activities/llm';
import type { DraftActivities } from '../../activities/llm-drafts';
import type { HandoffActivities } from '../../activities/handoff';
import type { ScenarioActivities } from '../../activities/scenario';
import type { SpeechActivities } from '../../activities/speech';
import type { TelegramActivities } from '../../activities/telegram';
import type { ConversationView } from '../../domain/conversation';
import type { InboundEvent } from '../../domain/inbound-event';
import type { HandoffTrigger } from '../../domain/lead-priority';
import type { Scenario } from '../../domain/scenario';
import type { DomainEvent, DraftDecision, LeadConversationInput } from './contract';
import type { LeadState } from './state';

/** Postgres-backed activities: retried without a cap (see the proxy in workflow.ts). */
export type RecordsActivities = LeadsActivities &
  ScenarioActivities &
  JourneyActivities &
  LeadProfileActivities &
  BookingActivities &
  DraftActivities &
  Pick<HandoffActivities, 'setLeadStatus' | 'handoffAbandoned' | 'handoffRunning'>;

/**
 * One run of one lead's conversation: what every module of the workflow reads and changes. Built
 * by `leadConversationWorkflow` per execution and passed explicitly, so nothing is shared across
 * executions. `state` is what continue-as-new carries; the rest lives for this run only.
 */
export interface Conversation {
  readonly input: LeadConversationInput;
  readonly state: LeadState;
  /** The pinned scenario; null before the lead's first message. */
  scenario: Scenario | null;
  readonly inbox: InboundEvent[];
  readonly domainEvents: DomainEvent[];
  /** Managers' decisions on drafts awaiting approval, by draft id (the first one wins). */
  readonly draftDecisions: Map<number, DraftDecision>;
  /** /reset erased the lead: this run's history still holds what they wrote, so a clean run takes over. */
  erasedThisRun: boolean;
  /** In `replace` history mode: the message whose button was pressed, edited by the next send. */
  replaceMessageId: number | undefined;
  /** Set by a model turn that escalates, so the handoff it starts says why. */
  escalationTrigger: HandoffTrigger | undefined;
  /** Handoffs this run started and awaits: the others (started before a continue-as-new) are checked on a timer. */
  readonly awaitedHandoffs: Set<string>;
  handoffCheckAt: number;
  /** The lead's update the first answer's send records (inbound-record.ts); undefined once recorded. */
  pendingInbound: InboundEvent | undefined;
  readonly telegram: TelegramActivities;
  readonly records: RecordsActivities;
  readonly llm: LlmActivities;
  readonly speech: SpeechActivities;
}

const DEFAULT_TIME_ZONE = 'Europe/Moscow';

/** The lead's time zone for schedules, quiet hours and people-facing times. */
export function timeZoneOf(c: Conversation): string {
  return c.input.timeZone ?? DEFAULT_TIME_ZONE;
}

/** What the scenario's pure rules see of the conversation. */
export function view(c: Conversation): ConversationView {
  const { state } = c;
  return {
    step: state.step ?? '',
    resetPending: state.resetPending,
    firstName: state.person?.firstName,
    segment: state.segment ?? null,
    score: state.score ?? null,
    answers: state.answers ?? {},
    surveyIndex: state.surveyIndex ?? null,
    match: state.match ?? null,
    stage: state.stage ?? 'opening',
    nowMs: Date.now(),
    timeZone: timeZoneOf(c),
  };
}

/**
 * An activity that gave up (its retries ran out) must not end the conversation: a failed run would
 * be replaced by a fresh one on the next message, losing the lead's place, booking and timers.
 */
export async function survive(c: Conversation, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    log.error(`${what} failed; the conversation goes on`, { type: failureType(error), leadId: c.state.leadId });
  }
}

/** Ids made here are unique for the whole continue-as-new chain, and differ from an older chain with the same workflow id. */
export function idPrefix(): string {
  const info = workflowInfo();
  return `${info.workflowId}/${info.firstExecutionRunId}`;
}

/** The failure's type when an activity failed; anything else (cancellation, a bug) is not ours to swallow. */
export function failureType(error: unknown): string | undefined {
  if (error instanceof ActivityFailure) return error.cause instanceof ApplicationFailure ? (error.cause.type ?? 'unknown') : (error.cause?.name ?? 'unknown');
  throw error;
}

const MAX_FACTS = 30;

/** Facts the model learned travel with the state and into every prompt: keep them small. */
export function capFacts(facts: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(facts)
      .slice(-MAX_FACTS)
      .map(([key, value]) => [key.slice(0, 40), String(value).slice(0, 200)]),
  );
}
