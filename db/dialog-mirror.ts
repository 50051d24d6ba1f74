import type { Knex } from 'knex';

/** A lead's topic in DIALOGS_CHAT_ID and how far the mirror got (migration 032). */
export interface DialogTopicRow {
  lead_id: number;
  chat_id: number;
  thread_id: number | null;
  topic_requested_at: Date;
  card_posted: boolean;
  mirrored_through: number;
  posting_from: number | null;
  posting_through: number | null;
  /** How long ago the topic's creation was asked for, by the database's clock. */
  requested_age_ms: number;
}

/** A message of a lead's own chat (what the lead wrote, what the bot or a manager sent them). */
export interface MirroredMessage {
  id: number;
  lead_id: number;
  direction: 'in' | 'out' | 'manager';
  text: string | null;
  payload: Record<string, unknown> | null;
  status: string;
  /** The message in the lead's chat (a media message is copied from there into the topic). */
  telegram_message_id: number | null;
  chat_id: number;
  created_at: Date;
  /** How old it is by the database's clock. */
  age_ms: number;
  /** Older than the settle time: no message with a lower id can still appear. */
  settled: boolean;
}

const num = (value: unknown): number => Number(value);

/**
 * The mirror's state for a chat, created on first use with the scan starting at the log's end: a
 * mirror switched on does not replay every old dialog into the group.
 */
export async function mirrorState(db: Knex, chatId: number): Promise<{ scanFrom: number; heldUntil: Date }> {
  await db.raw(
    `insert into dialog_mirror (chat_id, scan_from) select ?, coalesce(max(id), 0) from messages on conflict (chat_id) do nothing`,
    [chatId],
  );
  const row = await db('dialog_mirror').where({ chat_id: chatId }).first('scan_from', 'held_until');
  return { scanFrom: num(row.scan_from), heldUntil: new Date(row.held_until) };
}

/**
 * Messages of leads' own chats not yet mirrored, after `scanFrom`, oldest first. The staff copies
 * of a lead's messages (a manager's private chat, the managers' chat) have another chat_id and are left out.
 */
export async function unmirroredMessages(db: Knex, scanFrom: number, settleMs: number, limit = 2000): Promise<MirroredMessage[]> {
  const rows = await db('messages as m')
    .join('leads as l', function joinOwnChat() {
      this.on('l.id', '=', 'm.lead_id').andOn('l.chat_id', '=', 'm.chat_id');
    })
    .leftJoin('dialog_topics as t', 't.lead_id', 'm.lead_id')
    .where('m.id', '>', scanFrom)
    .andWhereRaw('m.id > coalesce(t.mirrored_through, 0)')
    .orderBy('m.id')
    .limit(limit)
    .select('m.id', 'm.lead_id', 'm.direction', 'm.text', 'm.payload', 'm.status', 'm.telegram_message_id', 'm.chat_id', 'm.created_at', db.raw('m.created_at < now() - make_interval(secs => ?) as settled', [settleMs / 1000]), db.raw('extract(epoch from now() - m.created_at) * 1000 as age_ms'));
  return rows.map((r) => ({ ...r, id: num(r.id), lead_id: num(r.lead_id), age_ms: num(r.age_ms), chat_id: num(r.chat_id), telegram_message_id: r.telegram_message_id === null ? null : num(r.telegram_message_id) }));
}

/** The highest message id every row up to which has settled (any chat): where the scan may move when nothing waits. */
export async function settledEnd(db: Knex, scanFrom: number, settleMs: number): Promise<number> {
  const row = await db('messages')
    .where('id', '>', scanFrom)
    .andWhereRaw('created_at < now() - make_interval(secs => ?)', [settleMs / 1000])
    .max('id as max')
    .first();
  return row?.max == null ? scanFrom : num(row.max);
}

export async function moveScan(db: Knex, chatId: number, scanFrom: number): Promise<void> {
  await db('dialog_mirror').where({ chat_id: chatId }).andWhere('scan_from', '<', scanFrom).update({ scan_from: scanFrom });
}

export async function topicsOf(db: Knex, leadIds: number[]): Promise<Map<number, DialogTopicRow>> {
  if (leadIds.length === 0) return new Map();
  const rows: DialogTopicRow[] = await db('dialog_topics').whereIn('lead_id', leadIds).select('*', db.raw('extract(epoch from now() - topic_requested_at) * 1000 as requested_age_ms'));
  return new Map(rows.map((r) => [num(r.lead_id), { ...r, requested_age_ms: num(r.requested_age_ms), lead_id: num(r.lead_id), chat_id: num(r.chat_id), mirrored_through: num(r.mirrored_through), posting_from: r.posting_from === null ? null : num(r.posting_from), posting_through: r.posting_through === null ? null : num(r.posting_through) }]));
}

