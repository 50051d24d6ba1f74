import type { Knex } from 'knex';

/**
 * A customer's /reset erases the person and keeps the books (issue 15). Orders (and their
 * instalments and webhooks) outlive the lead row: `orders.lead_id` no longer cascades but is set to
 * null, and the order carries a random pseudonym shared by that person's orders instead (a
 * bookkeeper can still tell two orders came from one customer, nobody can tell who). A Stars payment
 * can only be refunded with the payer's Telegram id (Bot API `refundStarPayment(user_id, charge_id)`),
 * so for orders holding a Stars charge that id is kept, as a payment detail, in `payer_telegram_id`.
 * Campaign deliveries keep their figures (status, variant, dates) without the lead.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table orders drop constraint orders_lead_id_foreign');
  await knex.schema.alterTable('orders', (t) => {
    t.bigInteger('lead_id').nullable().alter();
    t.foreign('lead_id').references('leads.id').onDelete('SET NULL');
    t.string('customer_pseudonym', 64).comment('set on /reset: random, the same for every order of that person; null while the lead exists');
    t.timestamp('personal_data_erased_at', { useTz: true }).comment('when /reset removed the person from this order');
    t.bigInteger('payer_telegram_id').comment('set on /reset for orders with a Stars charge only: refundStarPayment needs it');
    t.index(['customer_pseudonym']);
  });
  await knex.raw('alter table campaign_deliveries drop constraint campaign_deliveries_lead_id_foreign');
  await knex.schema.alterTable('campaign_deliveries', (t) => {
    t.bigInteger('lead_id').nullable().alter();
    t.foreign('lead_id').references('leads.id').onDelete('SET NULL');
  });
}

/** Erased orders and deliveries have no lead to point at again: they go on the way down. */
export async function down(knex: Knex): Promise<void> {
  await knex('campaign_deliveries').whereNull('lead_id').delete();
  await knex.raw('alter table campaign_deliveries drop constraint campaign_deliveries_lead_id_foreign');
  await knex.schema.alterTable('campaign_deliveries', (t) => {
    t.bigInteger('lead_id').notNullable().alter();
    t.foreign('lead_id').references('leads.id').onDelete('CASCADE');
  });
  await knex('orders').whereNull('lead_id').delete();
  await knex.raw('alter table orders drop constraint orders_lead_id_foreign');
  await knex.schema.alterTable('orders', (t) => {
    t.dropIndex(['customer_pseudonym']);
    t.dropColumn('customer_pseudonym');
    t.dropColumn('personal_data_erased_at');
    t.dropColumn('payer_telegram_id');
    t.bigInteger('lead_id').notNullable().alter();
    t.foreign('lead_id').references('leads.id').onDelete('CASCADE');
  });
}
