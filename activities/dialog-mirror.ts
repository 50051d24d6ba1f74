import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Api, RawApi } from 'grammy';
import type { Logger } from 'pino';
import { leadCardButtons } from '../bot/handoffs/lead-card';
import { leadCardText } from '../db/lead-card';
import type { FoundLead } from '../db/lead-search';
import {
  batchMessages,
  claimPostSlot,
  claimTopicCreation,
  finishBatch,
  forgetTopic,
  holdPosts,
  markCardPosted,
  mirrorState,
  moveScan,
  planBatch,
  recordTopic,
  settledEnd,
  topicsOf,
  unmirroredMessages,
  type DialogTopicRow,
  type MirroredMessage,
} from '../db/dialog-mirror';
import type { Db } from '../db/knex';
import { batchOf, dueInMs, readyRun, topicName, type MirrorMessage, type MirrorTiming } from '../domain/dialog-mirror';
import { classifyTelegramError, TelegramFailure } from './telegram-errors';
import type { TelegramActivities } from './telegram';

export interface DialogMirrorDeps {
  db: Db;
  api: Api<RawApi>;
  logger: Logger;
  /** The gateway every message goes through (claimed in the message log, so a retry never posts twice). */
  telegram: Pick<TelegramActivities, 'sendToLead' | 'copyMessage'>;
  /** DIALOGS_CHAT_ID; unset: the mirror is off. */
  dialogsChatId?: number;
  /** Posts a minute in the group (Telegram takes about 20; default 18 leaves room for the bot's own answers there). */
  postsPerMinute?: number;
  timing?: Partial<MirrorTiming & { settleMs: number }>;
  /** The zone staff read the card's times in. */
  timeZone?: string;
}

export interface MirrorPass {
  /** The mirror is off (no DIALOGS_CHAT_ID): the workflow ends. */
  disabled?: true;
  /** Posts made in this pass (topics, cards, batches). */
  posted: number;
  /** How long until there may be something to post. */
  waitMs: number;
}

const DEFAULT_TIMING = { batchWindowMs: 3000, stuckSendingMs: 60_000, settleMs: 1000 };
/** A topic's creation asked for longer ago than this was cut off (a request takes at most 25 s). */
const TOPIC_CUT_OFF_SECONDS = 60;
/** After a refusal that is not about one topic (not a forum, bot removed): look again this much later. */
const REFUSED_HOLD_SECONDS = 300;
const IDLE_WAIT_MS = 2000;

/**
 * The live dialogs (docs/manager-handoff.md#live-dialogs): reads the message log and posts each lead's
 * messages into the lead's topic of DIALOGS_CHAT_ID, a batch per post, at a pace the group takes
 * (Postgres holds the pace, so every process shares it; a 429 holds every post for its retry_after).
 * It never touches a conversation: a lead never waits for the mirror, and a mirror behind catches up.
 */
