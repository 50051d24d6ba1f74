import type { Knex } from 'knex';

/**
 * What a campaign must know about a lead's conversation, kept where a campaign batch reads it: the
 * mode the conversation itself last reported (a manager holds the dialog, opted out, customer, bot).
 * Campaigns used to ask each recipient's workflow (a query replaying its history on the main worker,
 * about 30 a second): now the conversation writes this column when its mode changes, the handoff
 * writes `with_manager` the moment a manager takes the lead, and a batch reads rows. Null: the
 * conversation has not reported yet (leads from before this column, leads without a conversation),
 * and `mode` decides as before.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('leads', (t) => {
    t.string('conversation_mode', 16).comment("the lead conversation's own mode, written when it changes; null: not reported, `mode` decides");
  });
  await knex.raw(`alter table leads add constraint leads_conversation_mode_check check (conversation_mode in ('bot', 'with_manager', 'opted_out', 'customer'))`);
  // Leads a manager holds now: the conversations of before this column report only when their mode changes next.
  await knex.raw(`update leads set conversation_mode = 'with_manager' where id in (select lead_id from handoffs where status = 'taken')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('leads', (t) => {
    t.dropColumn('conversation_mode');
  });
}
