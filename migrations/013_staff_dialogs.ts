import type { Knex } from 'knex';

/**
 * The step each staff member stands on in a multi-step /admin dialog (waiting for a text or a file, a preview
 * waiting for Publish / Cancel, waiting for a lead query). In Postgres, so a restart of the bot in
 * the middle of a dialog loses nothing, and any bot process behind a webhook can go on with it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('staff_dialogs', (t) => {
    t.bigInteger('telegram_user_id').primary();
    t.string('kind', 32).notNullable();
    t.string('key', 64);
    t.string('language', 8);
    t.text('text');
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`alter table staff_dialogs add constraint staff_dialogs_kind_check check (kind in ('lead_search', 'content_text', 'content_file', 'content_preview'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('staff_dialogs');
}
