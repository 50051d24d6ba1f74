/** Schedule ids: one per job, created or updated at worker start (Temporal Schedules). */
export const DIGEST_SCHEDULE_ID = 'maintenance-daily-digest';
export const CLEANUP_SCHEDULE_ID = 'maintenance-retention-cleanup';

export const dailyDigestWorkflowType = 'dailyDigestWorkflow';
export const retentionCleanupWorkflowType = 'retentionCleanupWorkflow';
