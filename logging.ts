import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * One JSON line per event. Secrets never reach logs: the bot token is redacted wherever it
 * appears under a known key, and URLs containing it are never logged by our code.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    redact: {
      paths: ['token', '*.token', 'apiKey', '*.apiKey', 'headers.authorization', 'headers["x-telegram-bot-api-secret-token"]', 'phone', '*.phone'],
      censor: '[redacted]',
    },
  });
}
