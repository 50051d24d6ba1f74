import type { Knex } from 'knex';
import { PROMPT_ENTRIES, RELEVANT_SCORE, scoreKnowledgeMatch, type KnowledgeEntry, type KnowledgeMatch } from '../domain/knowledge';
import type { Language } from '../domain/language';

/**
 * The knowledge base in Postgres (docs/knowledge-base.md): the entries editors keep, and the search
 * that finds the few a lead's message is about.
 */

/** A row of `knowledge_entries` as Postgres returns it (a bigint id may come as text). */
type KnowledgeRow = Omit<KnowledgeEntry, 'id'> & { id: string | number };

/** What a write sets; `source` says who wrote it (seed, csv, panel). */
export type KnowledgeFields = Omit<KnowledgeEntry, 'id'>;

/** Another entry of the language already has this key. */
export class KnowledgeKeyTakenError extends Error {
  constructor(
    readonly key: string,
    readonly language: Language,
  ) {
    super(`a knowledge entry with key "${key}" (${language}) already exists`);
    this.name = 'KnowledgeKeyTakenError';
  }
}

const COLUMNS = ['id', 'key', 'language', 'question', 'variants', 'answer', 'tags', 'links', 'active'] as const;

export function toEntry(row: KnowledgeRow): KnowledgeEntry {
  return {
    id: Number(row.id),
    key: row.key,
    language: row.language,
    question: row.question,
    variants: row.variants ?? [],
    answer: row.answer,
    tags: row.tags ?? [],
    links: row.links ?? [],
    active: row.active,
  };
}

/**
 * The text the full-text search reads, lower-cased here: Postgres' lower() leaves Cyrillic alone in a
 * database created with the C locale (the embedded one for `npm start` is).
 */
export function searchTextOf(entry: Pick<KnowledgeEntry, 'question' | 'variants' | 'tags'>): string {
  return [entry.question, ...entry.variants, ...entry.tags].join('\n').toLowerCase();
}

/** Columns of a write, lists as Postgres arrays. */
export function columnsOf(fields: KnowledgeFields, source: string, by?: number) {
  return {
    key: fields.key,
    language: fields.language,
    question: fields.question,
    variants: fields.variants,
    answer: fields.answer,
    tags: fields.tags,
    links: fields.links,
    active: fields.active,
    search_text: searchTextOf(fields),
    source,
    updated_by: by ?? null,
  };
}

export async function getEntry(db: Knex, id: number): Promise<KnowledgeEntry | undefined> {
  const row: KnowledgeRow | undefined = await db('knowledge_entries').where({ id }).first(COLUMNS);
  return row ? toEntry(row) : undefined;
}

/** A page of one language's entries for the panel, by key. */
export async function listEntries(db: Knex, language: Language, limit = 100, offset = 0): Promise<{ entries: KnowledgeEntry[]; total: number }> {
  const rows: KnowledgeRow[] = await db('knowledge_entries').where({ language }).orderBy('key').orderBy('id').limit(limit).offset(offset).select(COLUMNS);
  const [{ count }] = await db('knowledge_entries').where({ language }).count<{ count: string }[]>({ count: '*' });
  return { entries: rows.map(toEntry), total: Number(count) };
}

