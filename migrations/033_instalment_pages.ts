import type { Knex } from 'knex';

/**
 * A payment page per instalment. A provider that makes one page per payment (YooKassa through its
 * API) cannot take a second or third instalment through the first one's page: each later part gets a
 * page of its own when it falls due, kept here so its reminders and a retry after a failed payment
 * show the same page instead of opening a second payment for the same part.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('order_instalments', (t) => {
    t.text('payment_url').comment("the provider's page made for this instalment (null: the order's link serves it)");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('order_instalments', (t) => t.dropColumn('payment_url'));
}
