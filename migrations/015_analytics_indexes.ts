import type { Knex } from 'knex';

/**
 * Indexes for analytics: users by the day they started (new users, the funnel cohort, users per
 * day) and events by type then lead (the funnel's "did this user reach the step" look-ups).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create index if not exists leads_created_at_index on leads (created_at)');
  await knex.raw('create index if not exists events_type_lead_id_index on events (type, lead_id)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists events_type_lead_id_index');
  await knex.raw('drop index if exists leads_created_at_index');
}
