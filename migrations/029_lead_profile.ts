import type { Knex } from 'knex';

/**
 * What the bot learns is kept (issue 20, part 5): the facts the model learned about a lead (goal,
 * experience, budget, objections…), each with when and from which model turn it was learned, and on
 * the lead its latest readiness (0–100) and where its segment came from: the survey, or inferred
 * from what the model learned (never overriding a survey's segment). docs/llm-policy.md.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('lead_profile_facts', (t) => {
    t.bigIncrements('id');
    t.bigInteger('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.string('key', 40).notNullable();
    t.string('value', 200).notNullable();
    t.timestamp('learned_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.string('turn_key', 200).notNullable().comment('the model turn (its llm_calls.idempotency_key) that taught the latest value');
    t.bigInteger('llm_call_id').references('llm_calls.id').onDelete('SET NULL');
    t.unique(['lead_id', 'key']);
  });
  await knex.schema.alterTable('leads', (t) => {
    t.integer('readiness').comment('0–100: how ready to buy the model last judged the lead');
    t.timestamp('readiness_at', { useTz: true });
    t.string('segment_source', 16).comment('survey, or inferred from what the model learned');
  });
  await knex.raw(`alter table leads add constraint leads_segment_source_check check (segment_source in ('survey', 'inferred'))`);
  await knex.raw(`alter table leads add constraint leads_readiness_check check (readiness between 0 and 100)`);
  await knex('leads').whereNotNull('segment').update({ segment_source: 'survey' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('leads', (t) => {
    t.dropColumn('segment_source');
    t.dropColumn('readiness_at');
    t.dropColumn('readiness');
  });
  await knex.schema.dropTable('lead_profile_facts');
}
