import { continueAsNew, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { DialogMirrorActivities } from '../../activities/dialog-mirror';

// One pass posts for up to 50 s and heartbeats while it waits for the group's pace.
const mirror = proxyActivities<DialogMirrorActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Passes per run before continue-as-new: each is a few events, so a run's history stays small. */
const PASSES_PER_RUN = 300;

/**
 * Mirrors the leads' dialogs into the forum group, pass after pass, sleeping when nothing is due.
 * It reads the message log and holds no state of its own (the cursors are in Postgres): a run that
 * continues as new, or a worker that dies mid-pass, picks up where the last post was recorded.
 * Ends when the mirror is switched off (DIALOGS_CHAT_ID unset).
 */
export async function dialogMirrorWorkflow(): Promise<void> {
  for (let pass = 0; pass < PASSES_PER_RUN && !workflowInfo().continueAsNewSuggested; pass++) {
    const result = await mirror.mirrorDialogs({ budgetMs: 50_000 });
    if (result.disabled) return;
    if (result.waitMs > 0) await sleep(result.waitMs);
  }
  await continueAsNew<typeof dialogMirrorWorkflow>();
}
