import type { Knex } from 'knex';

/** The materials catalogue with versions (docs/materials-and-content.md). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('materials', (t) => {
    t.bigIncrements('id');
    t.string('key', 200).notNullable().unique().comment('stable identity from the source sheet');
    t.text('title').notNullable();
    t.text('summary').notNullable().defaultTo('');
    t.text('url');
    t.text('file_id').comment('Telegram file id, set by editors; imports never touch it');
    t.string('category', 16).notNullable();
    t.jsonb('segments').notNullable().defaultTo('[]').comment('empty: any segment');
    t.jsonb('stages').notNullable().defaultTo('[]').comment('empty: any stage');
    t.jsonb('tags').notNullable().defaultTo('[]');
    t.integer('priority').notNullable().defaultTo(0);
    t.string('status', 16).notNullable().defaultTo('ready');
    t.string('language', 8).notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.text('checksum').notNullable().comment('sha256 of the source row as the last import wrote it');
    t.timestamps(true, true);
    t.index(['language', 'status']);
  });
  await knex.raw(
    `alter table materials add constraint materials_category_check check (category in ('article', 'case', 'review', 'faq', 'bonus', 'other'))`,
  );
  await knex.raw(`alter table materials add constraint materials_status_check check (status in ('draft', 'ready', 'archived'))`);
  await knex.raw(`alter table materials add constraint materials_language_check check (language in ('ru', 'en'))`);
  await knex.raw(
    `alter table materials add constraint materials_lists_check check (jsonb_typeof(segments) = 'array' and jsonb_typeof(stages) = 'array' and jsonb_typeof(tags) = 'array')`,
  );

  await knex.schema.createTable('material_versions', (t) => {
    t.bigIncrements('id');
    t.bigInteger('material_id').notNullable().references('materials.id').onDelete('CASCADE');
    t.integer('version').notNullable();
    t.jsonb('snapshot').notNullable().comment('the whole row as it was before the next version replaced it');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['material_id', 'version']);
  });

  await knex.schema.createTable('material_imports', (t) => {
    t.bigIncrements('id');
    t.text('source').notNullable().comment('file name or sheet the rows came from');
    t.string('scope', 200).notNullable().defaultTo('').comment('key prefix the import owned; it archives only within it');
    t.integer('added').notNullable();
    t.integer('updated').notNullable();
    t.integer('archived').notNullable();
    t.integer('unchanged').notNullable();
    t.jsonb('changes').notNullable().defaultTo('{}').comment('keys added, updated and archived');
    t.jsonb('errors').notNullable().defaultTo('[]').comment('rows that were skipped, with row numbers and reasons');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['created_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('material_imports');
  await knex.schema.dropTable('material_versions');
  await knex.schema.dropTable('materials');
}
