import type { Knex } from 'knex';

/**
 * The knowledge base the model answers from (docs/knowledge-base.md): entries with a question and its
 * variants, an answer, tags and links, per language; and, on every model call, which entries went into
 * the prompt and which the model said it used. pg_trgm scores how close a lead's words are to an
 * entry's question (typos, word forms); it is a trusted extension since PostgreSQL 13, so the
 * database's owner can create it without a superuser.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('create extension if not exists pg_trgm');
  await knex.schema.createTable('knowledge_entries', (t) => {
    t.bigIncrements('id');
    t.string('key', 200).notNullable().comment('stable identity for the seed files and CSV imports');
    t.string('language', 8).notNullable();
    t.text('question').notNullable();
    t.specificType('variants', 'text[]').notNullable().defaultTo('{}').comment('other ways leads ask the same');
    t.text('answer').notNullable();
    t.specificType('tags', 'text[]').notNullable().defaultTo('{}');
    t.specificType('links', 'text[]').notNullable().defaultTo('{}').comment('http(s) links sent with the answer');
    t.text('search_text').notNullable().comment('question, variants and tags in lower case (written by the app: lower() misses Cyrillic in a C-locale database)');
    t.boolean('active').notNullable().defaultTo(true);
    t.string('source', 32).notNullable().defaultTo('panel').comment('seed, csv or panel: who wrote it last');
    t.bigInteger('updated_by').comment('the editor, for entries changed in the panel');
    t.timestamps(true, true);
    t.unique(['language', 'key']);
    t.index(['language', 'active']);
  });
  await knex.raw(`alter table knowledge_entries add constraint knowledge_entries_language_check check (language in ('ru', 'en'))`);
  await knex.raw(`alter table knowledge_entries add constraint knowledge_entries_text_check check (btrim(question) <> '' and btrim(answer) <> '')`);
  await knex.schema.alterTable('llm_calls', (t) => {
    t.specificType('knowledge_offered', 'bigint[]').notNullable().defaultTo('{}').comment('knowledge entries put into the prompt');
    t.specificType('knowledge_used', 'bigint[]').notNullable().defaultTo('{}').comment('entries the model said it used, or the entry a fallback answered from');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('llm_calls', (t) => {
    t.dropColumn('knowledge_offered');
    t.dropColumn('knowledge_used');
  });
  await knex.schema.dropTable('knowledge_entries');
}
