import type { Knex } from 'knex';

/** Staff roles (owners come from ADMIN_TELEGRAM_IDS) and the audit of every staff command, allowed or refused. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('staff', (t) => {
    t.bigIncrements('id');
    t.bigInteger('telegram_user_id').notNullable().unique();
    t.string('role', 16).notNullable();
    t.bigInteger('added_by').notNullable();
    t.timestamps(true, true);
  });
  await knex.raw(`alter table staff add constraint staff_role_check check (role in ('admin', 'editor', 'manager'))`);
  await knex.schema.createTable('staff_audit', (t) => {
    t.bigIncrements('id');
    t.bigInteger('actor_telegram_id').notNullable();
    t.string('actor_role', 16);
    t.string('command', 64).notNullable();
    t.jsonb('details').notNullable().defaultTo('{}');
    t.boolean('allowed').notNullable();
    t.text('reason');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['actor_telegram_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('staff_audit');
  await knex.schema.dropTable('staff');
}
