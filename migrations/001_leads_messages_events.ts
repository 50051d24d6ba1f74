import type { Knex } from 'knex';

/** The first tables: who the leads are, what was said, and what happened. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('leads', (t) => {
    t.bigIncrements('id');
    t.bigInteger('telegram_user_id').notNullable().unique();
    t.bigInteger('chat_id').notNullable();
    t.text('first_name');
    t.text('last_name');
    t.text('username');
    t.string('language_code', 16);
    t.string('source', 64).comment('deep-link payload of /start');
    t.string('segment', 16);
    t.integer('score');
    t.string('stage', 32).notNullable().defaultTo('opening');
    t.string('mode', 16).notNullable().defaultTo('bot');
    t.boolean('blocked').notNullable().defaultTo(false);
    t.timestamp('blocked_at', { useTz: true });
    t.boolean('opted_out').notNullable().defaultTo(false);
    t.timestamp('last_inbound_at', { useTz: true });
    t.timestamps(true, true);
  });
  await knex.raw(`alter table leads add constraint leads_mode_check check (mode in ('bot', 'with_manager', 'opted_out', 'customer'))`);
  await knex.raw(`alter table leads add constraint leads_segment_check check (segment in ('cold', 'warm', 'hot'))`);

  await knex.schema.createTable('messages', (t) => {
    t.bigIncrements('id');
    t.bigInteger('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.bigInteger('chat_id').notNullable().comment("the lead's private chat, or a staff chat for notices about the lead");
    t.string('direction', 8).notNullable();
    t.text('text');
    t.jsonb('payload');
    t.integer('telegram_message_id');
    t.bigInteger('update_id').unique().comment('inbound: Telegram update id, so a redelivered update is stored once');
    t.string('outbound_id', 200).unique().comment('outbound: made by the workflow, so a retried send is logged once');
    t.string('status', 16).notNullable();
    t.text('error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['lead_id', 'created_at']);
  });
  await knex.raw(`alter table messages add constraint messages_direction_check check (direction in ('in', 'out', 'manager'))`);
  await knex.raw(
    `alter table messages add constraint messages_status_check check (status in ('received', 'sending', 'sent', 'failed', 'unknown'))`,
  );

  await knex.schema.createTable('events', (t) => {
    t.bigIncrements('id');
    t.bigInteger('lead_id').references('leads.id').onDelete('CASCADE');
    t.string('type', 64).notNullable();
    t.jsonb('payload').notNullable().defaultTo('{}');
    t.string('idempotency_key', 200).unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['lead_id', 'created_at']);
    t.index(['type', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('events');
  await knex.schema.dropTable('messages');
  await knex.schema.dropTable('leads');
}
