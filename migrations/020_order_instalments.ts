import type { Knex } from 'knex';

/**
 * Instalment orders pay in three parts (docs/payments.md#instalments): one row per part, each confirmed
 * exactly once (unique order id + number). The order itself becomes `paid` with the first part
 * (access opens then) and `fully_paid_at` is set with the last. Payment webhooks keep the
 * provider's event id and the instalment they named, so a repeated event is recognised.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('order_instalments', (t) => {
    t.bigIncrements('id');
    t.bigInteger('order_id').notNullable().references('orders.id').onDelete('CASCADE');
    t.smallint('number').notNullable().comment('1..3; the first is the order amount');
    t.decimal('amount', 12, 2).notNullable();
    t.string('currency', 8).notNullable();
    t.timestamp('due_at', { useTz: true }).comment('the first: at the order; later ones: set when the first is paid (every 30 days)');
    t.string('status', 16).notNullable().defaultTo('pending').comment('pending | sent | paid | overdue | cancelled');
    t.string('paid_via', 16).comment('webhook | stars | manager');
    t.string('telegram_payment_charge_id', 128).comment('Stars: needed for a refund');
    t.jsonb('provider_payload');
    t.timestamp('sent_at', { useTz: true });
    t.timestamp('paid_at', { useTz: true });
    t.timestamps(true, true);
    t.unique(['order_id', 'number']);
  });
  await knex.raw(`alter table order_instalments add constraint order_instalments_number_check check (number between 1 and 3)`);
  await knex.raw(`alter table order_instalments add constraint order_instalments_amount_check check (amount > 0)`);
  await knex.raw(
    `alter table order_instalments add constraint order_instalments_status_check check (status in ('pending', 'sent', 'paid', 'overdue', 'cancelled'))`,
  );
  await knex.schema.alterTable('orders', (t) => {
    t.timestamp('fully_paid_at', { useTz: true }).comment('every instalment paid (a full or manual order: with paid_at)');
  });
  await knex.schema.alterTable('payment_webhooks', (t) => {
    t.string('provider_event_id', 200).comment('the body\'s payment_id: the same event twice is a duplicate');
    t.smallint('instalment').comment('the instalment the body named (1 when it named none)');
    t.index(['order_id', 'provider_event_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('payment_webhooks', (t) => {
    t.dropIndex(['order_id', 'provider_event_id']);
    t.dropColumn('provider_event_id');
    t.dropColumn('instalment');
  });
  await knex.schema.alterTable('orders', (t) => t.dropColumn('fully_paid_at'));
  await knex.schema.dropTable('order_instalments');
}
