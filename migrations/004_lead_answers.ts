import type { Knex } from 'knex';

/** Survey answers on the lead, so managers and matching see what the lead said. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('leads', (t) => {
    t.jsonb('answers').notNullable().defaultTo('{}');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('leads', (t) => {
    t.dropColumn('answers');
  });
}
