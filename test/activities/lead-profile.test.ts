import pino from 'pino';
import { createJourneyActivities } from '../../activities/journey';
import { createLeadProfileActivities } from '../../activities/lead-profile';
import { usersAndLeads } from '../../db/analytics-core';
import type { Db } from '../../db/knex';
import { eraseLead } from '../../db/lead-erasure';
import { upsertLead } from '../../db/leads';
import { testDb, uniqueUserId } from '../support/db';

let db: Db;
const logger = pino({ level: 'silent' });
beforeAll(() => {
  db = testDb();
});
afterAll(() => db?.destroy());

async function newLead(): Promise<number> {
  const id = uniqueUserId();
  return (await upsertLead(db, { id, firstName: 'Борис' }, id)).id;
}

const lead = (leadId: number) => db('leads').where({ id: leadId }).first('segment', 'segment_source', 'readiness', 'score');
const profile = () => createLeadProfileActivities({ db, logger });

describe('the lead profile the model learned', () => {
  it('a lead without a survey gets a segment inferred from readiness, which follows the latest turn', async () => {
    const leadId = await newLead();
    expect(await profile().saveLeadProfile({ leadId, turnKey: `t-${leadId}-1`, facts: {}, readiness: 20 })).toEqual({ segment: 'cold', segmentSource: 'inferred' });
    expect(await profile().saveLeadProfile({ leadId, turnKey: `t-${leadId}-2`, facts: {}, readiness: 55 })).toEqual({ segment: 'warm', segmentSource: 'inferred' });
    expect(await lead(leadId)).toMatchObject({ segment: 'warm', segment_source: 'inferred', readiness: 55 });
  });

  it("a survey's segment is never overridden by what the model learned, and a survey taken later replaces an inferred one", async () => {
    const surveyed = await newLead();
    const journey = createJourneyActivities({ db, logger });
    await journey.saveSurveyOutcome({ leadId: surveyed, outcome: { score: 3, maxScore: 13, segment: 'cold', budgetLevel: null, urgencyLevel: null } as never, answers: {} });
    expect(await profile().saveLeadProfile({ leadId: surveyed, turnKey: `t-${surveyed}`, facts: { budget: 'много' }, readiness: 100 })).toEqual({ segment: 'cold', segmentSource: 'survey' });
    expect(await lead(surveyed)).toMatchObject({ segment: 'cold', segment_source: 'survey', readiness: 100, score: 3 });

    const inferredFirst = await newLead();
    await profile().saveLeadProfile({ leadId: inferredFirst, turnKey: `t-${inferredFirst}`, facts: {}, readiness: 90 });
    await journey.saveSurveyOutcome({ leadId: inferredFirst, outcome: { score: 6, maxScore: 13, segment: 'warm', budgetLevel: null, urgencyLevel: null } as never, answers: {} });
    await profile().saveLeadProfile({ leadId: inferredFirst, turnKey: `t-${inferredFirst}-2`, facts: {}, readiness: 10 });
    expect(await lead(inferredFirst)).toMatchObject({ segment: 'warm', segment_source: 'survey' });
  });

  it('a fact keeps when and from which turn it was learned; an unchanged value keeps its first turn, a new value its own', async () => {
    const leadId = await newLead();
    await profile().saveLeadProfile({ leadId, turnKey: `a-${leadId}`, facts: { goal: 'доход', budget: '300$' }, readiness: 40 });
    await profile().saveLeadProfile({ leadId, turnKey: `b-${leadId}`, facts: { goal: 'доход', budget: '1000$' }, readiness: 60 });
    // The same turn again (a retried activity): nothing changes.
    await profile().saveLeadProfile({ leadId, turnKey: `b-${leadId}`, facts: { goal: 'доход', budget: '1000$' }, readiness: 60 });
    const rows = await db('lead_profile_facts').where({ lead_id: leadId }).orderBy('key').select('key', 'value', 'turn_key');
    expect(rows).toEqual([
      { key: 'budget', value: '1000$', turn_key: `b-${leadId}` },
      { key: 'goal', value: 'доход', turn_key: `a-${leadId}` },
    ]);
  });

  it("readiness raises the lead's priority and never lowers it", async () => {
    const leadId = await newLead();
    const priority = async () => (await db('leads').where({ id: leadId }).first('priority')).priority;
    expect(await priority()).toBe(40);
    await profile().saveLeadProfile({ leadId, turnKey: `p-${leadId}-1`, facts: {}, readiness: 95 });
    expect(await priority()).toBe(86);
    await profile().saveLeadProfile({ leadId, turnKey: `p-${leadId}-2`, facts: {}, readiness: 10 });
    expect(await priority()).toBe(86);
  });

  it('a readiness outside 0–100 is kept within it', async () => {
    const leadId = await newLead();
    await profile().saveLeadProfile({ leadId, turnKey: `c-${leadId}`, facts: {}, readiness: 140.4 });
    expect(await lead(leadId)).toMatchObject({ readiness: 100, segment: 'hot' });
  });

  it('analytics count a lead with an inferred segment as one without a survey', async () => {
    const period = { days: 1, since: new Date(Date.now() - 86_400_000), until: new Date(Date.now() + 60_000), timeZone: 'UTC' };
    const before = (await usersAndLeads(db, period)).users.bySegment;
    const leadId = await newLead();
    await profile().saveLeadProfile({ leadId, turnKey: `d-${leadId}`, facts: {}, readiness: 90 });
    expect(await lead(leadId)).toMatchObject({ segment: 'hot', segment_source: 'inferred' });
    const after = (await usersAndLeads(db, period)).users.bySegment;
    expect({ hot: after.hot - before.hot, none: after.none - before.none }).toEqual({ hot: 0, none: 1 });
  });

  it('/reset erases what the bot learned with the lead', async () => {
    const telegramUserId = uniqueUserId();
    const { id: leadId } = await upsertLead(db, { id: telegramUserId, firstName: 'Ира' }, telegramUserId);
    await profile().saveLeadProfile({ leadId, turnKey: `e-${leadId}`, facts: { goal: 'доход' }, readiness: 50 });
    await eraseLead(db, telegramUserId);
    expect(await db('lead_profile_facts').where({ lead_id: leadId })).toEqual([]);
    // A turn that finishes after the erasure keeps nothing and does not fail.
    expect(await profile().saveLeadProfile({ leadId, turnKey: `e2-${leadId}`, facts: { goal: 'доход' }, readiness: 50 })).toEqual({ segment: null, segmentSource: null });
  });
});
