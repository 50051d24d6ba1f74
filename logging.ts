import pino, { type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import { lineScrubber, toLoggable } from './log-redaction';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Where lines go; stdout by default (tests capture them). */
  destination?: DestinationStream;
  /** The configured secrets' values (see `configuredSecrets`), scrubbed from every line wherever they appear. */
  secrets?: readonly (string | undefined)[];
}

/**
 * One JSON line per event, never a secret or a lead's contact: every logged object is walked
 * (grammY contexts, api clients and raw updates become summaries; keys naming a token, secret,
 * phone or e-mail are redacted at any depth; errors keep their message and stack), and the
 * finished line is scrubbed of token-, phone- and e-mail-shaped text and the configured secrets.
 * Child loggers (Fastify's request loggers included) inherit both passes.
 */
export function createLogger(options: LoggerOptions | string = {}): Logger {
  const { level = process.env.LOG_LEVEL ?? 'info', destination, secrets } = typeof options === 'string' ? { level: options } : options;
  const pinoOptions: PinoOptions = {
    level,
    formatters: {
      bindings: (bindings) => toLoggable(bindings),
      log: (entry) => toLoggable(entry),
    },
    hooks: { streamWrite: lineScrubber(secrets) },
  };
  return destination ? pino(pinoOptions, destination) : pino(pinoOptions);
}
