import type { Knex } from 'knex';

/**
 * Orders and their payments (docs/payments.md), every payment webhook received (accepted or
 * refused), and an optional price in Telegram Stars per product.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('products', (t) => {
    t.integer('stars_price').comment('price in Telegram Stars (XTR); null: no Stars invoice for this product');
  });
  await knex.schema.createTable('orders', (t) => {
    t.bigIncrements('id');
    t.bigInteger('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.bigInteger('product_id').notNullable().references('products.id');
    t.string('type', 16).notNullable().comment('full | instalment | manual');
    t.string('method', 16).notNullable().comment('link (payment provider) | stars (Telegram Stars invoice)');
    t.decimal('amount', 12, 2).notNullable().comment('what this payment must bring: the first payment of an instalment');
    t.string('currency', 8).notNullable();
    t.text('payment_url').comment('the link sent to the lead (null for Stars)');
    t.string('status', 16).notNullable().defaultTo('created');
    t.jsonb('provider_payload').comment('what the provider (or Telegram) told us about the payment');
    t.string('telegram_payment_charge_id', 128).comment('Stars: needed for a refund');
    t.text('flagged_reason').comment('set when a payment did not match the order: a manager must look');
    t.string('paid_via', 16).comment('webhook | stars | manager');
    t.bigInteger('created_by').comment('the manager who made a manual order');
    t.timestamp('sent_at', { useTz: true });
    t.timestamp('paid_at', { useTz: true });
    t.timestamp('closed_at', { useTz: true }).comment('cancelled, expired or refunded');
    t.timestamps(true, true);
    t.index(['lead_id', 'created_at']);
  });
  await knex.raw(`alter table orders add constraint orders_type_check check (type in ('full', 'instalment', 'manual'))`);
  await knex.raw(`alter table orders add constraint orders_method_check check (method in ('link', 'stars'))`);
  await knex.raw(
    `alter table orders add constraint orders_status_check check (status in ('created', 'sent', 'paid', 'failed', 'cancelled', 'expired', 'refunded'))`,
  );
  await knex.raw(`alter table orders add constraint orders_amount_check check (amount > 0)`);
  await knex.schema.createTable('payment_webhooks', (t) => {
    t.bigIncrements('id');
    t.bigInteger('order_id').comment('when the body named a known order');
    t.string('outcome', 32).notNullable();
    t.text('body').comment('the first 4,000 characters as received');
    t.string('remote_address', 64);
    t.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['order_id', 'received_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('payment_webhooks');
  await knex.schema.dropTable('orders');
  await knex.schema.alterTable('products', (t) => t.dropColumn('stars_price'));
}
