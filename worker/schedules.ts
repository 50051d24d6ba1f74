import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, WorkflowExecutionAlreadyStartedError, type Client, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Logger } from 'pino';
import { DIALOG_MIRROR_WORKFLOW_ID, dialogMirrorWorkflowType } from '../workflows/dialog-mirror/contract';
import { CLEANUP_SCHEDULE_ID, dailyDigestWorkflowType, DIGEST_SCHEDULE_ID, retentionCleanupWorkflowType } from '../workflows/maintenance/contract';

export interface MaintenanceSchedule {
  taskQueue: string;
  timeZone: string;
}

/**
 * Creates the maintenance Schedules, or brings existing ones up to date: the digest at 09:00 and the
 * cleanup at 03:30 in the school's zone. After downtime, missed runs within a day are caught up.
 */
export async function ensureMaintenanceSchedules(client: Client, options: MaintenanceSchedule, logger: Logger): Promise<void> {
  const schedules: ScheduleOptions<ScheduleOptionsStartWorkflowAction<Workflow>>[] = [
    scheduleOf(DIGEST_SCHEDULE_ID, dailyDigestWorkflowType, { hour: 9, minute: 0 }, options),
    scheduleOf(CLEANUP_SCHEDULE_ID, retentionCleanupWorkflowType, { hour: 3, minute: 30 }, options),
  ];
  for (const schedule of schedules) {
    try {
      await client.schedule.create(schedule);
      logger.info({ scheduleId: schedule.scheduleId }, 'schedule created');
    } catch (error) {
      if (!(error instanceof ScheduleAlreadyRunning)) throw error;
      await client.schedule.getHandle(schedule.scheduleId).update((previous) => ({ ...previous, spec: schedule.spec, action: schedule.action, policies: schedule.policies }));
    }
  }
}

function scheduleOf(
  scheduleId: string,
  workflowType: string,
  at: { hour: number; minute: number },
  { taskQueue, timeZone }: MaintenanceSchedule,
): ScheduleOptions<ScheduleOptionsStartWorkflowAction<Workflow>> {
  return {
    scheduleId,
    spec: { calendars: [{ hour: at.hour, minute: at.minute }], timezone: timeZone },
    action: { type: 'startWorkflow', workflowType, taskQueue, workflowId: scheduleId },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  };
}

/**
 * Starts the live dialogs' mirror unless it runs already (its fixed id keeps it single across
 * workers and restarts). It ends by itself when DIALOGS_CHAT_ID is unset again.
 */
export async function ensureDialogMirror(client: Client, taskQueue: string, logger: Logger): Promise<void> {
  try {
    await client.workflow.start(dialogMirrorWorkflowType, { workflowId: DIALOG_MIRROR_WORKFLOW_ID, taskQueue, args: [] });
    logger.info({ workflowId: DIALOG_MIRROR_WORKFLOW_ID }, 'dialog mirror started');
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
