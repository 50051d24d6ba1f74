import { BotError, GrammyError, type Bot } from 'grammy';
import type { Update } from 'grammy/types';
import type { Logger } from 'pino';
import type { BotContext } from './context';
import { UpdateNotDeliveredError } from './leads/lead-conversations';

export interface LongPollingOptions {
  allowedUpdates: readonly Exclude<keyof Update, 'update_id'>[];
  logger: Logger;
  /** Called first on stop (e.g. `LeadConversations.close`), so updates waiting for Temporal give up. */
  onStop?: () => void;
  /** Long-poll timeout in seconds (default 30). */
  timeoutSeconds?: number;
  /** How long stop waits for updates in hand before leaving them at Telegram (default 10 s). */
  stopGraceMs?: number;
}

export interface LongPolling {
  /** Settles when polling ends (stopped, or a fatal error such as a revoked token). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** grammY types its signal with the abort-controller package's class; the built-in one is what it gets at run time. */
type PollSignal = Parameters<Bot['api']['getUpdates']>[1];

/** Updates in hand at once: one getUpdates answer (Telegram hands out at most 100). */
const MAX_IN_HAND = 100;
/** The longest wait between two tries of an update while Postgres is unreachable. */
const MAX_DATABASE_RETRY_S = 10;
/** Node's socket errors and Postgres's "cannot connect now" / "admin shutdown" / connection failures. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', '57P01', '57P03', '08000', '08001', '08003', '08006']);

/** Whether an error (or its cause) says Postgres could not be reached, rather than that the update is bad. */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    if (/Connection terminated|Connection ended unexpectedly|Timeout acquiring a connection/i.test(current.message)) return true;
  }
  return false;
}

/** While an unfinished update holds the offset, Telegram answers at once with what we have: poll at this pace. */
const HELD_OFFSET_POLL_MS = 1000;

/**
 * Long polling that confirms an update to Telegram (moves the offset past it) only once it was
 * handled: for a lead's update, once Temporal took it. Updates of different chats run side by
 * side, so one slow staff action (a confirm waiting for fulfilment, a script waiting for the model)
 * holds up nobody else; each chat's updates (each person's, in a group) run one after another, in
 * order. An update Temporal did not take by shutdown stays at Telegram, with everything after it,
 * for the next start (a lead's conversation ignores an update id it has seen; a staff command that
 * finished after it runs again).
 */
