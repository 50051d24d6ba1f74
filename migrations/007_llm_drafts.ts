import type { Knex } from 'knex';

/** Low-confidence drafts waiting for a manager's approve / edit / reject (approval mode). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('llm_drafts', (t) => {
    t.bigIncrements('id');
    t.bigInteger('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.bigInteger('telegram_user_id').notNullable();
    t.text('draft').notNullable();
    t.bigInteger('chat_id').notNullable();
    t.integer('chat_message_id');
    t.string('status', 16).notNullable().defaultTo('pending');
    t.text('final_text');
    t.bigInteger('decided_by');
    t.string('idempotency_key', 200).unique();
    t.timestamps(true, true);
    t.index(['chat_id', 'chat_message_id']);
  });
  await knex.raw(`alter table llm_drafts add constraint llm_drafts_status_check check (status in ('pending', 'approved', 'edited', 'rejected', 'expired'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('llm_drafts');
}
