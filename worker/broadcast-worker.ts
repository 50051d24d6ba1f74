import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../activities';

export interface BroadcastWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The broadcast task queue (see `broadcastTaskQueue` in config.ts). */
  taskQueue: string;
  /** The system's activities; only the campaign send batches are registered here. */
  activities: Pick<Activities, 'sendCampaignBatch'>;
  /** BROADCAST_RATE_PER_SECOND. */
  ratePerSecond: number;
}

/**
 * The worker of the broadcast task queue: campaign send batches only, so a campaign never takes the
 * activity slots live replies need on the main queue. Any number of processes may run one; the
 * Postgres pacer keeps their sum at the rate. The server-side limit is a guard behind it: every batch
 * sends at least one message, so more batches a second than messages a second would mean a runaway.
 */
export function createBroadcastWorker(options: BroadcastWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: { sendCampaignBatch: options.activities.sendCampaignBatch },
    maxTaskQueueActivitiesPerSecond: options.ratePerSecond,
  });
}
