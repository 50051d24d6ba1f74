import type { Knex } from 'knex';
import { clampReadiness, inferSegment, type LearnedProfile, type SegmentSource } from '../domain/lead-profile';
import { readinessPriority } from '../domain/lead-priority';
import type { Segment } from '../domain/product-matching';

export interface LearnedTurn {
  leadId: number;
  /** The model turn's idempotency key (its `llm_calls.idempotency_key`). */
  turnKey: string;
  /** The facts this turn taught (already capped by the workflow). */
  facts: Record<string, string>;
  readiness: number;
}

/**
 * Keeps what one model turn taught: each fact with when and from which turn (a value repeated
 * unchanged keeps its first time), the readiness, and a segment inferred from it for a lead whose
 * segment did not come from the survey. Safe to repeat (a retried activity changes nothing more).
 */
export async function saveLearnedTurn(db: Knex, turn: LearnedTurn): Promise<{ segment: Segment | null; segmentSource: SegmentSource | null }> {
  return db.transaction(async (trx) => {
    // A lead erased meanwhile (/reset) has nothing to keep: an insert would fail its foreign key on every retry.
    if (!(await trx('leads').where({ id: turn.leadId }).forUpdate().first('id'))) return { segment: null, segmentSource: null };
    const call = await trx('llm_calls').where({ idempotency_key: turn.turnKey }).first('id');
    for (const [key, value] of Object.entries(turn.facts)) {
      await trx.raw(
        `insert into lead_profile_facts (lead_id, key, value, turn_key, llm_call_id) values (?, ?, ?, ?, ?)
         on conflict (lead_id, key) do update set value = excluded.value, turn_key = excluded.turn_key, llm_call_id = excluded.llm_call_id, learned_at = now()
         where lead_profile_facts.value is distinct from excluded.value`,
        [turn.leadId, key.slice(0, 40), String(value).slice(0, 200), turn.turnKey, call?.id ?? null],
      );
    }
    const readiness = clampReadiness(turn.readiness);
    // Readiness raises the lead's standing priority too (never lowers it: a handoff's trigger may have set more).
    await trx('leads')
      .where({ id: turn.leadId })
      .update({ readiness, readiness_at: trx.fn.now(), priority: trx.raw('greatest(priority, ?)', [readinessPriority(readiness)]) });
    // A survey's segment is never overridden; an inferred one follows the latest readiness.
    await trx('leads')
      .where({ id: turn.leadId })
      .andWhere((q) => q.whereNull('segment').orWhere('segment_source', 'inferred'))
      .update({ segment: inferSegment(readiness), segment_source: 'inferred', updated_at: trx.fn.now() });
    const lead = await trx('leads').where({ id: turn.leadId }).first('segment', 'segment_source');
    return { segment: (lead?.segment ?? null) as Segment | null, segmentSource: (lead?.segment_source ?? null) as SegmentSource | null };
  });
}

/** What the bot learned about a lead, for the cards (facts oldest key first by the renderer's order). */
export async function loadLearnedProfile(db: Knex, leadId: number): Promise<LearnedProfile> {
  const [facts, lead] = await Promise.all([
    db('lead_profile_facts').where({ lead_id: leadId }).orderBy('key').select('key', 'value', 'learned_at'),
    db('leads').where({ id: leadId }).first('readiness', 'segment', 'segment_source'),
  ]);
  return {
    facts: facts.map((f) => ({ key: String(f.key), value: String(f.value), learnedAt: new Date(f.learned_at).toISOString() })),
    readiness: lead?.readiness ?? null,
    segment: lead?.segment ?? null,
    segmentSource: lead?.segment_source ?? null,
  };
}
