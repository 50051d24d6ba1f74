import type { Knex } from 'knex';

/**
 * Texts editors change from Telegram (follow-up templates first): an override per key and language
 * over the scenario's default, and each editor's unpublished draft (durable, so a restart keeps it).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('message_templates', (t) => {
    t.string('key', 64).notNullable();
    t.string('language', 8).notNullable();
    t.text('text').notNullable();
    t.bigInteger('updated_by').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['key', 'language']);
  });
  await knex.schema.createTable('template_drafts', (t) => {
    t.bigInteger('editor_telegram_id').primary();
    t.string('key', 64).notNullable();
    t.string('language', 8).notNullable();
    t.text('text').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('template_drafts');
  await knex.schema.dropTable('message_templates');
}
