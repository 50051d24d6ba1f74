import type { Knex } from 'knex';

/**
 * The broadcast pacer's one row (docs/broadcasts.md#pace: about 30 messages per second overall, and a
 * 429's retry_after obeyed by every sender). Every campaign send on every worker claims the next
 * slot here, so the rate holds however many workers and processes send.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('broadcast_pace', (t) => {
    t.smallint('id').primary();
    t.timestamp('next_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('the next free send slot');
    t.timestamp('held_until', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment("no campaign send before this (Telegram's last retry_after)");
  });
  await knex.raw('alter table broadcast_pace add constraint broadcast_pace_single_row check (id = 1)');
  await knex('broadcast_pace').insert({ id: 1 });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('broadcast_pace');
}
