import type { Knex } from 'knex';

/**
 * Every payment that could not be applied, one row each. `orders.flagged_reason` holds only the
 * latest, so a second flag on one order (say, a second Stars charge after a wrong amount) used to
 * overwrite the first; and Stars money for an order we cannot find had no place at all. A row
 * keeps the payment's own id (what a refund or the provider's support needs) and the payer.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('payment_flags', (t) => {
    t.bigIncrements('id');
    t.bigInteger('order_id').references('orders.id').onDelete('CASCADE').comment('null: the payment names no order we know');
    t.text('reason').notNullable();
    t.string('payment_ref', 200).comment('the Stars charge id or the provider\'s payment id, when the payment has one');
    t.bigInteger('payer_telegram_id').comment('who paid in Stars: refundStarPayment needs it (kept after /reset, as on orders)');
    t.timestamp('refunded_at', { useTz: true }).comment('an admin returned this money (/refund_charge)');
    t.jsonb('payload').comment('the payment as it arrived (payment keys only after the customer\'s /reset)');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['order_id']);
  });
  // A retried activity or a redelivered update flags the same payment once.
  await knex.raw(`create unique index payment_flags_once on payment_flags (coalesce(order_id, 0), reason, coalesce(payment_ref, ''))`);
  // The flags already raised survive as the first row of their order.
  await knex.raw(
    `insert into payment_flags (order_id, reason, created_at)
     select id, flagged_reason, updated_at from orders where flagged_reason is not null`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('payment_flags');
}
