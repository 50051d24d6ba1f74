import { condition, continueAsNew, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities/campaigns';
import type { CampaignStatus } from '../../db/campaigns';
import type { VariantKey } from '../../domain/broadcasts/campaign';
import {
  campaignProgressQuery,
  cancelCampaignSignal,
  deliverNowSignal,
  pauseCampaignSignal,
  pickWinnerSignal,
  resumeCampaignSignal,
  type AbStage,
  type BroadcastCampaignInput,
  type CampaignPhase,
  type CampaignProgress,
  MAX_WINDOW_EXTENSIONS,
} from './contract';
import { CAMPAIGN_RECORD_OPTIONS, MAIN_QUEUE_BATCH_OPTIONS } from './activity-options';
import { campaignSender } from './send-queue';

/**
 * Snapshot, status and finish: a few queries each, no heartbeats, so no heartbeat timeout (a slow
 * audience query would otherwise be cut at the timeout and retried for ever).
 */
const campaigns = proxyActivities<CampaignActivities>(CAMPAIGN_RECORD_OPTIONS);

/** Send batches on the main queue (campaigns started before the broadcast queue). */
/** The patch that ends a campaign whose row its launch withdrew, sending nothing. */
export const CAMPAIGN_WITHDRAWN_PATCH = 'campaign-withdrawn-row';

const mainQueueBatches = proxyActivities<CampaignActivities>(MAIN_QUEUE_BATCH_OPTIONS);

/** Decisions and reports read and write a few rows: no heartbeats, a short timeout, retried until done. */
const decisions = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * One broadcast: waits for its schedule, snapshots the audience into delivery records, then sends
 * batch after batch. Every message is claimed under `campaign-<id>/<lead id>` before it goes out,
 * so a batch retried after a crash (or re-run after continue-as-new) never sends a lead twice.
 *
 * An A/B test sends its variants to the pilot first, observes for the window, picks the winner by
 * the metric (or extends the window when the sample is too small, then asks the editor) and sends
 * the winner to the rest, by itself.
 */
export async function broadcastCampaignWorkflow(input: BroadcastCampaignInput): Promise<CampaignProgress> {
  const carried = input.carriedOver;
  let phase: CampaignPhase = carried?.phase ?? 'waiting';
  let paused = carried?.paused ?? false;
  let cancelled = false;
  let counts = carried?.counts ?? null;
  let deliverNow = false;
  let pickedByEditor: VariantKey | null = carried?.ab?.pickedByEditor ?? null;
  let abStage: AbStage = carried?.ab?.stage ?? 'pilot';
  let winner: VariantKey | null = carried?.ab?.winner ?? null;
  let observeUntil: number | null = null;

  const progress = (): CampaignProgress => ({
    campaignId: input.campaignId,
    phase,
    paused,
    counts,
    ...(input.ab ? { ab: { stage: phase === 'observing' ? 'observing' : abStage, winner, observeUntil: observeUntil === null ? null : new Date(observeUntil).toISOString() } } : {}),
  });

  setHandler(campaignProgressQuery, progress);
  setHandler(pauseCampaignSignal, () => void (paused = true));
  setHandler(resumeCampaignSignal, () => void (paused = false));
  setHandler(cancelCampaignSignal, () => void (cancelled = true));
  setHandler(pickWinnerSignal, (key) => void (pickedByEditor = key));
  setHandler(deliverNowSignal, () => void (deliverNow = true));

  if (phase === 'waiting') {
    const waitMs = input.scheduledAt ? Date.parse(input.scheduledAt) - Date.now() : 0;
    if (waitMs > 0) await condition(() => cancelled || deliverNow, waitMs);
    deliverNow = false; // it started the campaign; it does not also cut an A/B window short
    phase = 'snapshot';
  }

  async function finish(outcome: 'completed' | 'cancelled'): Promise<CampaignProgress> {
    counts = await campaigns.finishCampaign({ campaignId: input.campaignId, outcome });
    phase = outcome;
    if (patched('campaign-reports')) await decisions.reportCampaign({ campaignId: input.campaignId, kind: outcome });
    return progress();
  }

  if (cancelled) return finish('cancelled');
  const activeStatus: CampaignStatus = input.ab && abStage === 'rest' ? 'winner_picked' : 'running';
  const marked = await campaigns.markCampaignStatus({ campaignId: input.campaignId, status: paused ? 'paused' : activeStatus });
  // The row is final: a launch that could not tell whether this workflow started withdrew it, and
  // the editor launches again. (Histories from before the activity answered return nothing.)
  if (marked?.applied === false && patched(CAMPAIGN_WITHDRAWN_PATCH)) return finish('cancelled');

  let snapshotAfterLeadId = carried?.snapshotAfterLeadId ?? 0;
  while (phase === 'snapshot') {
    if (cancelled) return finish('cancelled');
    const chunk = await campaigns.snapshotCampaignAudience({ campaignId: input.campaignId, afterLeadId: snapshotAfterLeadId, limit: input.snapshotChunk ?? 1000 });
    snapshotAfterLeadId = chunk.lastLeadId;
    if (chunk.done) phase = 'sending';
  }

  /** Sends every ready delivery, batch by batch; false when cancelled on the way. */
  async function sendAll(activeStatus: CampaignStatus): Promise<boolean> {
    const batchesPerRun = input.batchesPerRun ?? 100;
    for (let batches = 0; ; batches++) {
      if (paused) {
        await campaigns.markCampaignStatus({ campaignId: input.campaignId, status: 'paused' });
        await condition(() => !paused || cancelled);
        if (!cancelled) await campaigns.markCampaignStatus({ campaignId: input.campaignId, status: activeStatus });
      }
      if (cancelled) return false;
      if (batches >= batchesPerRun) {
        await continueAsNew<typeof broadcastCampaignWorkflow>({
          ...input,
          carriedOver: { phase: 'sending', snapshotAfterLeadId, paused, counts, ...(input.ab ? { ab: { stage: abStage, winner, pickedByEditor } } : {}) },
        });
      }
      const batch = await campaignSender(input, mainQueueBatches).sendCampaignBatch({ campaignId: input.campaignId, limit: input.batchSize ?? 50 });
      counts = batch.counts;
      if (batch.processed === 0) return true;
    }
  }

  /**
   * Waits the window, then decides. A too-small sample extends the window (up to the limit), then
   * the editor is asked and the test waits for their pick or "deliver now". Null when cancelled.
   */
  async function observe(windowHours: number): Promise<VariantKey | null> {
    deliverNow = false; // "now" decides an observing test; one pressed before the pilot was out would skip the window
    const windowMs = windowHours * 3_600_000;
    let until = Date.now() + windowMs;
    observeUntil = until;
    let extensions = 0;
    let editorAsked = false;
    for (;;) {
      await condition(() => cancelled || pickedByEditor !== null || deliverNow, Math.max(until - Date.now(), 1));
      if (cancelled) return null;
      if (pickedByEditor) {
        await decisions.applyWinner({ campaignId: input.campaignId, winner: pickedByEditor, reason: 'выбран редактором', windowHours: windowHours * (1 + extensions) });
        return pickedByEditor;
      }
      const evaluation = await decisions.evaluateAbTest({ campaignId: input.campaignId, windowHours: windowHours * (1 + extensions), waiveMinimum: deliverNow });
      if (evaluation.winner) return evaluation.winner;
      if (extensions < MAX_WINDOW_EXTENSIONS) {
        extensions += 1;
        until += windowMs;
        observeUntil = until;
        await decisions.reportCampaign({ campaignId: input.campaignId, kind: 'extended', detail: `${evaluation.reason}; окно продлено до ${windowHours * (1 + extensions)} ч`, windowHours: windowHours * extensions });
        continue;
      }
      if (!editorAsked) {
        editorAsked = true;
        await decisions.reportCampaign({ campaignId: input.campaignId, kind: 'undecided', detail: evaluation.reason, windowHours: windowHours * (1 + extensions) });
      }
      observeUntil = null;
      await condition(() => cancelled || pickedByEditor !== null || deliverNow);
    }
  }

  if (input.ab && abStage === 'pilot') {
    if (!(await sendAll('running'))) return finish('cancelled');
    phase = 'observing';
    await campaigns.markCampaignStatus({ campaignId: input.campaignId, status: 'observing' });
    winner = await observe(input.ab.windowHours);
    if (winner === null) return finish('cancelled');
    abStage = 'rest';
    phase = 'sending';
    observeUntil = null;
  }
  if (!(await sendAll(input.ab ? 'winner_picked' : 'running'))) return finish('cancelled');
  return finish('completed');
}
