import type { Api, RawApi } from 'grammy';
import type { Logger } from 'pino';

/** Telegram shows a chat action for about 5 seconds, or until the bot's next message arrives. */
export const TYPING_RENEW_MS = 4_000;

/**
 * "typing…" in the lead's chat while the activity waits (for the model, for a transcription),
 * renewed until `stop()`. It lives inside the activity, not in the workflow: nothing here enters
 * the workflow's history, so it cannot break determinism, and it ends with the activity whatever
 * happens. A failed chat action is only logged: it is a courtesy, never a reason to fail the turn.
 */
export async function keepTyping(api: Api<RawApi>, chatId: number, logger: Logger): Promise<{ stop(): void }> {
  const send = () =>
    api.sendChatAction(chatId, 'typing').then(
      () => undefined,
      (error: unknown) => logger.debug({ chatId, err: String(error) }, 'chat action not sent'),
    );
  // The first one is awaited (briefly), so it reaches the lead before the answer does.
  await Promise.race([send(), new Promise((resolve) => setTimeout(resolve, FIRST_ACTION_WAIT_MS))]);
  const timer = setInterval(() => void send(), TYPING_RENEW_MS);
  return { stop: () => clearInterval(timer) };
}

/** A slow Telegram must not hold the model turn up for long. */
const FIRST_ACTION_WAIT_MS = 1_000;
