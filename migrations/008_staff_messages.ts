import type { Knex } from 'knex';

/**
 * Messages to staff chats that concern no lead (the daily digest) are logged too, so a retried
 * send finds its row and never posts twice: `lead_id` becomes optional.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.bigInteger('lead_id').nullable().alter();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex('messages').whereNull('lead_id').delete();
  await knex.schema.alterTable('messages', (t) => {
    t.bigInteger('lead_id').notNullable().alter();
  });
}
