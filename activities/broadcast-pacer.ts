import type { Db } from '../db/knex';
import { claimSendSlot, holdSends, remainingHoldMs } from '../db/broadcast-pace';

/**
 * Paces every campaign send of the whole system (all workers, all processes) through the one row in
 * Postgres: at most `ratePerSecond` messages a second, evenly spaced, and after a 429 nobody sends
 * until its retry_after has passed.
 */
export interface BroadcastPacer {
  /** Resolves when this sender may send one message; `whileWaiting` runs at least every 5 s of waiting. */
  turn(whileWaiting?: () => void): Promise<void>;
  /** Telegram answered 429: every sender, here and elsewhere, waits `seconds`. */
  hold(seconds: number): Promise<void>;
}

export interface BroadcastPacerDeps {
  db: Db;
  ratePerSecond: number;
  /** Tests may pass a faster clock. */
  sleep?: (ms: number) => Promise<void>;
}

/** A wait is cut into steps this long, so a long one still heartbeats. */
const WAIT_STEP_MS = 5000;

export function createBroadcastPacer({ db, ratePerSecond, sleep = defaultSleep }: BroadcastPacerDeps): BroadcastPacer {
  const intervalMs = 1000 / ratePerSecond;
  /** This process's lanes learn of a 429 at once, without waiting for the database to say so. */
  let heldHereUntil = 0;

  async function wait(ms: number, whileWaiting?: () => void): Promise<void> {
    for (let left = ms; left > 0; left -= WAIT_STEP_MS) {
      whileWaiting?.();
      await sleep(Math.min(left, WAIT_STEP_MS));
    }
  }

  return {
    async turn(whileWaiting) {
      for (;;) {
        const { waitMs } = await claimSendSlot(db, intervalMs);
        await wait(waitMs, whileWaiting);
        // A 429 that came while we slept voids the slot we hold: claim one after its hold instead.
        if (Date.now() < heldHereUntil) continue;
        if (waitMs === 0 || (await remainingHoldMs(db)) === 0) return;
      }
    },
    async hold(seconds) {
      heldHereUntil = Math.max(heldHereUntil, Date.now() + seconds * 1000);
      await holdSends(db, seconds * 1000);
    },
  };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
