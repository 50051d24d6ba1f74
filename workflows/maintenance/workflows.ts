import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { MaintenanceActivities } from '../../activities/maintenance';
import type { TelegramActivities } from '../../activities/telegram';

const maintenance = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '5s', maximumInterval: '5m', maximumAttempts: 10 },
});

const telegram = proxyActivities<TelegramActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

/**
 * The managers' morning digest of leads waiting for a person. Run by a Schedule; a run caught up
 * after downtime reports the day before its own scheduled time, not "now".
 */
export async function dailyDigestWorkflow(): Promise<{ count: number }> {
  const until = scheduledTime();
  const digest = await maintenance.waitingLeadsDigest({ until });
  if (digest.text) {
    // The outbound id is the run's: a retried send is never posted twice.
    await telegram.notifyManagers({ outboundId: `${workflowInfo().workflowId}/digest`, leadId: null, text: digest.text });
  }
  return { count: digest.count };
}

/** Nightly retention: old logs and settled records go. */
export async function retentionCleanupWorkflow(): Promise<Record<string, number>> {
  return maintenance.cleanupOldData({ now: scheduledTime() });
}

/** The time the Schedule meant this run for (its search attribute), else the start time. */
function scheduledTime(): string {
  const info = workflowInfo();
  const scheduled = info.searchAttributes?.TemporalScheduledStartTime?.[0];
  return scheduled instanceof Date ? scheduled.toISOString() : typeof scheduled === 'string' ? scheduled : new Date(info.startTime).toISOString();
}
