import type { Knex } from 'knex';

/**
 * Lead statuses and priorities (docs/manager-handoff.md), one row per manager handoff, and the
 * sales scripts cached by a hash of the lead's facts.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('leads', (t) => {
    t.string('status', 16).notNullable().defaultTo('new');
    t.integer('priority').notNullable().defaultTo(40);
  });
  await knex.raw(
    `alter table leads add constraint leads_status_check check (status in ('new', 'assigned', 'in_dialog', 'scheduled', 'paid', 'done', 'cancelled', 'incomplete'))`,
  );
  await knex.schema.createTable('handoffs', (t) => {
    t.bigIncrements('id');
    t.string('workflow_id', 100).notNullable().unique();
    t.bigInteger('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.string('trigger', 32).notNullable();
    t.integer('priority').notNullable();
    t.string('status', 16).notNullable().defaultTo('waiting');
    t.bigInteger('manager_telegram_id');
    t.text('manager_name');
    t.string('outcome', 16);
    t.text('reason');
    t.text('summary');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('taken_at', { useTz: true });
    t.timestamp('escalated_at', { useTz: true });
    t.timestamp('closed_at', { useTz: true });
    t.index(['lead_id', 'created_at']);
    t.index(['manager_telegram_id', 'status']);
    t.index(['status', 'created_at']);
  });
  await knex.raw(`alter table handoffs add constraint handoffs_status_check check (status in ('waiting', 'taken', 'closed'))`);
  await knex.raw(`alter table handoffs add constraint handoffs_outcome_check check (outcome in ('done', 'paid', 'cancelled', 'timeout'))`);
  await knex.schema.createTable('sales_scripts', (t) => {
    t.bigInteger('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.string('facts_hash', 64).notNullable();
    t.text('script').notNullable();
    t.string('source', 16).notNullable().comment('llm or template');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['lead_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sales_scripts');
  await knex.schema.dropTable('handoffs');
  await knex.raw('alter table leads drop constraint leads_status_check');
  await knex.schema.alterTable('leads', (t) => {
    t.dropColumn('priority');
    t.dropColumn('status');
  });
}
