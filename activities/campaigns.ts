import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { Db } from '../db/knex';
import {
  advanceCampaignStatus,
  deliveryCounts,
  findCampaign,
  queuedDeliveries,
  setCampaignStatus,
  settleDelivery,
  skipQueuedDeliveries,
  snapshotAudienceChunk,
  type CampaignRow,
  type CampaignStatus,
  type DeliveryCounts,
  type QueuedDelivery,
} from '../db/campaigns';
import { campaignOutboundId, MAX_WINDOW_EXTENSIONS } from '../workflows/broadcast-campaign/contract';
import { leadReach, type LeadReach } from '../db/conversation-mode';
import { releaseQueued } from '../db/messages';
import { createHash } from 'node:crypto';
import { abResultOf, assignWinnerToRest, recentBroadcastTo, setAbResult } from '../db/campaigns';
import { pilotStats } from '../db/campaign-outcomes';
import { inPilot, pickWinner, variantFor, type VariantStats } from '../domain/broadcasts/ab-test';
import type { AbTestConfig, VariantKey } from '../domain/broadcasts/campaign';
import { campaignMessages, contentFor } from '../domain/broadcasts/campaign-message';
import { campaignReport, type CampaignReportKind } from '../domain/broadcasts/campaign-report';
import type { BroadcastPacer } from './broadcast-pacer';
import { TelegramFailure } from './telegram-errors';
import type { OutboundMessage, TelegramActivities } from './telegram';

export interface CampaignDeps {
  db: Db;
  logger: Logger;
  /** The gateway that claims every message under its outbound id before sending it. */
  telegram: Pick<TelegramActivities, 'sendToLead'>;
  /** The system-wide send clock every campaign message waits its turn on (and every 429 holds). */
  pacer: BroadcastPacer;
  /** Leads of a batch in flight at once, each waiting for its own slot, so Telegram's latency does not cap the rate (default 8). */
  sendLanes?: number;
  /** The api's public address, for tracked URL buttons (PUBLIC_BASE_URL); without it they go straight to their URL. */
  publicBaseUrl?: string;
  /** Signs tracked links (see `domain/broadcasts/campaign-message.ts`). */
  clickSecret: string;
  /** A lead who got another broadcast within this many hours is skipped (0: no cap). */
  frequencyCapHours?: number;
  /** Who reads the reports of campaigns made through the api (ADMIN_TELEGRAM_IDS). */
  owners?: readonly number[];
}

/** The longest retry_after honoured inside the batch; a longer one fails the attempt and Temporal waits. */
const MAX_WAIT_IN_ACTIVITY_S = 60;
/** A batch takes no new lead after this long (many campaigns share the pace): the rest waits for the next batch. */
const BATCH_TIME_BUDGET_MS = 120_000;

type Verdict = { send: true } | { send: false; status: 'skipped' | 'blocked'; reason: string };
type Refusal = Extract<Verdict, { send: false }>;

/**
 * Whether the lead's row forbids the message: blocked (the gateway marks it at the 403), opted out,
 * or in a manager dialog (the conversation writes its mode when it changes, the handoff at the take).
 */
function reachRefusal(lead: LeadReach): Refusal | undefined {
  if (lead.blocked) return { send: false, status: 'blocked', reason: 'the lead blocked the bot' };
  if (lead.opted_out || lead.mode === 'opted_out') return { send: false, status: 'skipped', reason: 'opted out' };
  if (lead.mode === 'with_manager') return { send: false, status: 'skipped', reason: 'in a manager dialog' };
  return undefined;
}

