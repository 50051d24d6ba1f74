import { ActivityFailure, ApplicationFailure, patched, proxyLocalActivities } from '@temporalio/workflow';
import type { TelegramActivities } from '../../activities/telegram';
import type { InboundEvent } from '../../domain/inbound-event';
import type { Conversation } from './context';

/**
 * A lead's update in a running conversation is recorded by the send of its first answer instead of
 * an activity of its own before the reaction: a reply then costs one activity and two workflow tasks
 * instead of two and three (issue 23, docs/testing.md#performance). Conversations that recorded
 * first keep doing so on replay.
 */
const REPLY_RECORDS_INBOUND_PATCH = 'reply-records-inbound';

/**
 * That send runs as a local activity: inside the workflow task that took the update, so the reply
 * costs one workflow task and no activity task (no round trips through the server between the
 * update and the answer). A retry of it is the same claimed, once-only send (activities/telegram.ts).
 */
const REPLY_SENT_LOCALLY_PATCH = 'reply-sent-locally';

const local = proxyLocalActivities<Pick<TelegramActivities, 'sendToLead'>>({
  // As the conversation's own telegram proxy (workflow.ts); a 429's retry_after sets the next try.
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

/**
 * Records the update now, or leaves it to the first answer's send. Left only when nothing the
 * reaction does before that send needs it: the lead's row exists (its id is known), the scenario is
 * pinned, and it is a text, a command or a button (a voice note is heard and media copied first,
 * and a manager's dialog relays it). Whatever else the reaction calls first records it before
 * (`recordingFirst`), and it is recorded at the latest when the reaction ends (`recordPendingInbound`).
 */
export async function recordInbound(c: Conversation, event: InboundEvent): Promise<void> {
  const { state } = c;
  const deferrable =
    state.leadId !== null &&
    c.scenario !== null &&
    !c.erasedThisRun &&
    state.handoff?.phase !== 'taken' &&
    (event.kind === 'text' || event.kind === 'command' || event.kind === 'button');
  if (deferrable && patched(REPLY_RECORDS_INBOUND_PATCH)) {
    c.pendingInbound = event;
    return;
  }
  state.leadId = (await c.records.recordInbound(event)).leadId;
}

/** The update left for a send that never came (no answer, or the send failed) is recorded on its own. */
export async function recordPendingInbound(c: Conversation): Promise<void> {
  const event = c.pendingInbound;
  if (!event) return;
  c.pendingInbound = undefined;
  try {
    c.state.leadId = (await c.records.recordInbound(event)).leadId;
  } catch (error) {
    c.pendingInbound ??= event;
    throw error;
  }
}

/**
 * Writes keyed by the lead's id that read nothing of the message log (an analytics event, the
 * conversation's mode for campaigns): they need not wait for the update to be recorded.
 */
const NOT_READING_THE_LOG = new Set<PropertyKey>(['recordLeadEvent', 'recordConversationMode']);

/**
 * Activities as the conversation calls them: while an update waits to be recorded, every call
 * records it first, except a message to the lead, which takes it along, and the writes above. With
 * nothing waiting, the call is the proxy's own, made at once (older histories keep their commands' order).
 */
export function recordingFirst<T extends object>(c: Conversation, activities: T): T {
  return new Proxy(activities, {
    get(target, name, receiver) {
      const activity: unknown = Reflect.get(target, name, receiver);
      if (typeof activity !== 'function' || NOT_READING_THE_LOG.has(name)) return activity;
      const call = activity as (...args: unknown[]) => Promise<unknown>;
      if (name === 'sendToLead') return (...args: Parameters<TelegramActivities['sendToLead']>) => (c.pendingInbound ? sendWithInbound(c, call, args) : call(...args));
      return (...args: unknown[]) => (c.pendingInbound ? recordPendingInbound(c).then(() => call(...args)) : call(...args));
    },
  });
}

async function sendWithInbound(c: Conversation, send: (...args: unknown[]) => Promise<unknown>, [message, ...rest]: Parameters<TelegramActivities['sendToLead']>): ReturnType<TelegramActivities['sendToLead']> {
  // A message to someone else (a manager's private chat) is not the answer: the update goes first.
  if (message.toStaff || message.chatId !== c.state.chatId) {
    await recordPendingInbound(c);
    return send(message, ...rest) as ReturnType<TelegramActivities['sendToLead']>;
  }
  const inbound = c.pendingInbound as InboundEvent;
  c.pendingInbound = undefined;
  const sendFirst = patched(REPLY_SENT_LOCALLY_PATCH) ? local.sendToLead : (send as TelegramActivities['sendToLead']);
  try {
    const result = await sendFirst({ ...message, inbound }, ...rest);
    if (result.leadId !== undefined) c.state.leadId = result.leadId;
    return result;
  } catch (error) {
    // Telegram refused it or gave up: the activity had recorded the update before it sent (and a
    // second record would clear the `blocked` a 403 has just set). Anything else may have come
    // before the record: it is recorded on its own once the reaction ends (once per update id).
    const failure = asActivityFailure(error);
    if (!telegramsAnswer(failure)) c.pendingInbound ??= inbound;
    throw failure;
  }
}

/** A failure the send activity raised from Telegram's answer (activities/telegram-errors.ts: `Telegram…` types). */
function telegramsAnswer(error: unknown): boolean {
  return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && (error.cause.type ?? '').startsWith('Telegram');
}

/**
 * A local activity that gave up throws its ApplicationFailure bare; the conversation's callers
 * (outbound.ts `failureType`) read an activity's failure as its cause, as a normal activity's.
 */
function asActivityFailure(error: unknown): unknown {
  if (!(error instanceof ApplicationFailure)) return error;
  return new ActivityFailure(error.message, 'sendToLead', undefined, 'NON_RETRYABLE_FAILURE', undefined, error);
}
