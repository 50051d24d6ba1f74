import type { Knex } from 'knex';

/**
 * Managers' notes on a lead (`/note`), shown on the lead card with author and time. They go with the
 * lead row when the lead resets (/reset erases everything said about them). Also an index for every
 * lead message the bot now checks: is it an answer to a manager's one-off message (the last message
 * in that chat; a reply's original by its Telegram id), as a manager's reply in private already asked.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('lead_notes', (t) => {
    t.bigIncrements('id');
    t.bigInteger('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.bigInteger('author_telegram_id').notNullable();
    t.text('author_name').notNullable().comment('as the managers knew the author when they wrote it');
    t.text('text').notNullable();
    t.string('source_key', 100).unique().comment('the update that wrote it: a redelivered /note adds nothing');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['lead_id', 'created_at']);
  });
  await knex.schema.alterTable('messages', (t) => {
    t.index(['chat_id', 'id'], 'messages_chat_id_id_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('messages', (t) => {
    t.dropIndex(['chat_id', 'id'], 'messages_chat_id_id_index');
  });
  await knex.schema.dropTable('lead_notes');
}
