import type { ActivityOptions } from '@temporalio/workflow';

const retryUntilDone = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;

/**
 * Snapshot, status and finish: database work that never heartbeats, so it has no heartbeat timeout
 * (with one, a slow audience query is cut at the timeout and retried for ever); retried until done.
 */
export const CAMPAIGN_RECORD_OPTIONS: ActivityOptions = { startToCloseTimeout: '10m', retry: retryUntilDone };

/** Send batches on the main queue: a batch heartbeats after every lead, so a dead worker's batch moves within a minute. */
export const MAIN_QUEUE_BATCH_OPTIONS: ActivityOptions = { startToCloseTimeout: '10m', heartbeatTimeout: '1m', retry: retryUntilDone };
