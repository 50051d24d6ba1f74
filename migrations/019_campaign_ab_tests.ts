import type { Knex } from 'knex';

/**
 * A/B tests and tracking for broadcasts (docs/broadcasts.md#ab-tests): the test's variants and settings on
 * the campaign, the pilot flag and the tracked outcomes on each delivery, and the click ids that
 * tracked buttons carry (a short id fits Telegram's 64 bytes of callback data and a redirect URL).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('campaigns', (t) => {
    t.jsonb('ab_test').comment('{ variants: [{ key, weight, content }], pilotShare, metric, windowHours }; null: no test');
    t.jsonb('ab_result').comment('the winner and the figures it was picked on');
  });
  await knex.raw('alter table campaigns drop constraint campaigns_status_check');
  await knex.raw(
    `alter table campaigns add constraint campaigns_status_check check (status in ('draft', 'scheduled', 'running', 'paused', 'observing', 'winner_picked', 'completed', 'cancelled'))`,
  );
  await knex.schema.alterTable('campaign_deliveries', (t) => {
    t.boolean('pilot').notNullable().defaultTo(false).comment('in the A/B pilot share');
    t.timestamp('clicked_at', { useTz: true }).comment('first press of a tracked button');
    t.timestamp('replied_at', { useTz: true }).comment('first message from the lead after the broadcast');
    t.timestamp('converted_at', { useTz: true }).comment('first request (became a lead) after the broadcast');
    t.timestamp('paid_at', { useTz: true }).comment('first payment after the broadcast');
    t.timestamp('unsubscribed_at', { useTz: true }).comment('/stop or the unsubscribe button after the broadcast');
  });
  await knex.schema.createTable('campaign_clicks', (t) => {
    t.bigIncrements('id');
    t.bigInteger('delivery_id').notNullable().references('campaign_deliveries.id').onDelete('CASCADE');
    t.smallint('button').notNullable().comment('index of the button in reading order');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['delivery_id']);
  });
  // Outcomes are marked on a lead's recent deliveries: found by lead without a scan.
  await knex.schema.alterTable('campaign_deliveries', (t) => {
    t.index(['lead_id', 'sent_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('campaign_clicks');
  await knex.schema.alterTable('campaign_deliveries', (t) => {
    t.dropIndex(['lead_id', 'sent_at']);
  });
  await knex.schema.alterTable('campaign_deliveries', (t) => {
    for (const column of ['pilot', 'clicked_at', 'replied_at', 'converted_at', 'paid_at', 'unsubscribed_at']) t.dropColumn(column);
  });
  await knex.raw('alter table campaigns drop constraint campaigns_status_check');
  await knex.raw(
    `alter table campaigns add constraint campaigns_status_check check (status in ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'))`,
  );
  await knex.schema.alterTable('campaigns', (t) => {
    t.dropColumn('ab_test');
    t.dropColumn('ab_result');
  });
}
