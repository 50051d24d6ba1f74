import { ApplicationFailure } from '@temporalio/common';
import { GrammyError, HttpError } from 'grammy';

/** Failure types the workflows react to; a refusal never retries, a rate limit waits as told. */
export const TelegramFailure = {
  rateLimited: 'TelegramRateLimited',
  blocked: 'TelegramBlocked',
  badRequest: 'TelegramBadRequest',
  unavailable: 'TelegramUnavailable',
} as const;

export type TelegramOutcome =
  | { kind: 'refused'; failure: ApplicationFailure; blocked: boolean }
  | { kind: 'retry'; failure: ApplicationFailure }
  | { kind: 'unknown'; reason: string };

/**
 * Sorts a failed Bot API call: did Telegram refuse it (nothing was sent), ask us to come back
 * later (nothing was sent), or did we lose track of it (it may have been sent)?
 */
export function classifyTelegramError(error: unknown, method: string): TelegramOutcome {
  if (error instanceof GrammyError) {
    const reason = `${method}: ${error.error_code} ${error.description}`;
    if (error.error_code === 429) {
      const seconds = error.parameters.retry_after ?? 1;
      return {
        kind: 'retry',
        failure: ApplicationFailure.create({
          type: TelegramFailure.rateLimited,
          message: reason,
          details: [{ retryAfterSeconds: seconds }],
          nextRetryDelay: `${seconds}s`,
        }),
      };
    }
    if (error.error_code === 403) {
      return { kind: 'refused', blocked: true, failure: ApplicationFailure.nonRetryable(reason, TelegramFailure.blocked) };
    }
    if (error.error_code === 502 || error.error_code === 504) {
      // A gateway gave up waiting: Telegram may have delivered the message.
      return { kind: 'unknown', reason };
    }
    if (error.error_code >= 500) {
      return { kind: 'retry', failure: ApplicationFailure.retryable(reason, TelegramFailure.unavailable) };
    }
    return { kind: 'refused', blocked: false, failure: ApplicationFailure.nonRetryable(reason, TelegramFailure.badRequest) };
  }
  if (error instanceof HttpError && isConnectionRefused(error.error)) {
    // The request never left this machine: safe to try again.
    return { kind: 'retry', failure: ApplicationFailure.retryable(`${method}: ${error.message}`, TelegramFailure.unavailable) };
  }
  // The cause's code (ECONNRESET, ETIMEDOUT…) says what happened on the wire; its message may hold the URL, i.e. the token.
  const code = error instanceof HttpError ? causeCode(error.error) : undefined;
  return { kind: 'unknown', reason: `${method}: ${error instanceof Error ? error.message : String(error)}${code ? ` (${code})` : ''}` };
}

function causeCode(cause: unknown): string | undefined {
  const code = (cause as { code?: unknown } | undefined)?.code ?? (cause as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (typeof code === 'string') return code;
  return (cause as { name?: unknown } | undefined)?.name === 'AbortError' ? 'timed out' : undefined;
}

function isConnectionRefused(cause: unknown): boolean {
  const code = causeCode(cause);
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}
