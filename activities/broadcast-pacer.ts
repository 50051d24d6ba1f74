import type { Db } from '../db/knex';
import { claimSendSlot, holdSends, remainingHoldMs, slipPace } from '../db/broadcast-pace';

/**
 * Paces every campaign send of the whole system (all workers, all processes) through the one row in
 * Postgres: at most `ratePerSecond` messages a second, evenly spaced, and after a 429 nobody sends
 * until its retry_after has passed.
 */
/**
 * The message's claim in the log, moved to `sending` (on the wire) by the pacer a few milliseconds
 * before the slot, so the UPDATE's time never delays the send (docs/broadcasts.md#delivery).
 */
export interface WireMark {
  /** Claims the wire for this message; false when another attempt took it (this one must not send). */
  mark(): Promise<boolean>;
  /** The slot was lost after the mark: the message waits again, `queued`. */
  unmark(): Promise<void>;
}

export interface BroadcastPacer {
  /**
   * Resolves when this sender may send one message; `whileWaiting` runs at least every 5 s of waiting.
   * With `wire`, marks the message on the wire just before the slot; false: another attempt has it.
   */
  turn(whileWaiting?: () => void, wire?: WireMark): Promise<boolean>;
  /**
   * The same turn in two steps: resolves a few tens of milliseconds before this sender's slot (after
   * any hold), and `go` waits out the rest. A sender prepares its message in between (claims it in the
   * log), so the message waits claimed only for that last moment, never through a long queue or hold.
   */
  reserve(whileWaiting?: () => void): Promise<{ go(wire?: WireMark): Promise<boolean> }>;
  /** Waits out a 429 hold this process already knows of (no database round trip). */
  holdKnownHere(whileWaiting?: () => void): Promise<void>;
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
/**
 * A sender that wakes this much after its slot (a busy CPU, a GC pause) gives the slot up: sending
 * late would bunch it with the next sender's message, and Telegram counts messages per second.
 */
const LATE_SLOT_MS = 15;
/** A sender later than this (but not too late to send) moves the pace by its lateness. */
const SLIP_FROM_MS = 8;
/** How long before its slot a sender looks for a 429 hold set by another process. */
const HOLD_CHECK_LEAD_MS = 50;
/**
 * How long before its slot a sender marks its message on the wire (one UPDATE, committed): its time is
 * spent before the slot, not between the slot and Telegram, and a worker killed before it leaves the
 * message `queued` for the retry. The lead follows how long this process's recent marks took (the 80th
 * percentile of the last MARK_SAMPLES, plus 2 ms), from 3 ms on a quiet database to at most the 45 ms a
 * loaded one needs (a 2-core machine at load 20: median 8 ms, 90th percentile 34 ms); a mark that takes
 * longer still makes the sender late, and a late sender gives its slot up (below).
 */
const MARK_LEAD_MIN_MS = 3;
const MARK_LEAD_MAX_MS = 45;
const MARK_SAMPLES = 20;
/** How long an estimate of the database clock's offset is trusted before a worse one may replace it. */
const CLOCK_ESTIMATE_TTL_MS = 30_000;
/**
 * An older estimate gives way only to one measured over a round trip at most this many times as long
 * (plus 2 ms): a claim that waited for the row lock or a busy event loop comes back late, and the
 * middle of its round trip is then far from the moment the database took it. Trusting it would move
 * every slot after it by up to half that round trip, bunching them with the ones before.
 */
const CLOCK_ESTIMATE_WORSE_BY = 2;
/**
 * Telegram counts messages in any sliding second, at arrival, and a message can be held up on its
 * way there (a busy event loop, a GC pause, the network) while the next one is not. The pace keeps
 * margin in three places, each cheap:
 *  - SLOT_SPAN_MS: the shared slots put `floor(rate)` messages in 1008 ms, not 1000 (0.8 % of the
 *    rate), so the slots, not the local window, set the pace, and every message lands on an evenly
 *    spaced slot again. Before, the slots were exactly the rate and the window below bound every
 *    send: each send went out a window after the one `rate` sends earlier, so the gaps of one second
 *    were copied into the next with every late timer added, and two sends drifted together; a pair
 *    copied every second is one message over a second as soon as one of them is a few ms late on its way.
 *  - SEND_WINDOW_MS: this process never sends more than the rate within 1003 ms (a backstop for an
 *    estimate of the database clock that moved, or a late sender).
 *  - MIN_GAP_SHARE: two sends of this process are at least three quarters of a slot apart, so a
 *    late sender and the one after it never leave together: one more than the rate within a
 *    second takes the window plus that gap (over 1030 ms at 29 a second).
 */
const SLOT_SPAN_MS = 1008;
const SEND_WINDOW_MS = 1003;
const MIN_GAP_SHARE = 0.75;

export function createBroadcastPacer({ db, ratePerSecond, sleep = defaultSleep }: BroadcastPacerDeps): BroadcastPacer {
  const perWindow = Math.max(1, Math.floor(ratePerSecond));
  const intervalMs = Math.max(1000 / ratePerSecond, SLOT_SPAN_MS / perWindow);
  const minGapMs = intervalMs * MIN_GAP_SHARE;

  /** This process's lanes learn of a 429 at once, without waiting for the database to say so. */
  let heldHereUntil = 0;
  /**
   * The database clock minus ours, from the fastest recent round trip: each lane wakes at its slot on
   * our clock, however long its own claim took to come back.
   */
  let clock = { offsetMs: 0, roundTripMs: Number.POSITIVE_INFINITY, at: 0 };
  /** When this process's last sends went out (oldest first): at most `perWindow` within SEND_WINDOW_MS. */
  const sentHere: number[] = [];
  let lastSentAt = Number.NEGATIVE_INFINITY;
  /** How long this process's last marks took (ms), newest last. */
  const markTimes: number[] = [];

  function markLeadMs(): number {
    if (markTimes.length === 0) return MARK_LEAD_MAX_MS;
    const sorted = [...markTimes].sort((a, b) => a - b);
    const p80 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.8))];
    return Math.min(MARK_LEAD_MAX_MS, Math.max(MARK_LEAD_MIN_MS, Math.ceil(p80) + 2));
  }

  async function timedMark(wire: WireMark): Promise<boolean> {
    const started = Date.now();
    const marked = await wire.mark();
    markTimes.push(Date.now() - started);
    if (markTimes.length > MARK_SAMPLES) markTimes.shift();
    return marked;
  }

  /** `idle`: the pace had fallen behind the clock, so the slot is now and nothing is sent just before it. */
  async function claim(): Promise<{ dueAt: number; idle: boolean }> {
    const asked = Date.now();
    const { slotAt, claimedAt } = await claimSendSlot(db, intervalMs);
    const answered = Date.now();
    const roundTripMs = answered - asked;
    const aged = answered - clock.at > CLOCK_ESTIMATE_TTL_MS;
    if (roundTripMs <= clock.roundTripMs || (aged && roundTripMs <= clock.roundTripMs * CLOCK_ESTIMATE_WORSE_BY + 2)) {
      clock = { offsetMs: claimedAt - (asked + answered) / 2, roundTripMs, at: answered };
    }
    return { dueAt: slotAt - clock.offsetMs, idle: slotAt <= claimedAt };
  }

  async function wait(ms: number, whileWaiting?: () => void): Promise<void> {
    for (let left = ms; left > 0; left -= WAIT_STEP_MS) {
      whileWaiting?.();
      await sleep(Math.min(left, WAIT_STEP_MS));
    }
  }

  /** A slot, waited for until just before it (a slot a 429 hold voided meanwhile is replaced by a later one). */
  async function approach(whileWaiting?: () => void): Promise<{ dueAt: number; idle: boolean }> {
    for (;;) {
      const slot = await claim();
      if (slot.idle) return slot; // the claim itself waited for any hold
      // A 429 elsewhere while we slept voids our slot: look just before it (not at it, so the
      // database's answer time never delays the send) and claim one after the hold instead.
      if (slot.dueAt - Date.now() > HOLD_CHECK_LEAD_MS) {
        await wait(slot.dueAt - HOLD_CHECK_LEAD_MS - Date.now(), whileWaiting);
        if ((await remainingHoldMs(db)) > 0) continue;
      }
      return slot;
    }
  }

  /**
   * Waits until this process has sent fewer than the rate within the last SEND_WINDOW_MS and its last
   * send is at least the minimum gap ago, then counts this send (no await between the check and the
   * count: lanes cannot both take the room). Returns how long it waited.
   */
  async function roomInWindow(whileWaiting?: () => void): Promise<number> {
    // The gap only spreads this process's own sends: it does not move the shared slots (a late
    // sender's neighbour waiting a few ms for it would otherwise move every later slot, and the
    // next neighbour too).
    await wait(Math.ceil(lastSentAt + minGapMs - Date.now()), whileWaiting);
    const started = Date.now();
    for (;;) {
      const now = Date.now();
      while (sentHere.length > 0 && sentHere[0] <= now - SEND_WINDOW_MS) sentHere.shift();
      const untilGap = lastSentAt + minGapMs - now;
      const untilWindow = sentHere.length < perWindow ? 0 : sentHere[0] + SEND_WINDOW_MS - now + 1;
      const waitMs = Math.max(untilGap, untilWindow);
      if (waitMs <= 0) {
        sentHere.push(now);
        lastSentAt = now;
        return now - started;
      }
      await wait(Math.ceil(waitMs), whileWaiting);
    }
  }

  /**
   * The last moment before the slot; `lost` when the slot is lost (a 429 here, or woken too late: the
   * message is unmarked), `taken` when another attempt has the message on the wire.
   */
  async function arrive(slot: { dueAt: number; idle: boolean }, whileWaiting?: () => void, wire?: WireMark): Promise<'go' | 'lost' | 'taken'> {
    if (!slot.idle) {
      if (wire) {
        await wait(slot.dueAt - markLeadMs() - Date.now(), whileWaiting);
        if (Date.now() < heldHereUntil || Date.now() - slot.dueAt > LATE_SLOT_MS) {
          await wait(heldHereUntil - Date.now(), whileWaiting);
          return 'lost';
        }
        if (!(await timedMark(wire))) return 'taken';
      }
      await wait(slot.dueAt - Date.now(), whileWaiting);
      if (Date.now() < heldHereUntil) {
        await wire?.unmark();
        await wait(heldHereUntil - Date.now(), whileWaiting);
        return 'lost';
      }
    } else if (wire && !(await timedMark(wire))) return 'taken';
    const lateMs = slot.idle ? 0 : Date.now() - slot.dueAt;
    if (lateMs > LATE_SLOT_MS) {
      await wire?.unmark();
      return 'lost';
    }
    // Slightly late, or held back by the window: the slots after ours move too (without waiting for
    // the database), so the messages after this one are not bunched with it.
    const slipMs = lateMs + (await roomInWindow(whileWaiting));
    if (slipMs > SLIP_FROM_MS) slipPace(db, slipMs).catch(() => undefined);
    return 'go';
  }

  /** Arrives at `slot`, and at later ones while a slot is lost; true: send now. */
  async function arriveFrom(slot: { dueAt: number; idle: boolean }, whileWaiting?: () => void, wire?: WireMark): Promise<boolean> {
    for (let next = slot; ; next = await approach(whileWaiting)) {
      const arrived = await arrive(next, whileWaiting, wire);
      if (arrived !== 'lost') return arrived === 'go';
    }
  }

  async function turn(whileWaiting?: () => void, wire?: WireMark): Promise<boolean> {
    return arriveFrom(await approach(whileWaiting), whileWaiting, wire);
  }

  return {
    turn,
    async reserve(whileWaiting) {
      const slot = await approach(whileWaiting);
      return { go: (wire) => arriveFrom(slot, whileWaiting, wire) };
    },
    holdKnownHere: (whileWaiting) => wait(heldHereUntil - Date.now(), whileWaiting),
    async hold(seconds) {
      heldHereUntil = Math.max(heldHereUntil, Date.now() + seconds * 1000);
      await holdSends(db, seconds * 1000);
    },
  };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
