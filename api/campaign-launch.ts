import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { createCampaign, setCampaignStatus, type CampaignRow } from '../db/campaigns';
import type { AbTestConfig, CampaignAudience, CampaignContent } from '../domain/campaign';
import type { CampaignWorkflowsPort } from './campaign-workflows';

/** A validated broadcast, from the api's JSON or the Telegram composer. */
export interface CampaignDraft {
  name: string;
  /** Telegram id of the editor who composed it (gets the report), or null through the api. */
  createdBy: number | null;
  content: CampaignContent;
  audience: CampaignAudience;
  abTest?: AbTestConfig | null;
  /** null: now. Must be in the future (checked by the caller, who knows its clock). */
  scheduledAt: Date | null;
}

export type LaunchResult = { launched: true; campaign: CampaignRow } | { launched: false; campaignId: number; reason: string };

/**
 * Records the campaign and starts its workflow. If Temporal does not answer, the row stays as a
 * record of the attempt, cancelled, so nothing will ever send it by surprise.
 */
export async function launchCampaign(deps: { db: Knex; workflows: CampaignWorkflowsPort; logger: Logger }, draft: CampaignDraft): Promise<LaunchResult> {
  const campaign = await createCampaign(deps.db, draft);
  try {
    await deps.workflows.start({
      campaignId: campaign.id,
      scheduledAt: draft.scheduledAt?.toISOString() ?? null,
      ...(draft.abTest ? { ab: { windowHours: draft.abTest.windowHours } } : {}),
    });
  } catch (error) {
    await setCampaignStatus(deps.db, campaign.id, 'cancelled');
    deps.logger.error({ campaignId: campaign.id, err: String(error) }, 'campaign workflow not started');
    return { launched: false, campaignId: campaign.id, reason: 'the workflow service did not answer; try again shortly' };
  }
  deps.logger.info({ campaignId: campaign.id, scheduledAt: draft.scheduledAt, abTest: Boolean(draft.abTest), createdBy: draft.createdBy }, 'campaign created');
  return { launched: true, campaign };
}