export function createCampaignActivities({ db, logger, telegram, pacer, sendLanes = 8, publicBaseUrl, clickSecret, frequencyCapHours = 0, owners = [] }: CampaignDeps) {
  async function verdict(delivery: QueuedDelivery): Promise<Verdict> {
    const refusal = reachRefusal(delivery);
    if (refusal) return refusal;
    const recent = frequencyCapHours > 0 ? await recentBroadcastTo(db, delivery.lead_id, delivery.campaign_id, frequencyCapHours) : undefined;
    if (recent) return { send: false, status: 'skipped', reason: `frequency cap: got "${recent.name}" within ${frequencyCapHours} h` };
    return { send: true };
  }

  /** Sends every item of the lead's content, each claimed under its own outbound id, and settles the delivery. */
  async function deliver(campaign: CampaignRow, delivery: QueuedDelivery): Promise<void> {
    const messages = campaignMessages(contentFor(campaign, delivery.variant), { deliveryId: delivery.id, publicBaseUrl, secret: clickSecret });
    let firstMessageId: number | undefined;
    let interrupted = false;
    for (const [index, content] of messages.entries()) {
      const outboundId = campaignOutboundId(campaign.id, delivery.lead_id, index);
      const result = await sendObeyingRetryAfter(campaign.id, { outboundId, leadId: delivery.lead_id, chatId: delivery.chat_id, content });
      if (result.status === 'held') {
        // A manager took the lead (or it opted out) while its message waited for a slot: nothing more goes out.
        if (firstMessageId === undefined && !interrupted) return settleDelivery(db, delivery.id, { status: result.refusal.status, reason: result.refusal.reason });
        return settleDelivery(db, delivery.id, { status: interrupted ? 'unknown' : 'sent', telegramMessageId: firstMessageId, reason: `${index} of ${messages.length} items sent; the rest held: ${result.refusal.reason}` });
      }
      if (result.status === 'refused') return settleDelivery(db, delivery.id, { status: result.blocked ? 'blocked' : 'failed', reason: result.reason });
      if (result.status === 'unknown') interrupted = true;
      firstMessageId ??= result.telegramMessageIds[0];
    }
    if (interrupted) return settleDelivery(db, delivery.id, { status: 'unknown', reason: 'an earlier attempt may have delivered it; not sent again' });
    return settleDelivery(db, delivery.id, { status: 'sent', telegramMessageId: firstMessageId });
  }

  /** The outbound ids of every item the lead gets (the claims a killed attempt may have left waiting). */
  function outboundIdsOf(campaign: CampaignRow, delivery: QueuedDelivery): string[] {
    return contentFor(campaign, delivery.variant).items.map((_, index) => campaignOutboundId(campaign.id, delivery.lead_id, index));
  }

  type Attempt = { status: 'sent' | 'unknown'; telegramMessageIds: number[] } | { status: 'refused'; blocked: boolean; reason: string } | { status: 'held'; refusal: Refusal };

  /** Sends one message on its turn of the shared pace; a 429 holds every sender, then this one tries again. */
  async function sendObeyingRetryAfter(campaignId: number, message: OutboundMessage): Promise<Attempt> {
    const context = Context.current();
    const heartbeat = () => context.heartbeat();
    for (;;) {
      // The message is claimed in the log (`queued`) only just before its slot, and moves to `sending`
      // right before the request: a worker killed while it waits leaves it `queued`, and the retry sends
      // it; only one killed on the wire leaves it `sending`, which the retry marks `unknown`.
      await pacer.holdKnownHere(heartbeat);
      const slot = await pacer.reserve(heartbeat);
      // The batch's rows may be minutes old by now: the lead's row once more, tens of milliseconds
      // before the slot (one primary-key read; the slot goes unused if the lead must not get it).
      const now = message.leadId === null ? undefined : await leadReach(db, message.leadId);
      const refusal = now ? reachRefusal(now) : { send: false as const, status: 'skipped' as const, reason: 'the lead is gone' };
      if (refusal) {
        // A killed attempt may have left it waiting for its slot: it is not going out now.
        await releaseQueued(db, message.outboundId, `not sent: ${refusal.reason}`);
        return { status: 'held', refusal };
      }
      let parts = 0;
      try {
        return await telegram.sendToLead(message, { afterCutOff: 'unknown', beforeSend: (wire) => (parts++ === 0 ? slot.go(wire) : pacer.turn(heartbeat, wire)) });
      } catch (error) {
        if (!(error instanceof ApplicationFailure)) throw error;
        if (error.type === TelegramFailure.blocked) return { status: 'refused', blocked: true, reason: error.message };
        if (error.type === TelegramFailure.badRequest) return { status: 'refused', blocked: false, reason: error.message };
        if (error.type !== TelegramFailure.rateLimited) throw error;
        // Telegram asked us to wait: so does every other sender (they would get a 429 too, and a longer one).
        const seconds = (error.details?.[0] as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds ?? 1;
        await pacer.hold(seconds);
        logger.warn({ campaignId, leadId: message.leadId, seconds }, 'telegram answered 429; every campaign sender waits retry_after');
        if (seconds > MAX_WAIT_IN_ACTIVITY_S) throw error;
      }
    }
  }

  async function abCampaign(campaignId: number): Promise<{ campaign: CampaignRow; ab: AbTestConfig }> {
    const campaign = await findCampaign(db, campaignId);
    if (!campaign?.ab_test) throw ApplicationFailure.nonRetryable(`campaign ${campaignId} has no A/B test`, 'CampaignNotFound');
    return { campaign, ab: campaign.ab_test };
  }

  /** Records the result, gives the rest of the audience the winner, tells the creator. Safe to repeat. */
  async function applyWinner(campaign: CampaignRow, winner: VariantKey, reason: string, stats: VariantStats[], windowHours: number): Promise<void> {
    await setAbResult(db, campaign.id, { winner, reason, metric: campaign.ab_test?.metric, windowHours, stats, decidedAt: new Date().toISOString() });
    await assignWinnerToRest(db, campaign.id, winner);
    await advanceCampaignStatus(db, campaign.id, 'winner_picked');
    await report(campaign, 'winner', reason, windowHours);
  }

  /** `windowHours`: the window the figures count (the decision's; by default the longest a test can run). */
  async function report(campaign: CampaignRow, kind: CampaignReportKind, detail?: string, windowHours?: number): Promise<void> {
    const counts = await deliveryCounts(db, campaign.id);
    const ab = campaign.ab_test;
    const facts = {
      campaignId: campaign.id,
      name: campaign.name,
      counts,
      detail,
      ...(ab
        ? {
            ab: {
              metric: ab.metric,
              stats: await pilotStats(db, campaign.id, ab.metric, windowHours ?? ab.windowHours * (1 + MAX_WINDOW_EXTENSIONS), ab.variants.map((v) => v.key)),
              winner: (await abResultOf(db, campaign.id))?.winner ?? null,
              rest: counts.queued,
            },
          }
        : {}),
    };
    logger.info({ campaignId: campaign.id, kind, detail }, 'campaign report');
    const readers = campaign.created_by === null ? owners : [campaign.created_by];
    const { text, buttons } = campaignReport(kind, facts);
    const suffix = detail ? `/${createHash('sha256').update(detail).digest('hex').slice(0, 8)}` : '';
    for (const reader of readers) {
      try {
        // On the campaign pace too: Telegram counts every message of the bot in its 30 a second.
        await telegram.sendToLead(
          { outboundId: `campaign-${campaign.id}/report/${kind}${suffix}/${reader}`, leadId: null, chatId: reader, content: { type: 'text', text, buttons }, toStaff: true },
          { beforeSend: (wire) => pacer.turn(undefined, wire) },
        );
      } catch (error) {
        // The report is for a person; one who blocked the bot must not stop the campaign.
        logger.warn({ campaignId: campaign.id, kind, reader, err: String(error) }, 'campaign report not delivered');
      }
    }
  }

  return {
    /**
     * Moves the campaign to a live status, only from a live one: `applied: false` when the row is
     * cancelled or completed (a launch that withdrew it), and the workflow must not send.
     */
    async markCampaignStatus(request: { campaignId: number; status: CampaignStatus }): Promise<{ applied: boolean }> {
      const applied = await advanceCampaignStatus(db, request.campaignId, request.status);
      if (!applied) logger.warn({ campaignId: request.campaignId, status: request.status }, 'campaign row is final; status not changed');
      return { applied };
    },

    /** Adds the next chunk of the audience as queued deliveries; `done` once no lead is left. */
    async snapshotCampaignAudience(request: { campaignId: number; afterLeadId: number; limit: number }): Promise<{ lastLeadId: number; done: boolean }> {
      const campaign = await findCampaign(db, request.campaignId);
      if (!campaign) throw ApplicationFailure.nonRetryable(`campaign ${request.campaignId} does not exist`, 'CampaignNotFound');
      const ab = campaign.ab_test;
      // An A/B test's pilot (by the hash of test and lead: the same leads on every run) gets its variants now.
      const assign = ab
        ? (leadId: number) => (inPilot(campaign.id, leadId, ab.pilotShare) ? { pilot: true, variant: variantFor(campaign.id, leadId, ab.variants) } : { pilot: false, variant: null })
        : undefined;
      const chunk = await snapshotAudienceChunk(db, request.campaignId, campaign.audience, request.afterLeadId, request.limit, assign);
      return { lastLeadId: chunk.lastLeadId, done: chunk.leads < request.limit };
    },

    /**
     * Settles up to `limit` queued deliveries: skips or marks blocked the leads who must not get it,
     * sends to the rest at the shared pace, several leads in flight. Heartbeats after each lead and
     * while waiting for a slot; a worker shutting down stops between leads; after two minutes the
     * batch ends early and the workflow's next batch carries on.
     */
    async sendCampaignBatch(request: { campaignId: number; limit: number }): Promise<{ processed: number; counts: DeliveryCounts }> {
      const campaign = await findCampaign(db, request.campaignId);
      if (!campaign) throw ApplicationFailure.nonRetryable(`campaign ${request.campaignId} does not exist`, 'CampaignNotFound');
      const batch = await queuedDeliveries(db, request.campaignId, request.limit, { withVariantOnly: campaign.ab_test !== null });
      const context = Context.current();
      const retried = context.info.attempt > 1;
      const startedAt = Date.now();
      let next = 0;
      let processed = 0;
      let failure: { error: unknown } | undefined;
      const mayTakeNext = () => next < batch.length && !failure && !context.cancellationSignal.aborted && Date.now() - startedAt < BATCH_TIME_BUDGET_MS;
      // Several lanes, each taking the next lead and waiting for its own slot of the shared pace: one
      // lead's round trip to Telegram never holds the slots behind it.
      const lane = async () => {
        while (mayTakeNext()) {
          const delivery = batch[next++];
          try {
            const decision = await verdict(delivery);
            if (decision.send) await deliver(campaign, delivery);
            else {
              // A retried batch: the attempt before may have died with this lead's message waiting for its slot.
              if (retried) await releaseQueued(db, outboundIdsOf(campaign, delivery), `not sent: ${decision.reason}`);
              await settleDelivery(db, delivery.id, { status: decision.status, reason: decision.reason });
            }
          } catch (error) {
            failure ??= { error };
            return;
          }
          processed += 1;
          context.heartbeat({ processed });
        }
      };
      await Promise.all(Array.from({ length: Math.min(sendLanes, batch.length) }, lane));
      if (failure) throw failure.error;
      if (context.cancellationSignal.aborted) throw new CancelledFailure('campaign batch stopped: the worker is shutting down');
      return { processed, counts: await deliveryCounts(db, request.campaignId) };
    },

    /**
     * After the window: the pilot's figures per variant and the winner by the metric, applied at once
     * (the rest of the audience gets it). No winner while the sample is too small, unless waived.
     */
    async evaluateAbTest(request: { campaignId: number; windowHours: number; waiveMinimum: boolean }): Promise<{ winner: VariantKey | null; reason: string }> {
      const { campaign, ab } = await abCampaign(request.campaignId);
      // A retried attempt keeps the winner the first one recorded (the figures may have moved since).
      const decided = await abResultOf(db, campaign.id);
      if (decided?.winner) return { winner: decided.winner, reason: decided.reason ?? '' };
      const stats = await pilotStats(db, campaign.id, ab.metric, request.windowHours, ab.variants.map((v) => v.key));
      const decision = pickWinner(stats, { waiveMinimum: request.waiveMinimum });
      logger.info({ campaignId: campaign.id, stats, decision }, 'A/B test evaluated');
      if (!decision.decided) return { winner: null, reason: decision.reason };
      await applyWinner(campaign, decision.winner, request.waiveMinimum ? `${decision.reason}; решено досрочно` : decision.reason, stats, request.windowHours);
      return { winner: decision.winner, reason: decision.reason };
    },

    /** The editor's pick: applied like an automatic one, with the figures so far for the record. */
    async applyWinner(request: { campaignId: number; winner: VariantKey; reason: string; windowHours: number }): Promise<void> {
      const { campaign, ab } = await abCampaign(request.campaignId);
      const stats = await pilotStats(db, campaign.id, ab.metric, request.windowHours, ab.variants.map((v) => v.key));
      await applyWinner(campaign, request.winner, request.reason, stats, request.windowHours);
    },

    /** Tells the creator (their private chat); a campaign made through the api tells the owners instead. */
    async reportCampaign(request: { campaignId: number; kind: CampaignReportKind; detail?: string; windowHours?: number }): Promise<void> {
      const campaign = await findCampaign(db, request.campaignId);
      if (!campaign) return;
      await report(campaign, request.kind, request.detail, request.windowHours);
    },

    /** The campaign's final status; a cancelled one's queued deliveries become skipped. */
    async finishCampaign(request: { campaignId: number; outcome: 'completed' | 'cancelled' }): Promise<DeliveryCounts> {
      if (request.outcome === 'cancelled') await skipQueuedDeliveries(db, request.campaignId, 'campaign cancelled');
      // A withdrawn (cancelled) campaign stays cancelled.
      if (request.outcome === 'cancelled') await setCampaignStatus(db, request.campaignId, 'cancelled');
      else await advanceCampaignStatus(db, request.campaignId, 'completed');
      return deliveryCounts(db, request.campaignId);
    },
  };
}

export type CampaignActivities = ReturnType<typeof createCampaignActivities>;
