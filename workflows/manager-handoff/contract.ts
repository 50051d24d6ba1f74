import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CloseOutcome, HandoffOutcome } from '../../domain/handoff';
import type { HandoffTrigger } from '../../domain/lead-priority';

/** The workflow type name, for clients that start it without importing workflow code. */
export const managerHandoffWorkflowType = 'managerHandoffWorkflow';

/**
 * One handoff per escalation of a lead: `handoff-<lead id>-<chain>-<n>`, n counting the lead's handoffs
 * in this conversation and `chain` naming the conversation (its first run), so a conversation that
 * starts over never reuses an older handoff's id, nor the message ids made from it. Handoffs started
 * before the chain existed are `handoff-<lead id>-<n>`.
 */
export function handoffWorkflowId(leadId: number, n: number, chain?: string): string {
  return `handoff-${handoffKey(leadId, n, chain)}`;
}

/** The short key the card's buttons carry (`<lead id>-<chain>-<n>`), well within 64 bytes. */
export function handoffKey(leadId: number, n: number, chain?: string): string {
  return chain ? `${leadId}-${chain}-${n}` : `${leadId}-${n}`;
}

/** The chain part of a handoff id: 12 hex digits of the conversation's first run id (48 bits). */
export function handoffChain(firstExecutionRunId: string): string {
  return firstExecutionRunId.replace(/-/g, '').slice(0, 12).toLowerCase();
}

export function handoffWorkflowIdOfKey(key: string): string | null {
  return /^\d+-([0-9a-f]{12}-)?\d+$/.test(key) ? `handoff-${key}` : null;
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
  /**
   * A manager opened this dialog from the lead card ("Take dialog"): it starts taken by them (checked
   * to be staff by the workflow too) and no card goes to the queue unless they give it back.
   */
  takenBy?: TakeRequest;
  /** Continue-as-new after this many relayed messages even if Temporal has not suggested it yet (tests). */
  maxRelaysPerRun?: number;
  /** What one run hands the next at continue-as-new. */
  carriedOver?: HandoffCarriedOver;
}

/** The dialog's state, carried whole across continue-as-new (the texts kept only as far as the summary needs). */
export interface HandoffCarriedOver {
  status: 'waiting' | 'taken';
  manager: TakeRequest | null;
  escalated: boolean;
  card: { chatId: number; messageId: number } | null;
  sequence: number;
  lastActivityAt: number;
  /** While waiting: when the SLA runs out (re-announce, escalate) and when the untaken lead expires. */
  slaAt: number;
  expireAt: number;
  /** Message counts and the last few texts of each side, for the summary. */
  leadCount: number;
  managerCount: number;
  leadTexts: string[];
  managerTexts: string[];
  /** How many times the dialog went back to the queue (a holder lost their role). */
  rounds: number;
  /** The last manager who held the dialog, for the summary after a release. */
  lastHolder: string | null;
  /** Messages not relayed yet (the lead's, buffered while the dialog waits for its next taker). */
  pending: ({ from: 'lead'; message: LeadMessage } | { from: 'manager'; message: ManagerReply })[];
}

/** A manager presses Take. An update: the manager needs the answer ("yours" or "already taken by X"). */
export interface TakeRequest {
  managerId: number;
  managerName: string;
}
/** `refused`: the taker is not current staff (or is the lead); the refusal is recorded in staff_audit. */
export type TakeResult = { taken: true } | { taken: false; heldBy: string | null; closed: boolean; refused?: 'not_staff' };
export const takeLeadUpdate = defineUpdate<TakeResult, [TakeRequest]>('takeLead');

/** The manager who holds the lead closes the dialog. An update: the manager is told whether it worked. */
export interface CloseRequest {
  managerId: number;
  outcome: CloseOutcome;
  reason: string;
}
export type CloseResult = { closed: true } | { closed: false; why: string };
export const closeDialogUpdate = defineUpdate<CloseResult, [CloseRequest]>('closeDialog');

/**
 * The holder passes the dialog to another manager (`/pass`). An update: the holder needs the answer
 * (passed, or why not). The new holder is checked to be staff by the workflow, as a taker is.
 */
export interface PassRequest {
  fromManagerId: number;
  to: TakeRequest;
}
export type PassResult = { passed: true } | { passed: false; why: string };
export const passDialogUpdate = defineUpdate<PassResult, [PassRequest]>('passDialog');

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
  /** Words shown under relayed media: a voice note's transcript, a photo's caption (absent in older signals). */
  caption?: string;
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
  /** Whether a manager held the dialog (absent in results of handoffs that ended before it existed). */
  taken?: boolean;
}

/**
 * The manager holding the dialog lost their staff role (`/staff_remove`, a role lowered below manager):
 * the dialog goes back to the queue at once (the card shows it waiting again) and the lead's messages
 * stop going to them (buffered for the next taker), their later replies are refused and recorded, and the
 * SLA runs again. A signal: the bot that removed the person needs no answer from each dialog.
 */
export interface ReleaseDialog {
  managerId: number;
  reason: string;
}
export const releaseDialogSignal = defineSignal<[ReleaseDialog]>('releaseDialog');