/**
 * Claims the creation of a lead's topic: true when this caller should create it now (no row yet, or a
 * row whose creation was cut off longer ago than a request can take, or a topic that was deleted).
 */
export async function claimTopicCreation(db: Knex, leadId: number, chatId: number, cutOffSeconds: number): Promise<boolean> {
  const inserted = await db('dialog_topics').insert({ lead_id: leadId, chat_id: chatId }).onConflict('lead_id').ignore().returning('lead_id');
  if (inserted.length > 0) return true;
  const retaken = await db('dialog_topics')
    .where({ lead_id: leadId })
    .andWhere((q) => q.whereNull('thread_id').orWhereNot('chat_id', chatId))
    .andWhereRaw('(chat_id <> ? or topic_requested_at < now() - make_interval(secs => ?))', [chatId, cutOffSeconds])
    .update({ chat_id: chatId, thread_id: null, card_posted: false, topic_requested_at: db.fn.now() });
  return retaken > 0;
}

export async function recordTopic(db: Knex, leadId: number, threadId: number): Promise<void> {
  await db('dialog_topics').where({ lead_id: leadId }).update({ thread_id: threadId, card_posted: false });
}

/** The topic is gone (deleted in the group): the next message opens a new one. */
export async function forgetTopic(db: Knex, leadId: number): Promise<void> {
  await db('dialog_topics').where({ lead_id: leadId }).update({ thread_id: null, card_posted: false, topic_requested_at: db.raw(`'epoch'::timestamptz`) });
}

export async function markCardPosted(db: Knex, leadId: number): Promise<void> {
  await db('dialog_topics').where({ lead_id: leadId }).update({ card_posted: true });
}

/** Plans a batch (its first and last message): a retry posts exactly this batch under the same id. */
export async function planBatch(db: Knex, leadId: number, from: number, through: number): Promise<void> {
  await db('dialog_topics').where({ lead_id: leadId }).whereNull('posting_from').update({ posting_from: from, posting_through: through });
}

/** The batch is posted (or given up): the cursor moves past it. */
export async function finishBatch(db: Knex, leadId: number, through: number): Promise<void> {
  await db('dialog_topics')
    .where({ lead_id: leadId })
    .update({ mirrored_through: db.raw('greatest(mirrored_through, ?)', [through]), posting_from: null, posting_through: null });
}

export async function batchMessages(db: Knex, leadId: number, from: number, through: number): Promise<MirroredMessage[]> {
  const rows = await db('messages as m')
    .join('leads as l', function joinOwnChat() {
      this.on('l.id', '=', 'm.lead_id').andOn('l.chat_id', '=', 'm.chat_id');
    })
    .where('m.lead_id', leadId)
    .whereBetween('m.id', [from, through])
    .orderBy('m.id')
    .select('m.id', 'm.lead_id', 'm.direction', 'm.text', 'm.payload', 'm.status', 'm.telegram_message_id', 'm.chat_id', 'm.created_at', db.raw('true as settled'), db.raw('0 as age_ms'));
  return rows.map((r) => ({ ...r, id: num(r.id), lead_id: num(r.lead_id), age_ms: num(r.age_ms), chat_id: num(r.chat_id), telegram_message_id: r.telegram_message_id === null ? null : num(r.telegram_message_id) }));
}

/**
 * The group's pace, shared by every process: claims the next post's slot (`intervalMs` after the
 * last, never before a 429 hold ends) and returns how long to wait for it.
 */
export async function claimPostSlot(db: Knex, chatId: number, intervalMs: number): Promise<number> {
  const { rows } = await db.raw(
    `update dialog_mirror set next_post_at = greatest(next_post_at, held_until, now()) + make_interval(secs => ?)
     where chat_id = ?
     returning extract(epoch from (next_post_at - make_interval(secs => ?) - now())) * 1000 as wait_ms`,
    [intervalMs / 1000, chatId, intervalMs / 1000],
  );
  return Math.max(0, Number(rows[0]?.wait_ms ?? 0));
}

/** Telegram answered 429: nothing is posted to the group before `seconds` have passed. */
export async function holdPosts(db: Knex, chatId: number, seconds: number): Promise<void> {
  await db('dialog_mirror')
    .where({ chat_id: chatId })
    .update({ held_until: db.raw('greatest(held_until, now() + make_interval(secs => ?))', [seconds]) });
}

/** The lead whose topic this is (a manager writing in it), or null. */
export async function leadOfTopic(db: Knex, chatId: number, threadId: number): Promise<number | null> {
  const row = await db('dialog_topics').where({ chat_id: chatId, thread_id: threadId }).first('lead_id');
  return row ? num(row.lead_id) : null;
}
