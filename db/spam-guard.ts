import type { Knex } from 'knex';
import { EMPTY_SPAM_STATE, judge, liftMute, type RecentEvent, type SpamDecision, type SpamEvent, type SpamState } from '../domain/anti-spam';

interface SpamGuardRow {
  telegram_user_id: string;
  level: number;
  muted_until: Date | null;
  last_mute_ends_at: Date | null;
  recent: RecentEvent[];
}

const toState = (row: SpamGuardRow | undefined): SpamState =>
  row
    ? { level: row.level, mutedUntil: row.muted_until?.getTime() ?? null, lastMuteEndsAt: row.last_mute_ends_at?.getTime() ?? null, recent: row.recent }
    : EMPTY_SPAM_STATE;

const toRow = (state: SpamState) => ({
  level: state.level,
  muted_until: state.mutedUntil === null ? null : new Date(state.mutedUntil),
  last_mute_ends_at: state.lastMuteEndsAt === null ? null : new Date(state.lastMuteEndsAt),
  recent: JSON.stringify(state.recent),
});

/**
 * Judges one event of a lead against their stored state, under a row lock: several bot processes
 * (behind a webhook) see each other's events and agree on a mute.
 */
export async function judgeEvent(db: Knex, telegramUserId: number, event: SpamEvent, now: Date): Promise<SpamDecision> {
  return db.transaction(async (trx) => {
    // One round trip creates the row if needed, locks it and reads it (a lead's every update waits for this).
    const [row]: SpamGuardRow[] = await trx('spam_guard')
      .insert({ telegram_user_id: telegramUserId })
      .onConflict('telegram_user_id')
      .merge({ telegram_user_id: telegramUserId })
      .returning('*');
    const { decision, state } = judge(toState(row), event, now.getTime());
    await trx('spam_guard').where({ telegram_user_id: telegramUserId }).update({ ...toRow(state), updated_at: trx.fn.now() });
    return decision;
  });
}

export async function spamStateOf(db: Knex, telegramUserId: number): Promise<SpamState> {
  return toState(await db('spam_guard').where({ telegram_user_id: telegramUserId }).first());
}

/** Staff lifted the mute and reset the level; returns the state before, for the audit. */
export async function liftMuteOf(db: Knex, telegramUserId: number): Promise<SpamState> {
  return db.transaction(async (trx) => {
    const before = toState(await trx('spam_guard').where({ telegram_user_id: telegramUserId }).forUpdate().first());
    await trx('spam_guard').where({ telegram_user_id: telegramUserId }).update({ ...toRow(liftMute()), updated_at: trx.fn.now() });
    return before;
  });
}

/** An update the guard did not pass on, kept whole with the reason (once per update id). */
export async function recordDroppedUpdate(
  db: Knex,
  dropped: { telegramUserId: number; updateId: number; reason: string; mutedUntil: Date | null; update: unknown },
): Promise<void> {
  await db('dropped_updates')
    .insert({
      telegram_user_id: dropped.telegramUserId,
      update_id: dropped.updateId,
      reason: dropped.reason,
      muted_until: dropped.mutedUntil,
      update: JSON.stringify(dropped.update),
    })
    .onConflict('update_id')
    .ignore();
}
