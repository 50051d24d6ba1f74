import type { Knex } from 'knex';

/**
 * Anti-spam: each lead's flood state (level, current mute, recent events), kept in Postgres so a
 * restart does not forget a mute and several bot processes agree; and every update the guard
 * dropped, with the reason and the update itself, so nothing is silently lost.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('spam_guard', (t) => {
    t.bigInteger('telegram_user_id').primary();
    t.integer('level').notNullable().defaultTo(0);
    t.timestamp('muted_until', { useTz: true });
    t.timestamp('last_mute_ends_at', { useTz: true });
    t.jsonb('recent').notNullable().defaultTo('[]');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.createTable('dropped_updates', (t) => {
    t.bigIncrements('id');
    t.bigInteger('telegram_user_id').notNullable();
    t.bigInteger('update_id').notNullable().unique();
    t.string('reason', 32).notNullable();
    t.timestamp('muted_until', { useTz: true });
    t.jsonb('update').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['telegram_user_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dropped_updates');
  await knex.schema.dropTable('spam_guard');
}
