import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';
import { workflowBundlerOptions } from './shared-workflow-modules';

export interface SalesWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /**
   * WORKER_MAX_CACHED_WORKFLOWS: conversations kept in memory between their turns. Each costs about
   * 0.4 MB of the worker's memory (docs/testing.md#scale); one not cached replays its history when it
   * next moves. Unset, the SDK sizes the cache from the heap limit (about 2,300 on a 4 GB heap).
   */
  maxCachedWorkflows?: number;
}

/** The worker that runs every workflow and activity of the system on one task queue. */
export function createSalesWorker(options: SalesWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: options.activities,
    ...(options.maxCachedWorkflows !== undefined && { maxCachedWorkflows: options.maxCachedWorkflows }),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows'), bundlerOptions: workflowBundlerOptions() }),
  });
}
