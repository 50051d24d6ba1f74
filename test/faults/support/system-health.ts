import { Client, Connection } from '@temporalio/client';
import type { Part, RunningSystem } from './running-system';

/**
 * What a crash leaves behind: a part whose process died, an unhandled rejection or uncaught
 * exception in any output, a fatal or error log line. One line each, with a sample.
 */
export function crashSigns(system: RunningSystem, logs: string, parts: Part[] = system.runningParts()): string[] {
  const signs = parts.filter((part) => !system.isRunning(part)).map((part) => `${part} process died`);
  const lines = logs.split('\n');
  const unhandled = lines.filter((line) => /unhandled ?rejection|uncaught ?exception/i.test(line));
  if (unhandled.length) signs.push(`${unhandled.length} unhandled rejections/exceptions, e.g. ${unhandled[0].slice(0, 300)}`);
  const errors = lines.filter((line) => /^\{"level":(50|60),/.test(line));
  if (errors.length) signs.push(`${errors.length} error lines logged, e.g. ${errors[0].slice(0, 400)}`);
  return signs;
}

/** Workflows the dev server shows as failed (a bug, never a fault, ends a conversation so). */
export async function failedWorkflows(system: RunningSystem): Promise<number> {
  const connection = await Connection.connect({ address: system.devServer.address });
  try {
    const { count } = await new Client({ connection }).workflow.count('ExecutionStatus="Failed"');
    return count;
  } finally {
    await connection.close();
  }
}

/** A stuck workflow in one line: its status and what it waits on (pending activities with attempts and last failure). */
export async function whyStuck(system: RunningSystem, workflowId: string): Promise<string> {
  const connection = await Connection.connect({ address: system.devServer.address });
  try {
    const described = await new Client({ connection }).workflow.getHandle(workflowId).describe();
    const pending = (described.raw.pendingActivities ?? []).map(
      (a) => `${a.activityType?.name} attempt ${a.attempt} state ${a.state}${a.lastFailure?.message ? ` last failure "${a.lastFailure.message.slice(0, 150)}"` : ''}`,
    );
    const task = described.raw.pendingWorkflowTask;
    return `${workflowId}: ${described.status.name}, history ${described.historyLength} events, pending activities [${pending.join('; ')}]${task ? `, workflow task attempt ${task.attempt} state ${task.state}` : ''}`;
  } catch (error) {
    return `${workflowId}: ${String(error).slice(0, 200)}`;
  } finally {
    await connection.close();
  }
}
