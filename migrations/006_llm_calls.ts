import type { Knex } from 'knex';

/** Every call to the model: what for, which model, tokens, latency, outcome, whether the lead got a fallback. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('llm_calls', (t) => {
    t.bigIncrements('id');
    t.bigInteger('lead_id').references('leads.id').onDelete('CASCADE');
    t.string('purpose', 32).notNullable();
    t.string('model', 64).notNullable();
    t.integer('prompt_tokens');
    t.integer('completion_tokens');
    t.integer('latency_ms');
    t.string('outcome', 32).notNullable();
    t.boolean('fallback').notNullable();
    t.text('error');
    t.string('idempotency_key', 200).unique();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
    t.index(['lead_id', 'created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('llm_calls');
}