export function startLongPolling(bot: Bot<BotContext>, options: LongPollingOptions): LongPolling {
  const { logger } = options;
  const abort = new AbortController();
  const chats = new ChatQueues();
  /** Fetched and not yet confirmed: refetched while an earlier update holds the offset, never handled twice. */
  const seen = new Set<number>();
  /** In hand, or given back (Temporal did not take it): the offset stays at the lowest. */
  const unfinished = new Set<number>();
  const inHand = new Set<Promise<void>>();
  let highest = 0;
  let stopping = false;
  const progress = signal();
  abort.signal.addEventListener('abort', () => progress.fire());

  const offset = (): number | undefined => (unfinished.size ? Math.min(...unfinished) : highest ? highest + 1 : undefined);

  async function handle(update: Update): Promise<void> {
    // Postgres unreachable (the anti-spam, staff checks and cards read it first): the update is kept
    // and handled again once it answers, instead of being confirmed unhandled and lost (found by
    // the fault suite's Postgres outage, scenario 4). A conversation ignores an update id it has seen.
    for (let attempt = 1; !stopping; attempt += 1) {
      const outcome = await handleOnce(update);
      if (outcome !== 'database unreachable') return;
      const seconds = Math.min(2 ** attempt, MAX_DATABASE_RETRY_S);
      logger.warn({ updateId: update.update_id, attempt, seconds }, 'database unreachable; update kept and handled again shortly');
      await sleep(seconds * 1000, abort.signal);
    }
    // Stopping: left at Telegram (unfinished, so never confirmed) for the next start.
  }

  async function handleOnce(update: Update): Promise<'done' | 'database unreachable'> {
    try {
      await bot.handleUpdate(update);
    } catch (error) {
      const cause = error instanceof BotError ? error.error : error;
      if (cause instanceof UpdateNotDeliveredError) {
        logger.warn({ updateId: update.update_id, workflowId: cause.workflowId }, 'update not taken by Temporal; left at Telegram for the next start');
        return 'done'; // stays unfinished: never confirmed by this process
      }
      if (isDatabaseUnreachable(cause)) return 'database unreachable';
      if (error instanceof BotError) await Promise.resolve(bot.errorHandler(error)).catch(() => undefined);
      else logger.error({ updateId: update.update_id, err: String(error) }, 'update handling failed');
    }
    unfinished.delete(update.update_id);
    return 'done';
  }

  function take(update: Update): void {
    seen.add(update.update_id);
    unfinished.add(update.update_id);
    highest = Math.max(highest, update.update_id);
    const work = chats.run(chatKeyOf(update), () => handle(update)).finally(() => {
      inHand.delete(work);
      progress.fire();
    });
    inHand.add(work);
  }

  async function loop(): Promise<void> {
    let allowed_updates: LongPollingOptions['allowedUpdates'] | undefined = options.allowedUpdates;
    while (!stopping) {
      if (inHand.size >= MAX_IN_HAND) {
        await progress.next();
        continue;
      }
      let updates: Update[];
      try {
        updates = await bot.api.getUpdates({ offset: offset(), limit: 100, timeout: options.timeoutSeconds ?? 30, allowed_updates }, abort.signal as PollSignal);
        allowed_updates = undefined; // Telegram keeps the last setting
      } catch (error) {
        if (stopping) break;
        if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 409)) throw error;
        const seconds = error instanceof GrammyError && error.error_code === 429 ? (error.parameters.retry_after ?? 3) : 3;
        logger.warn({ err: String(error), seconds }, 'getUpdates failed; polling again shortly');
        await sleep(seconds * 1000, abort.signal);
        continue;
      }
      const fresh = updates.filter((update) => !seen.has(update.update_id));
      for (const update of fresh) take(update);
      const confirmed = offset();
      if (confirmed !== undefined) for (const id of seen) if (id < confirmed) seen.delete(id);
      // Telegram answers at once while it holds updates we have in hand: wait for one to finish (or a moment) instead of spinning.
      if (fresh.length === 0 && updates.length > 0) await Promise.race([progress.next(), sleep(HELD_OFFSET_POLL_MS, abort.signal)]);
    }
  }

  const done = loop().finally(() => progress.fire());

  return {
    done,
    async stop() {
      if (stopping) return;
      stopping = true;
      options.onStop?.();
      abort.abort();
      await done.catch(() => undefined);
      const settled = Promise.allSettled([...inHand]).then(() => true);
      if (!(await Promise.race([settled, sleep(options.stopGraceMs ?? 10_000).then(() => false)]))) {
        logger.warn({ updates: [...unfinished] }, 'updates still in hand at shutdown; left at Telegram for the next start');
      }
      // Confirms what was handled, up to the first update that was not.
      const final = offset();
      if (final !== undefined) await bot.api.getUpdates({ offset: final, limit: 1, timeout: 0 }).catch((error: unknown) => logger.warn({ err: String(error) }, 'final getUpdates failed; handled updates may come again'));
      logger.info({ offset: final, leftAtTelegram: unfinished.size }, 'long polling stopped');
    },
  };
}

/** Whose turn an update waits for: its private chat, or one person in a group (staff act independently there). */
export function chatKeyOf(update: Update): string {
  const message = update.message ?? update.edited_message ?? update.callback_query?.message;
  const from = update.message?.from ?? update.edited_message?.from ?? update.callback_query?.from ?? update.pre_checkout_query?.from;
  const chat = message?.chat;
  if (chat && chat.type !== 'private') return `${chat.id}:${from?.id ?? ''}`;
  return String(chat?.id ?? from?.id ?? 'other');
}

/** One promise chain per key: work of the same key runs in order, different keys side by side. */
class ChatQueues {
  private readonly tails = new Map<string, Promise<void>>();

  run(key: string, work: () => Promise<void>): Promise<void> {
    const next = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/** A re-armable "something finished" notice. */
function signal() {
  let resolve!: () => void;
  let promise = new Promise<void>((r) => (resolve = r));
  return {
    next: () => promise,
    fire() {
      resolve();
      promise = new Promise<void>((r) => (resolve = r));
    },
  };
}

function sleep(ms: number, abortSignal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      abortSignal?.removeEventListener('abort', done);
      resolve();
    }
    abortSignal?.addEventListener('abort', done);
  });
}