export async function countEntries(db: Knex): Promise<{ language: Language; active: boolean; count: number }[]> {
  const rows: { language: Language; active: boolean; count: string }[] = await db('knowledge_entries')
    .select('language', 'active', db.raw('count(*) as count'))
    .groupBy('language', 'active')
    .orderBy(['language', 'active']);
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

/** A new entry from the panel; its key is the editor's, or made from the next id. */
export async function createEntry(db: Knex, fields: Omit<KnowledgeFields, 'key'> & { key?: string }, by: number): Promise<KnowledgeEntry> {
  return db.transaction(async (trx) => {
    const [{ id }] = (await trx.raw(`select nextval(pg_get_serial_sequence('knowledge_entries', 'id')) as id`)).rows as { id: string }[];
    const key = fields.key ?? `entry-${id}`;
    const clash = await trx('knowledge_entries').where({ language: fields.language, key }).first('id');
    if (clash) throw new KnowledgeKeyTakenError(key, fields.language);
    const [row] = await trx('knowledge_entries')
      .insert({ id, ...columnsOf({ ...fields, key }, 'panel', by) })
      .returning(COLUMNS);
    return toEntry(row as KnowledgeRow);
  });
}

/** Replaces an entry's fields; returns it before and after, or undefined when it is gone. */
export async function updateEntry(db: Knex, id: number, fields: KnowledgeFields, by: number): Promise<{ before: KnowledgeEntry; after: KnowledgeEntry } | undefined> {
  return db.transaction(async (trx) => {
    const row: KnowledgeRow | undefined = await trx('knowledge_entries').where({ id }).forUpdate().first(COLUMNS);
    if (!row) return undefined;
    const clash = await trx('knowledge_entries').where({ language: fields.language, key: fields.key }).whereNot({ id }).first('id');
    if (clash) throw new KnowledgeKeyTakenError(fields.key, fields.language);
    const [after] = await trx('knowledge_entries')
      .where({ id })
      .update({ ...columnsOf(fields, 'panel', by), updated_at: trx.fn.now() })
      .returning(COLUMNS);
    return { before: toEntry(row), after: toEntry(after as KnowledgeRow) };
  });
}

/** Deletes an entry; returns what it was (undefined when it was already gone). */
export async function deleteEntry(db: Knex, id: number): Promise<KnowledgeEntry | undefined> {
  const [row] = await db('knowledge_entries').where({ id }).delete().returning(COLUMNS);
  return row ? toEntry(row as KnowledgeRow) : undefined;
}

/** Full-text configurations per language: stemming makes "вернуть", "верните" one word. */
const TEXT_CONFIG: Record<Language, string> = { ru: 'russian', en: 'english' };

interface ScoredRow extends KnowledgeRow {
  phrase_score: number | null;
  words: string | number;
  question_hits: string | number;
  answer_hits: string | number;
}

/**
 * The active entries of the language closest to the lead's text, best first, at most `limit`.
 *
 * Two signals, each 0–1, the larger counts (`scoreKnowledgeMatch`):
 * - trigrams (pg_trgm): how much of a question or variant appears in the text, typos and all;
 * - full text: the share of the text's words (stemmed, stop words dropped) found in the question,
 *   variants and tags; a text of one word counts half, so "курс?" alone answers nothing by itself.
 * Words found only in an answer make an entry worth showing the model, never sure enough to send.
 */
export async function searchKnowledge(db: Knex, language: Language, text: string, limit = PROMPT_ENTRIES): Promise<KnowledgeMatch[]> {
  const query = text.toLowerCase().slice(0, 1000);
  if (query.trim() === '') return [];
  const config = TEXT_CONFIG[language];
  const { rows } = (await db.raw(
    `with input as (select tsvector_to_array(to_tsvector(?::regconfig, ?)) as words, ?::text as text)
     select ${COLUMNS.map((c) => `e.${c}`).join(', ')},
       (select max(greatest(similarity(lower(p), i.text), word_similarity(lower(p), i.text))) from unnest(array[e.question] || e.variants) as p) as phrase_score,
       cardinality(i.words) as words,
       (select count(*) from unnest(i.words) as w where w = any(tsvector_to_array(to_tsvector(?::regconfig, e.search_text)))) as question_hits,
       (select count(*) from unnest(i.words) as w where w = any(tsvector_to_array(to_tsvector(?::regconfig, lower(e.answer))))) as answer_hits
     from knowledge_entries e cross join input i
     where e.language = ? and e.active`,
    [config, query, query, config, config, language],
  )) as { rows: ScoredRow[] };
  return rows
    .map((row) => ({ entry: toEntry(row), ...scoreKnowledgeMatch({ phraseScore: Number(row.phrase_score ?? 0), words: Number(row.words), questionHits: Number(row.question_hits), answerHits: Number(row.answer_hits) }) }))
    .filter((m) => m.relevance >= RELEVANT_SCORE)
    .sort((a, b) => b.relevance - a.relevance || b.score - a.score || a.entry.id - b.entry.id)
    .slice(0, limit)
    .map(({ entry, score }) => ({ entry, score }));
}
