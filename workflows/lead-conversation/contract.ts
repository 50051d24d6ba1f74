import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { InboundEvent } from '../../domain/inbound-event';
import type { Scenario } from '../../domain/scenario';
import type { LeadState } from './state';

export type { InboundEvent };

/** The workflow type name, for clients that start it without importing workflow code. */
export const leadConversationWorkflowType = 'leadConversationWorkflow';

/** One conversation per Telegram user: `lead-<telegram user id>`. */
export function leadWorkflowId(telegramUserId: number): string {
  return `lead-${telegramUserId}`;
}

/** What one run hands the next at continue-as-new: the state, the pinned scenario, unprocessed events. */
export interface CarriedOver {
  state: LeadState;
  scenario: Scenario | null;
  inbox: InboundEvent[];
  domainEvents?: DomainEvent[];
}

export interface LeadConversationInput {
  telegramUserId: number;
  chatId: number;
  /** The lead's time zone for time conditions and people-facing times (TZ_DEFAULT). */
  timeZone?: string;
  /** Continue-as-new after this many processed events even if Temporal has not suggested it yet. */
  maxEventsPerRun?: number;
  /** Given to every handoff this conversation opens (its own continue-as-new bound); unset, the handoff's default. */
  handoffRelaysPerRun?: number;
  carriedOver?: CarriedOver;
}

/** An inbound Telegram update for this lead. A signal: the bot needs no answer, only durability and order. */
export const inboundSignal = defineSignal<[InboundEvent]>('inbound');

/** Where the conversation stands, for the bot, the api and operators. */
export interface LeadConversationView {
  telegramUserId: number;
  leadId: number | null;
  step: string | null;
  blocked: boolean;
  resetPending: boolean;
  optedOut: boolean;
  /** What campaigns respect: `with_manager` holds every automated message. */
  mode: 'bot' | 'with_manager' | 'opted_out' | 'customer';
  handoff: { workflowId: string; phase: 'waiting' | 'taken' } | null;
  segment: 'cold' | 'warm' | 'hot' | null;
  score: number | null;
  pendingEvents: number;
  scenario: { id: string; version: number; language: string } | null;
}

export const leadStateQuery = defineQuery<LeadConversationView>('leadState');

/**
 * Something that happened elsewhere (a manager closed the dialog, a payment went through), sent
 * by other workflows and the api. A signal: fire-and-forget; `id` makes a repeat harmless.
 */
export interface DomainEvent {
  id: string;
  name: string;
  payload?: Record<string, unknown>;
}

export const domainEventSignal = defineSignal<[DomainEvent]>('domainEvent');

/** A manager's decision on a low-confidence draft (approval mode). A signal: the bot answers the manager itself. */
export interface DraftDecision {
  draftId: number;
  decision: 'approve' | 'edit' | 'reject';
  /** The manager's own text, for `edit`. */
  text?: string;
  by: number;
}

export const draftDecisionSignal = defineSignal<[DraftDecision]>('draftDecision');

/** Callback data of the approval buttons: `dr:<draft id>.ok` / `dr:<draft id>.no`. */
export const DRAFT_SCOPE = 'dr';
