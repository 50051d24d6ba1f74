import type { Knex } from 'knex';

/** A follow-up template may carry a file (its text becomes the caption); drafts carry the change. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('message_templates', (t) => {
    t.text('document').comment('tg:<file_id> of a file an editor sent; null: text only');
  });
  await knex.schema.alterTable('template_drafts', (t) => {
    t.text('document');
    t.boolean('document_change').notNullable().defaultTo(false).comment('true: publishing sets the document (null removes it)');
    t.boolean('awaiting_document').notNullable().defaultTo(false).comment('the editor was asked to send the file');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('template_drafts', (t) => {
    t.dropColumn('awaiting_document');
    t.dropColumn('document_change');
    t.dropColumn('document');
  });
  await knex.schema.alterTable('message_templates', (t) => t.dropColumn('document'));
}
