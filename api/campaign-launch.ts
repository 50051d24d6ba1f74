import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { createCampaign, findCampaign, withdrawCampaign, type CampaignRow } from '../db/campaigns';
import type { AbTestConfig, CampaignAudience, CampaignContent } from '../domain/broadcasts/campaign';
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

export interface LaunchDeps {
  db: Knex;
  workflows: CampaignWorkflowsPort;
  logger: Logger;
  /** Pauses before each retry of an unanswered start (default: 0.5 s, then 2 s). */
  startRetryDelaysMs?: readonly number[];
}

const DEFAULT_START_RETRY_DELAYS_MS = [500, 2000];

/**
 * Records the campaign and starts its workflow, `campaign-<row id>`. A start that throws may still
 * have reached Temporal, so it is retried under the same id: a workflow already running is found and
 * reported as the launch. If Temporal never answers, the row is withdrawn (cancelled) unless its
 * workflow has taken it on meanwhile; a workflow that did start finds the row cancelled and ends
 * without sending, so the editor's retry is the only campaign that goes out.
 */
export async function launchCampaign(deps: LaunchDeps, draft: CampaignDraft): Promise<LaunchResult> {
  const campaign = await createCampaign(deps.db, draft);
  const input = {
    campaignId: campaign.id,
    scheduledAt: draft.scheduledAt?.toISOString() ?? null,
    ...(draft.abTest ? { ab: { windowHours: draft.abTest.windowHours } } : {}),
  };
  const delays = deps.startRetryDelaysMs ?? DEFAULT_START_RETRY_DELAYS_MS;
  let lastError: unknown;
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, delays[attempt - 1]));
    try {
      const outcome = await deps.workflows.start(input);
      if (outcome === 'already-started') deps.logger.warn({ campaignId: campaign.id, attempt }, 'campaign workflow was already started by an unanswered attempt');
      deps.logger.info({ campaignId: campaign.id, scheduledAt: draft.scheduledAt, abTest: Boolean(draft.abTest), createdBy: draft.createdBy }, 'campaign created');
      return { launched: true, campaign };
    } catch (error) {
      lastError = error;
      deps.logger.warn({ campaignId: campaign.id, attempt, err: String(error) }, 'campaign workflow start not answered');
    }
  }
  if (!(await withdrawCampaign(deps.db, campaign.id))) {
    // The workflow moved the row on: it runs, whatever the client heard.
    deps.logger.warn({ campaignId: campaign.id }, 'campaign workflow start unanswered, but the workflow runs');
    return { launched: true, campaign: (await findCampaign(deps.db, campaign.id)) ?? campaign };
  }
  deps.logger.error({ campaignId: campaign.id, err: String(lastError) }, 'campaign workflow not started; the campaign is withdrawn');
  return { launched: false, campaignId: campaign.id, reason: 'the workflow service did not answer; try again shortly' };
}
