import type { Knex } from 'knex';

/**
 * `campaign_clicks` had a row per press, so anyone holding one tracked link could grow it without
 * bound. Now one row per delivery and button: the first press's time and a running total. Existing
 * rows are folded into their totals.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('campaign_click_totals', (t) => {
    t.bigInteger('delivery_id').notNullable().references('campaign_deliveries.id').onDelete('CASCADE');
    t.smallint('button').notNullable().comment('index of the button in reading order');
    t.timestamp('first_clicked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_clicked_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.integer('clicks').notNullable().defaultTo(1).comment('presses counted, the first included');
    t.primary(['delivery_id', 'button']);
  });
  await knex.raw(`
    insert into campaign_click_totals (delivery_id, button, first_clicked_at, last_clicked_at, clicks)
    select delivery_id, button, min(created_at), max(created_at), count(*)::int
    from campaign_clicks group by delivery_id, button`);
  await knex.schema.dropTable('campaign_clicks');
  await knex.schema.renameTable('campaign_click_totals', 'campaign_clicks');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.createTable('campaign_click_events', (t) => {
    t.bigIncrements('id');
    t.bigInteger('delivery_id').notNullable().references('campaign_deliveries.id').onDelete('CASCADE');
    t.smallint('button').notNullable().comment('index of the button in reading order');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['delivery_id']);
  });
  // The individual presses are gone: each total comes back as one press at its first time.
  await knex.raw(`insert into campaign_click_events (delivery_id, button, created_at) select delivery_id, button, first_clicked_at from campaign_clicks`);
  await knex.schema.dropTable('campaign_clicks');
  await knex.schema.renameTable('campaign_click_events', 'campaign_clicks');
}
