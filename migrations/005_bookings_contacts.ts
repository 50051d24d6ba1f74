import type { Knex } from 'knex';

/** Consultation bookings, and the lead's phone and e-mail (personal data: deleted with the lead). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('leads', (t) => {
    t.string('phone', 20);
    t.string('email', 254);
  });
  await knex.schema.createTable('bookings', (t) => {
    t.bigIncrements('id');
    t.bigInteger('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.timestamp('starts_at', { useTz: true }).notNullable();
    t.string('status', 16).notNullable().defaultTo('scheduled');
    t.bigInteger('replaces_id').references('bookings.id').onDelete('SET NULL');
    t.string('idempotency_key', 200).unique();
    t.timestamp('reminded_at', { useTz: true });
    t.timestamps(true, true);
    t.index(['lead_id', 'starts_at']);
    t.index(['status', 'starts_at']);
  });
  await knex.raw(`alter table bookings add constraint bookings_status_check check (status in ('scheduled', 'cancelled', 'done'))`);
  // One upcoming booking per lead, enforced by the database as well as by the dialog.
  await knex.raw(`create unique index bookings_one_scheduled_per_lead on bookings (lead_id) where status = 'scheduled'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('bookings');
  await knex.schema.alterTable('leads', (t) => {
    t.dropColumn('phone');
    t.dropColumn('email');
  });
}
