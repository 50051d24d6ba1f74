import type { Knex } from 'knex';

/**
 * Longer staff dialogs (the broadcast composer, the product editor) keep their answers so far as one
 * JSON state under kind `flow` and the flow's name in `key`; still one dialog per person.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('staff_dialogs', (t) => {
    t.jsonb('state');
  });
  await knex.raw('alter table staff_dialogs drop constraint staff_dialogs_kind_check');
  await knex.raw(`alter table staff_dialogs add constraint staff_dialogs_kind_check check (kind in ('lead_search', 'content_text', 'content_file', 'content_preview', 'flow'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex('staff_dialogs').where({ kind: 'flow' }).delete();
  await knex.raw('alter table staff_dialogs drop constraint staff_dialogs_kind_check');
  await knex.raw(`alter table staff_dialogs add constraint staff_dialogs_kind_check check (kind in ('lead_search', 'content_text', 'content_file', 'content_preview'))`);
  await knex.schema.alterTable('staff_dialogs', (t) => {
    t.dropColumn('state');
  });
}