export function createDialogMirrorActivities(deps: DialogMirrorDeps) {
  const { db, api, logger, telegram, dialogsChatId: chatId } = deps;
  const timing = { ...DEFAULT_TIMING, ...deps.timing };
  const intervalMs = 60_000 / (deps.postsPerMinute ?? 18);
  const format = timeFormatter(deps.timeZone);

  function heartbeat(): void {
    try {
      Context.current().heartbeat();
    } catch {
      // Called outside an activity (a test drives the pass directly).
    }
  }

  /** Waits, heartbeating; a worker shutting down cancels the wait (the pass ends, nothing is lost). */
  async function pause(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 5000) {
      heartbeat();
      const step = Math.min(left, 5000);
      let context: Context | undefined;
      try {
        context = Context.current();
      } catch {
        context = undefined; // outside an activity (a test drives the pass directly)
      }
      await (context ? context.sleep(step) : new Promise((resolve) => setTimeout(resolve, step)));
    }
  }

  /** Waits for the group's next slot; every post to the group takes one. */
  async function slot(group: number): Promise<void> {
    await pause(await claimPostSlot(db, group, intervalMs));
  }

  /** What a failed call means for the mirror: hold the group, forget a deleted topic, or skip the batch. */
  async function onFailure(group: number, error: unknown, method: string, leadId: number, act = true): Promise<'held' | 'topic_gone' | 'skip' | 'unknown'> {
    const failure = error instanceof ApplicationFailure ? error : undefined;
    const outcome = failure ? undefined : classifyTelegramError(error, method);
    const type = failure?.type ?? (outcome && outcome.kind !== 'unknown' ? outcome.failure.type : undefined);
    const message = failure?.message ?? (outcome?.kind === 'unknown' ? outcome.reason : outcome?.failure.message ?? String(error));
    if (!act) return type === TelegramFailure.badRequest && !/thread not found|TOPIC_(DELETED|CLOSED)/i.test(message) ? 'skip' : 'unknown';
    if (type === TelegramFailure.rateLimited) {
      const details = (failure ?? (outcome?.kind === 'retry' ? outcome.failure : undefined))?.details?.[0] as { retryAfterSeconds?: number } | undefined;
      const seconds = details?.retryAfterSeconds ?? 5;
      await holdPosts(db, group, seconds);
      logger.warn({ chatId: group, retryAfterSeconds: seconds }, 'dialogs group: Telegram asked to wait; the mirror falls behind and catches up');
      return 'held';
    }
    if (type === TelegramFailure.badRequest && /thread not found|TOPIC_(DELETED|CLOSED)/i.test(message)) {
      await forgetTopic(db, leadId);
      logger.warn({ leadId }, 'dialogs group: the lead\'s topic is gone; a new one opens');
      return 'topic_gone';
    }
    if (type === TelegramFailure.badRequest && method !== 'createForumTopic') {
      logger.warn({ leadId, reason: message }, 'dialogs group: Telegram refused a mirror post; it is skipped');
      return 'skip';
    }
    if (type === TelegramFailure.badRequest || type === TelegramFailure.blocked) {
      await holdPosts(db, group, REFUSED_HOLD_SECONDS);
      logger.error({ chatId: group, reason: message }, 'dialogs group refused the bot (is DIALOGS_CHAT_ID a forum supergroup with the bot as an admin who manages topics?)');
      return 'held';
    }
    if (outcome?.kind === 'unknown') return 'unknown';
    await holdPosts(db, group, 10);
    logger.warn({ chatId: group, reason: message }, 'dialogs group: Telegram unavailable; retrying shortly');
    return 'held';
  }

  async function openTopic(group: number, leadId: number): Promise<boolean> {
    if (!(await claimTopicCreation(db, leadId, group, TOPIC_CUT_OFF_SECONDS))) return false;
    const lead = await db('leads').where({ id: leadId }).first('id', 'first_name', 'last_name', 'username');
    if (!lead) return false;
    await slot(group);
    try {
      const topic = await api.createForumTopic(group, topicName({ id: leadId, firstName: lead.first_name, lastName: lead.last_name, username: lead.username }));
      await recordTopic(db, leadId, topic.message_thread_id);
      logger.info({ leadId, threadId: topic.message_thread_id }, 'dialogs group: topic opened');
      return true;
    } catch (error) {
      // A topic Telegram may have made (lost answer) stays claimed until the cut-off, then is made again.
      const what = await onFailure(group, error, 'createForumTopic', leadId);
      if (what === 'held') await forgetTopic(db, leadId);
      return false;
    }
  }

  async function postCard(group: number, topic: DialogTopicRow & { thread_id: number }): Promise<boolean> {
    const lead = (await db('leads').where({ id: topic.lead_id }).first()) as FoundLead | undefined;
    if (!lead) return false;
    const text = await leadCardText(db, lead, format, new Date());
    const buttons = leadCardButtons(topic.lead_id).map((row) => row.map((b) => ({ text: b.text, data: b.callback_data })));
    try {
      await telegram.sendToLead(
        { outboundId: `mirror/${topic.lead_id}/card/${topic.thread_id}`, leadId: null, chatId: group, threadId: topic.thread_id, toStaff: true, content: { type: 'text', text, buttons } },
        { afterCutOff: 'unknown', beforeSend: () => slot(group) },
      );
    } catch (error) {
      const what = await onFailure(group, error, 'sendMessage', topic.lead_id);
      if (what !== 'skip') return false;
    }
    await markCardPosted(db, topic.lead_id);
    return true;
  }

  async function postBatch(group: number, topic: DialogTopicRow & { thread_id: number }, run: MirrorMessage[], leadName: string): Promise<boolean> {
    let from = topic.posting_from;
    let messages = run;
    if (from !== null && topic.posting_through !== null) {
      // A batch planned by an attempt that was cut off: exactly that batch, under the same id.
      messages = (await batchMessages(db, topic.lead_id, from, topic.posting_through)).map(toMirror);
    }
    const batch = batchOf(messages, leadName, (m) => isFromTopic(m, group));
    if (!batch) return false;
    if (from === null) {
      from = messages[0].id;
      await planBatch(db, topic.lead_id, from, batch.through);
    }
    if (batch.text === '') {
      await finishBatch(db, topic.lead_id, batch.through);
      return false;
    }
    const post = (copy: boolean) => {
      const where = { leadId: null, chatId: group, threadId: topic.thread_id, toStaff: true };
      if (copy && batch.copy) {
        const leadChat = messages.find((m) => m.id === batch.through)?.chatId as number;
        // Never a second post: one whose attempt was cut off mid-send stays as Telegram has it.
        return telegram.copyMessage(
          { ...where, outboundId: `mirror/${topic.lead_id}/${from}`, fromChatId: leadChat, messageId: batch.copy.messageId, caption: batch.text },
          { afterCutOff: 'unknown', beforeSend: () => slot(group) },
        );
      }
      return telegram.sendToLead({ ...where, outboundId: `mirror/${topic.lead_id}/${from}${copy ? '' : '/text'}`, content: { type: 'text', text: batch.text } }, { afterCutOff: 'unknown', beforeSend: () => slot(group) });
    };
    try {
      await post(batch.copy !== undefined).catch(async (error: unknown) => {
        // Media Telegram will not copy (deleted, too old): its line is posted instead.
        if (!batch.copy || (await onFailure(group, error, 'copyMessage', topic.lead_id, false)) !== 'skip') throw error;
        return post(false);
      });
    } catch (error) {
      const what = await onFailure(group, error, 'sendMessage', topic.lead_id);
      if (what === 'topic_gone') await finishBatchKeepingPlan(topic.lead_id);
      if (what !== 'skip') return false;
    }
    await finishBatch(db, topic.lead_id, batch.through);
    return true;
  }

  /** A topic that is gone takes its planned batch with it into the new topic (re-planned there). */
  async function finishBatchKeepingPlan(leadId: number): Promise<void> {
    await db('dialog_topics').where({ lead_id: leadId }).update({ posting_from: null, posting_through: null });
  }

  return {
    /**
     * One pass of the mirror (up to `budgetMs`): opens topics, posts cards and batches that are due,
     * one post per slot of the group's pace. Returns how long the workflow may sleep.
     */
    async mirrorDialogs(request: { budgetMs?: number } = {}): Promise<MirrorPass> {
      if (chatId === undefined) return { disabled: true, posted: 0, waitMs: 0 };
      const deadline = Date.now() + (request.budgetMs ?? 50_000);
      await mirrorState(db, chatId); // the first pass marks where the mirror starts
      let posted = 0;
      while (Date.now() < deadline) {
        heartbeat();
        const state = await mirrorState(db, chatId);
        const holdMs = state.heldUntil.getTime() - Date.now();
        if (holdMs > 0) {
          // Waiting inside the pass (not in the workflow) keeps the workflow's history small.
          if (holdMs >= deadline - Date.now()) return { posted, waitMs: Math.min(holdMs, 30_000) };
          await pause(holdMs);
          continue;
        }
        const rows = await unmirroredMessages(db, state.scanFrom, timing.settleMs);
        await moveScan(db, chatId, rows.length > 0 ? rows[0].id - 1 : await settledEnd(db, state.scanFrom, timing.settleMs));
        const byLead = new Map<number, MirrorMessage[]>();
        for (const row of rows) byLead.set(row.lead_id, [...(byLead.get(row.lead_id) ?? []), toMirror(row)]);
        const topics = await topicsOf(db, [...byLead.keys()]);
        let next: { leadId: number; run: MirrorMessage[] } | undefined;
        let soonest = IDLE_WAIT_MS;
        for (const [leadId, messages] of byLead) {
          const topic = topics.get(leadId);
          const run = readyRun(messages, timing);
          // Another attempt is opening this lead's topic (or was cut off doing so): wait for it or its cut-off.
          const creating = topic !== undefined && topic.thread_id === null && topic.chat_id === chatId && topic.requested_age_ms < TOPIC_CUT_OFF_SECONDS * 1000;
          const due = topic?.posting_through != null ? 0 : dueInMs(run, timing);
          if (due === null || creating) continue;
          if (due > 0) soonest = Math.min(soonest, due);
          // The lead waiting longest goes first: under load every topic falls behind alike and catches up.
          else if (!next) next = { leadId, run };
        }
        if (!next) {
          const waitMs = Math.max(200, soonest);
          if (waitMs >= deadline - Date.now()) return { posted, waitMs };
          await pause(waitMs);
          continue;
        }
        if (await step(chatId, next.leadId, next.run, topics.get(next.leadId))) posted += 1;
        // Nothing posted (another process opens that topic, a refusal): not a busy loop over the log.
        else await pause(200);
      }
      return { posted, waitMs: 0 };
    },
  };

  async function step(group: number, leadId: number, run: MirrorMessage[], topic: DialogTopicRow | undefined): Promise<boolean> {
    if (!topic || topic.thread_id === null || topic.chat_id !== group) return openTopic(group, leadId);
    const open = topic as DialogTopicRow & { thread_id: number };
    if (!topic.card_posted) return postCard(group, open);
    const lead = await db('leads').where({ id: leadId }).first('first_name', 'last_name', 'username');
    const leadName = [lead?.first_name, lead?.last_name].filter(Boolean).join(' ') || (lead?.username ? `@${lead.username}` : 'Лид');
    return postBatch(group, open, run, leadName);
  }
}

export type DialogMirrorActivities = ReturnType<typeof createDialogMirrorActivities>;

function toMirror(row: MirroredMessage): MirrorMessage {
  return { id: row.id, direction: row.direction, text: row.text, payload: row.payload, status: row.status, ageMs: row.age_ms, settled: row.settled, telegramMessageId: row.telegram_message_id, chatId: row.chat_id };
}

/** A manager's message relayed from the topic itself: it is already there. */
function isFromTopic(message: MirrorMessage, group: number): boolean {
  const copied = message.payload?.copiedFrom as { chatId?: number } | undefined;
  return message.direction === 'manager' && copied?.chatId === group;
}

function timeFormatter(timeZone = 'Europe/Moscow'): (iso: string) => string {
  const format = new Intl.DateTimeFormat('ru-RU', { timeZone, day: '2-digit', month: '2-digit', year: '2-digit', hour: '2-digit', minute: '2-digit' });
  return (iso) => format.format(new Date(iso));
}
