import type { Logger } from 'pino';
import { saveLearnedTurn, type LearnedTurn } from '../db/lead-profile';
import type { Db } from '../db/knex';

export interface LeadProfileDeps {
  db: Db;
  logger: Logger;
}

/**
 * What the bot learns is kept (docs/llm-policy.md#what-the-bot-learns): the lead workflow calls this
 * after each model turn, so goals, experience, budget, objections and readiness outlive its state
 * and staff read them on the lead card and the handoff card.
 */
export function createLeadProfileActivities({ db, logger }: LeadProfileDeps) {
  return {
    /** Stores one turn's facts and readiness; gives a lead without a survey an inferred segment. */
    async saveLeadProfile(turn: LearnedTurn): Promise<{ segment: string | null; segmentSource: string | null }> {
      const saved = await saveLearnedTurn(db, turn);
      logger.debug({ leadId: turn.leadId, facts: Object.keys(turn.facts).length, readiness: turn.readiness, segmentSource: saved.segmentSource }, 'lead profile saved');
      return saved;
    },
  };
}

export type LeadProfileActivities = ReturnType<typeof createLeadProfileActivities>;
