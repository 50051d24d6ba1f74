import type { Knex } from 'knex';

/** Products, their matching criteria and the match log (docs/products-and-matching.md). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('products', (t) => {
    t.bigIncrements('id');
    t.string('code', 64).notNullable().unique().comment('stable key of the seed file');
    t.text('name').notNullable();
    t.text('description').notNullable();
    t.decimal('price', 12, 2).notNullable();
    t.string('currency', 5).notNullable();
    t.jsonb('value_propositions').notNullable().defaultTo('[]');
    t.jsonb('target_segments').notNullable().defaultTo('[]').comment('segments the product is meant for: cold, warm, hot');
    t.jsonb('payment_links').notNullable().defaultTo('{}').comment('{ full?, instalment? }');
    t.text('landing_url');
    t.text('media_url');
    t.integer('budget_level').notNullable().comment('0-3: budget of the lead it suits; breaks ties');
    t.integer('urgency_level').notNullable().comment('0-3: how soon that lead wants results; breaks ties');
    t.boolean('active').notNullable().defaultTo(true);
    t.timestamps(true, true);
  });
  await knex.raw(`alter table products add constraint products_price_check check (price > 0)`);
  await knex.raw(`alter table products add constraint products_currency_check check (currency ~ '^[A-Z]{3,5}$')`);
  await knex.raw(`alter table products add constraint products_budget_level_check check (budget_level between 0 and 3)`);
  await knex.raw(`alter table products add constraint products_urgency_level_check check (urgency_level between 0 and 3)`);

  await knex.schema.createTable('product_criteria', (t) => {
    t.bigIncrements('id');
    t.bigInteger('product_id').notNullable().references('products.id').onDelete('CASCADE');
    t.string('question', 32).notNullable();
    t.string('answer', 64).notNullable();
    t.decimal('weight', null).notNullable().comment('negative: an anti-signal');
    t.text('reason').comment('shown to the lead when the criterion matches');
    t.unique(['product_id', 'question', 'answer']);
  });
  await knex.raw(`alter table product_criteria add constraint product_criteria_weight_check check (weight <> 0)`);

  await knex.schema.createTable('product_matches', (t) => {
    t.bigIncrements('id');
    t.bigInteger('lead_id').notNullable().references('leads.id').onDelete('CASCADE');
    t.bigInteger('best_product_id').references('products.id').onDelete('SET NULL').comment('null: nothing reached the threshold');
    t.decimal('score', 5, 4).notNullable().comment('the highest score, offered or not');
    t.jsonb('top').notNullable().comment('the top 3: product id, code, name, score, percent, reasons');
    t.string('idempotency_key', 200).unique().comment('from the workflow, so a retried activity logs once');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['lead_id', 'created_at']);
  });
  await knex.raw(`alter table product_matches add constraint product_matches_score_check check (score between 0 and 1)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('product_matches');
  await knex.schema.dropTable('product_criteria');
  await knex.schema.dropTable('products');
}
