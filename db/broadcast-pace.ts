import type { Knex } from 'knex';

/**
 * The shared send clock of every campaign sender (table `broadcast_pace`, one row). Times are the
 * database's own (`clock_timestamp()`), so workers on machines whose clocks disagree still agree here.
 */

/** The pace row is missing: the `021_broadcast_pace` migration has not run. */
export class BroadcastPaceMissingError extends Error {
  constructor() {
    super('broadcast_pace has no row: run the migrations (npm run migrate)');
    this.name = 'BroadcastPaceMissingError';
  }
}

/**
 * Claims the next send slot, `intervalMs` after the previous one and never before a 429's hold ends,
 * in one atomic statement (the row lock orders concurrent senders). Both times are the database's,
 * in epoch milliseconds: the slot, and the moment it was handed out.
 */
export async function claimSendSlot(db: Knex, intervalMs: number): Promise<{ slotAt: number; claimedAt: number }> {
  const { rows } = await db.raw<{ rows: { slot_at: number; claimed_at: number }[] }>(
    `update broadcast_pace
        set next_at = greatest(next_at, held_until, clock_timestamp()) + make_interval(secs => ?)
      where id = 1
      returning (extract(epoch from next_at) * 1000)::float8 - ? as slot_at, (extract(epoch from clock_timestamp()) * 1000)::float8 as claimed_at`,
    [intervalMs / 1000, intervalMs],
  );
  if (!rows[0]) throw new BroadcastPaceMissingError();
  return { slotAt: rows[0].slot_at, claimedAt: rows[0].claimed_at };
}

/** A sender went out `ms` late: every later slot moves by as much, so the late message is not bunched with the next ones. */
export async function slipPace(db: Knex, ms: number): Promise<void> {
  await db.raw(`update broadcast_pace set next_at = next_at + make_interval(secs => ?) where id = 1`, [ms / 1000]);
}

/** Telegram answered 429: no sender may send for `ms`, and slots already handed out are void. */
export async function holdSends(db: Knex, ms: number): Promise<void> {
  await db.raw(
    `update broadcast_pace
        set held_until = greatest(held_until, clock_timestamp() + make_interval(secs => ?)),
            next_at = greatest(next_at, clock_timestamp() + make_interval(secs => ?))
      where id = 1`,
    [ms / 1000, ms / 1000],
  );
}

/** How much longer a 429's hold lasts (0: none). A sender checks it when its slot comes. */
export async function remainingHoldMs(db: Knex): Promise<number> {
  const { rows } = await db.raw<{ rows: { hold_ms: number }[] }>(
    `select greatest(0, extract(epoch from (held_until - clock_timestamp())) * 1000)::float8 as hold_ms from broadcast_pace where id = 1`,
  );
  if (!rows[0]) throw new BroadcastPaceMissingError();
  return rows[0].hold_ms;
}
