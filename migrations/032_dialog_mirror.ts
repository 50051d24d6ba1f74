import type { Knex } from 'knex';

/**
 * The live dialogs in DIALOGS_CHAT_ID (docs/manager-handoff.md#live-dialogs): a forum topic per lead,
 * and how far the mirror has posted each lead's messages from the message log. The mirror reads the
 * log (it never touches a lead's conversation) and posts a batch in three steps: plan it here
 * (`posting_from`..`posting_through`), send it through the gateway under an id made from the plan
 * (a retry finds it already sent), then move `mirrored_through`. A crash anywhere posts nothing twice.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('dialog_topics', (t) => {
    t.bigInteger('lead_id').primary().references('leads.id').onDelete('CASCADE');
    t.bigInteger('chat_id').notNullable();
    t.integer('thread_id').comment('the forum topic; null while it is being created');
    t.timestamp('topic_requested_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('a creation older than a request could take was cut off');
    t.boolean('card_posted').notNullable().defaultTo(false);
    t.bigInteger('mirrored_through').notNullable().defaultTo(0).comment('messages.id of the last message posted (or skipped)');
    t.bigInteger('posting_from').comment('the batch being posted: its first and last messages.id');
    t.bigInteger('posting_through');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['chat_id', 'thread_id']);
  });
  await knex.schema.createTable('dialog_mirror', (t) => {
    t.bigInteger('chat_id').primary();
    t.bigInteger('scan_from').notNullable().comment('every message up to this messages.id is mirrored or not the mirror\'s (it starts at the log\'s end: old dialogs are not replayed)');
    t.timestamp('next_post_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('the pace: Telegram takes about 20 messages a minute in one group');
    t.timestamp('held_until', { useTz: true }).notNullable().defaultTo(knex.fn.now()).comment('after a 429: nothing is posted before this');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('dialog_mirror');
  await knex.schema.dropTable('dialog_topics');
}
