import type { Knex } from 'knex';

export type MessageDirection = 'in' | 'out' | 'manager';
/**
 * An outbound message is claimed `queued` (waiting for its slot; nothing of it has left the worker) or
 * `sending` (its request may be on the wire), then settles `sent`, `failed` (Telegram refused it: nothing
 * went out) or `unknown` (Telegram may have it). Migration 030; docs/broadcasts.md#delivery.
 */
export type MessageStatus = 'received' | 'queued' | 'sending' | 'sent' | 'failed' | 'unknown';
/** How a message is claimed: `queued` when it still waits for its turn before the request, else `sending`. */
export type ClaimStatus = Extract<MessageStatus, 'queued' | 'sending'>;

export interface MessageRow {
  id: number;
  /** null for staff-chat messages that concern no lead (the daily digest). */
  lead_id: number | null;
  chat_id: number;
  direction: MessageDirection;
  text: string | null;
  payload: Record<string, unknown> | null;
  telegram_message_id: number | null;
  update_id: number | null;
  outbound_id: string | null;
  status: MessageStatus;
  error: string | null;
  created_at: Date;
}

/** Stores an inbound message once per Telegram update; returns false for a redelivered update. */
export async function recordInboundMessage(
  db: Knex,
  message: { leadId: number; chatId: number; updateId: number; text: string; telegramMessageId?: number; payload: Record<string, unknown> },
): Promise<boolean> {
  const inserted = await db('messages')
    .insert({
      lead_id: message.leadId,
      chat_id: message.chatId,
      direction: 'in',
      text: message.text,
      payload: message.payload,
      telegram_message_id: message.telegramMessageId ?? null,
      update_id: message.updateId,
      status: 'received',
    })
    .onConflict('update_id')
    .ignore()
    .returning('id');
  return inserted.length > 0;
}

export async function findOutbound(db: Knex, outboundId: string): Promise<MessageRow | undefined> {
  return db<MessageRow>('messages').where({ outbound_id: outboundId }).first();
}

/**
 * Claims an outbound message before it is sent: inserts it as `status` (default `sending`), or moves a
 * `failed` one (a send Telegram refused, so nothing went out) back to it. Returns the row as it was
 * before the claim when someone else already holds it, so the caller can decide.
 */
export async function claimOutbound(
  db: Knex,
  message: {
    leadId: number | null;
    chatId: number;
    outboundId: string;
    direction: MessageDirection;
    text: string;
    payload: Record<string, unknown>;
  },
  status: ClaimStatus = 'sending',
): Promise<{ claimed: true } | { claimed: false; existing: MessageRow }> {
  const inserted = await db('messages')
    .insert({
      lead_id: message.leadId,
      chat_id: message.chatId,
      direction: message.direction,
      text: message.text,
      payload: message.payload,
      outbound_id: message.outboundId,
      status,
    })
    .onConflict('outbound_id')
    .ignore()
    .returning('id');
  if (inserted.length > 0) return { claimed: true };
  const retried = await db('messages')
    .where({ outbound_id: message.outboundId, status: 'failed' })
    .update({ status, error: null, updated_at: db.fn.now() });
  if (retried > 0) return { claimed: true };
  return { claimed: false, existing: (await findOutbound(db, message.outboundId)) as MessageRow };
}

/**
 * Moves a `queued` claim to `sending` right before its request goes to Telegram. Compare-and-set: of
 * two attempts holding the same waiting claim (a retry and the attempt it replaced, still alive), only
 * the one that moves it sends; false for the other, which must not send.
 *
 * Committed without waiting for the WAL flush (`synchronous_commit` off for this one statement's
 * transaction: a 1 ms UPDATE instead of 6-12 ms on a loaded machine, so the pacer marks just before the
 * slot). The mark must outlive the worker, which it does once committed; only a crash of Postgres
 * itself within milliseconds of it (before any other commit flushes the WAL) could lose it, and then
 * the row would read `queued` again.
 */
export async function markOnTheWire(db: Knex, outboundId: string): Promise<boolean> {
  return (await moveClaim(db, outboundId, 'queued', 'sending')) > 0;
}

/** Moves a claim this attempt marked back to `queued` (its slot was lost before the request went out). */
export async function unmarkOnTheWire(db: Knex, outboundId: string): Promise<void> {
  await moveClaim(db, outboundId, 'sending', 'queued');
}

/** One statement: the set_config in its CTE applies to the statement's own transaction, commit included. */
async function moveClaim(db: Knex, outboundId: string, from: ClaimStatus, to: ClaimStatus): Promise<number> {
  const result = await db.raw(
    `with async_commit as (select set_config('synchronous_commit', 'off', true))
     update messages set status = ?, updated_at = now() where outbound_id = ? and status = ? and exists (select 1 from async_commit)`,
    [to, outboundId, from],
  );
  return (result as { rowCount: number }).rowCount;
}

/**
 * Releases `queued` claims (nothing of them went out) as `failed`, which a later attempt claims again:
 * a wait that failed, or a campaign message a killed attempt left waiting that is no longer to be sent.
 * A claim another attempt took to the wire meanwhile is left alone.
 */
export async function releaseQueued(db: Knex, outboundIds: string | string[], error: string): Promise<void> {
  await db('messages')
    .whereIn('outbound_id', typeof outboundIds === 'string' ? [outboundIds] : outboundIds)
    .andWhere({ status: 'queued' })
    .update({ status: 'failed', error: error.slice(0, 1000), updated_at: db.fn.now() });
}

/**
 * Takes over a claim whose attempt was cut off mid-send (its worker died between the claim and
 * Telegram's answer), once the claim is older than any request of that attempt could still be in
 * flight. Marks the row as resent, so a copy the lead may see twice is on record. Compare-and-set:
 * of two retries racing, one wins.
 */
export async function reclaimCutOffOutbound(db: Knex, outboundId: string, inFlightSeconds: number): Promise<boolean> {
  const taken = await db('messages')
    .where({ outbound_id: outboundId, status: 'sending' })
    .andWhereRaw('updated_at < now() - make_interval(secs => ?)', [inFlightSeconds])
    .update({
      payload: db.raw(`coalesce(payload, '{}'::jsonb) || jsonb_build_object('resentAfterCutOff', coalesce((payload->>'resentAfterCutOff')::int, 0) + 1)`),
      updated_at: db.fn.now(),
    });
  return taken > 0;
}

export async function settleOutbound(
  db: Knex,
  outboundId: string,
  outcome: { status: 'sent'; telegramMessageId: number } | { status: 'failed' | 'unknown'; error: string },
): Promise<void> {
  await db('messages')
    .where({ outbound_id: outboundId })
    .update({
      status: outcome.status,
      telegram_message_id: outcome.status === 'sent' ? outcome.telegramMessageId : null,
      error: outcome.status === 'sent' ? null : outcome.error.slice(0, 1000),
      updated_at: db.fn.now(),
    });
}
