import type { Knex } from 'knex';

/**
 * A payment flag is open until a person settles it (docs/payments.md#flags): `/refund_done` records
 * that a provider's money went back, and who said so. `orders.flagged_reason` stays the latest reason
 * for its readers; the open flags are the rows with no `resolved_at`, each shown on its own.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('payment_flags', (t) => {
    t.timestamp('resolved_at', { useTz: true }).comment('a person settled it (a refund made at the provider)');
    t.bigInteger('resolved_by').comment('the staff member\'s Telegram id');
    t.text('resolution').comment('what was done, in the staff member\'s words');
  });
  // Stars money an admin already returned with /refund_charge is settled too.
  await knex('payment_flags').whereNotNull('refunded_at').update({ resolved_at: knex.ref('refunded_at'), resolution: 'refunded with /refund_charge' });
  await knex.raw('create index payment_flags_open on payment_flags (created_at) where resolved_at is null');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop index if exists payment_flags_open');
  await knex.schema.alterTable('payment_flags', (t) => {
    t.dropColumn('resolved_at');
    t.dropColumn('resolved_by');
    t.dropColumn('resolution');
  });
}
