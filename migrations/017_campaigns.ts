import type { Knex } from 'knex';

/**
 * Broadcast campaigns (docs/broadcasts.md) and one delivery record per campaign and lead, so a
 * re-run snapshot or batch never adds a second record (and never a second message) for a lead.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('campaigns', (t) => {
    t.bigIncrements('id');
    t.string('name', 200).notNullable();
    t.bigInteger('created_by').comment('Telegram id of the staff member, or null when made through the api');
    t.jsonb('content').notNullable().comment('{ text, buttons?: [[{ text, url }]] }');
    t.jsonb('audience').notNullable().comment('{ segments?: [cold|warm|hot], sources?: [deep-link source] }; opted-out leads never receive');
    t.timestamp('scheduled_at', { useTz: true }).comment('null: send now');
    t.string('status', 16).notNullable().defaultTo('draft');
    t.timestamps(true, true);
  });
  await knex.raw(
    `alter table campaigns add constraint campaigns_status_check check (status in ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'))`,
  );
  await knex.schema.createTable('campaign_deliveries', (t) => {
    t.bigIncrements('id');
    t.bigInteger('campaign_id').notNullable().references('campaigns.id').onDelete('CASCADE');
    t.bigInteger('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.string('variant', 16).comment('A/B variant; null without a test');
    t.string('status', 16).notNullable().defaultTo('queued');
    t.text('reason').comment('why skipped, blocked, failed or unknown');
    t.bigInteger('telegram_message_id');
    t.timestamp('sent_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['campaign_id', 'lead_id']);
    t.index(['campaign_id', 'status', 'id']);
  });
  await knex.raw(
    `alter table campaign_deliveries add constraint campaign_deliveries_status_check check (status in ('queued', 'sent', 'failed', 'blocked', 'skipped', 'unknown'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('campaign_deliveries');
  await knex.schema.dropTable('campaigns');
}
