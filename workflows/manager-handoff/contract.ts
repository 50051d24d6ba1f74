import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CloseOutcome, HandoffOutcome } from '../../domain/handoff';
import type { HandoffTrigger } from '../../domain/lead-priority';

/** The workflow type name, for clients that start it without importing workflow code. */
export const managerHandoffWorkflowType = 'managerHandoffWorkflow';

/** One handoff per escalation of a lead: `handoff-<lead id>-<n>`, n counting the lead's handoffs. */
export function handoffWorkflowId(leadId: number, n: number): string {
  return `handoff-${handoffKey(leadId, n)}`;
}

/** The short key the card's buttons carry (`<lead id>-<n>`), well within 64 bytes. */
export function handoffKey(leadId: number, n: number): string {
  return `${leadId}-${n}`;
}

export function handoffWorkflowIdOfKey(key: string): string | null {
  return /^\d+-\d+$/.test(key) ? `handoff-${key}` : null;
}

export interface ManagerHandoffInput {
  leadId: number;
  telegramUserId: number;
  leadChatId: number;
  /** The lead's conversation, told when the dialog is taken and closed. */
  leadWorkflowId: string;
  trigger: HandoffTrigger;
  priority: number;
  /** Name, @username and id, as the managers see the lead everywhere. */
  who: string;
  /** The card's first line when the trigger has its own (the contact form's details). */
  headline?: string;
  segment: string | null;
  score: number | null;
  stage: string | null;
  product: string | null;
  /** What the lead told the bot and the model learned: the sales script is built from it. */
  facts: Record<string, string>;
  language: 'ru' | 'en';
  timeZone: string;
}

/** A manager presses Take. An update: the manager needs the answer ("yours" or "already taken by X"). */
export interface TakeRequest {
  managerId: number;
  managerName: string;
}
export type TakeResult = { taken: true } | { taken: false; heldBy: string | null; closed: boolean };
export const takeLeadUpdate = defineUpdate<TakeResult, [TakeRequest]>('takeLead');

/** The manager who holds the lead closes the dialog. An update: the manager is told whether it worked. */
export interface CloseRequest {
  managerId: number;
  outcome: CloseOutcome;
  reason: string;
}
export type CloseResult = { closed: true } | { closed: false; why: string };
export const closeDialogUpdate = defineUpdate<CloseResult, [CloseRequest]>('closeDialog');

/** The sales script for this lead, made (or taken from the cache) on request. An update: it returns the text. */
export const salesScriptUpdate = defineUpdate<string, [{ requestedBy: number }]>('salesScript');

/** A message in the private chat between a manager and the bot, meant for the lead. A signal: the bot reports nothing back. */
export interface ManagerReply {
  managerId: number;
  chatId: number;
  messageId: number;
  /** The text, or the caption of media; media is copied as it is. */
  text: string;
  media: boolean;
}
export const managerReplySignal = defineSignal<[ManagerReply]>('managerReply');

/** A message from the lead while the dialog is taken. A signal from the lead's workflow. */
export interface LeadMessage {
  updateId: number;
  chatId: number;
  messageId: number | null;
  text: string;
  media: boolean;
}
export const leadMessageSignal = defineSignal<[LeadMessage]>('leadMessage');

export interface HandoffView {
  status: 'waiting' | 'taken' | 'closed';
  managerId: number | null;
  managerName: string | null;
  escalated: boolean;
  relayed: { fromLead: number; fromManager: number };
  outcome: HandoffOutcome | null;
}
export const handoffStateQuery = defineQuery<HandoffView>('handoffState');

export interface HandoffResult {
  outcome: HandoffOutcome;
  summary: string;
}

/**
 * The manager holding the dialog lost their staff role (`/staff_remove`, a role lowered below manager):
 * the dialog goes back to the queue at once (the card shows it waiting again) and the lead's messages
 * stop going to them. A signal: the bot that removed the person needs no answer from each dialog.
 */
export interface ReleaseDialog {
  managerId: number;
  reason: string;
}
export const releaseDialogSignal = defineSignal<[ReleaseDialog]>('releaseDialog');
