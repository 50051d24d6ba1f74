import { makeTelemetryFilterString, Runtime, type LogLevel, type LogMetadata, type Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from '../logging';

/** Temporal's levels onto pino's: the SDK's lines land in the same JSON log as ours. */
const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The SDK's logger (worker life cycle, workflow `log` calls, activity logs, core's own lines) as a
 * child of our pino logger, so every line goes through the same serializers and redaction.
 */
export class PinoTemporalLogger implements TemporalLogger {
  private readonly pino: Logger;

  constructor(logger: Logger) {
    this.pino = logger.child({ component: 'temporal' });
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.pino[PINO_LEVEL[level] ?? 'info'](meta ?? {}, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

export interface TemporalRuntimeOptions {
  logger: Logger;
  /** `host:port` where core serves Temporal's own Prometheus metrics (worker slots, polls, latencies); unset → none. */
  metricsAddress?: string;
}

/**
 * Installs the process-wide Temporal runtime: logs through pino at pino's level (core's own chatter
 * from WARN, unless debugging), and Temporal's worker metrics for Prometheus when asked.
 */
export function installTemporalRuntime({ logger, metricsAddress }: TemporalRuntimeOptions): void {
  const debugging = logger.isLevelEnabled('debug');
  Runtime.install({
    logger: new PinoTemporalLogger(logger),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: debugging ? 'DEBUG' : 'WARN' }), forward: {} },
      ...(metricsAddress && { metrics: { prometheus: { bindAddress: metricsAddress } } }),
    },
  });
}
