import type { Knex } from 'knex';

/**
 * Telegram Payments with a provider token (issue 22, part 1): an order may be paid by an invoice
 * inside Telegram in roubles (or another currency the provider takes), method `telegram`. Such a
 * payment carries two charge ids: Telegram's and the provider's. Neither can be refunded through the
 * Bot API (only Stars can), but the provider's id is what its dashboard and support look a refund up
 * by, so both are kept, on the order and on each instalment.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table orders drop constraint orders_method_check');
  await knex.raw(`alter table orders add constraint orders_method_check check (method in ('link', 'stars', 'telegram'))`);
  await knex.schema.alterTable('orders', (t) => {
    t.string('provider_payment_charge_id', 200).comment('Telegram Payments: the provider\'s id of the charge (a refund is made in its dashboard)');
  });
  await knex.schema.alterTable('order_instalments', (t) => {
    t.string('provider_payment_charge_id', 200).comment('Telegram Payments: the provider\'s id of this instalment\'s charge');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('order_instalments', (t) => t.dropColumn('provider_payment_charge_id'));
  await knex.schema.alterTable('orders', (t) => t.dropColumn('provider_payment_charge_id'));
  await knex.raw('alter table orders drop constraint orders_method_check');
  await knex.raw(`alter table orders add constraint orders_method_check check (method in ('link', 'stars'))`);
}
