import type { Knex } from 'knex';
import type { Language } from '../domain/language';
import { knowledgeRowSchema, type KnowledgeRow } from '../scenarios/knowledge-schema';
import { columnsOf, type KnowledgeFields } from './knowledge';
import { CsvSyntaxError, decodeSpreadsheet, MaterialsFileError, parseCsv, readXlsxRecords, type ImportRowError, type SheetRecord } from './materials-import';

/**
 * Imports knowledge entries from a CSV or Excel (.xlsx) sheet, and seeds them from the scenario folder
 * (docs/knowledge-base.md). Rows are matched by (language, key): a new key is added, a changed row
 * updates its entry, an unchanged one is left alone. Entries missing from the sheet stay: a sheet may
 * hold only part of the base, and editors add entries in the panel that no sheet knows.
 */

/** Columns of the sheet; `key`, `question` and `answer` are required, the rest may be left out. */
export const KNOWLEDGE_COLUMNS = ['key', 'language', 'question', 'variants', 'answer', 'tags', 'links', 'active'];

export type KnowledgeImportRow = KnowledgeRow & { language: Language };

export interface KnowledgeImportReport {
  added: string[];
  updated: string[];
  unchanged: number;
  errors: ImportRowError[];
}

/**
 * Reads a CSV sheet as Russian Excel writes it (`;` or `,`, UTF-8 or Windows-1251, the same reader
 * as the materials importer). A bad row is reported with its number and reason and the others go
 * on; a file that cannot be read throws `MaterialsFileError` (the importers' one "file is unusable").
 */
export function parseKnowledgeCsv(name: string, content: string | Buffer): { rows: KnowledgeImportRow[]; errors: ImportRowError[] } {
  if (!name.toLowerCase().endsWith('.csv')) throw new MaterialsFileError(name, 'unsupported file type: expected .csv or .xlsx');
  const text = (typeof content === 'string' ? content : decodeSpreadsheet(content)).replace(/^\uFEFF/, '');
  let records;
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new MaterialsFileError(name, error.message, error.line);
    throw error;
  }
  return knowledgeRecords(name, records);
}

/** `parseKnowledgeCsv`, and also an Excel workbook (.xlsx): its first sheet, the same columns and checks. */
export async function readKnowledgeSheet(name: string, content: string | Buffer): Promise<{ rows: KnowledgeImportRow[]; errors: ImportRowError[] }> {
  if (!name.toLowerCase().endsWith('.xlsx')) return parseKnowledgeCsv(name, content);
  return knowledgeRecords(name, await readXlsxRecords(name, Buffer.from(content)));
}

function knowledgeRecords(name: string, records: readonly SheetRecord[]): { rows: KnowledgeImportRow[]; errors: ImportRowError[] } {
  const [header, ...body] = records;
  const columns = (header?.fields ?? []).map((column) => column.trim().toLowerCase());
  const missing = ['key', 'question', 'answer'].filter((column) => !columns.includes(column));
  if (missing.length > 0) throw new MaterialsFileError(name, `the header row must name the columns ${KNOWLEDGE_COLUMNS.join(', ')}; missing: ${missing.join(', ')}`, 1);

  const rows: KnowledgeImportRow[] = [];
  const errors: ImportRowError[] = [];
  const seen = new Map<string, number>();
  body.forEach((record, i) => {
    if (record.fields.every((field) => field.trim() === '')) return; // an empty spreadsheet row
    const row = i + 2; // the header is row 1
    const fields: Record<string, string> = {};
    columns.forEach((column, c) => {
      if (KNOWLEDGE_COLUMNS.includes(column)) fields[column] = record.fields[c] ?? '';
    });
    const at = { row, ...(record.line !== undefined && record.line !== row && { line: record.line }), ...(fields.key?.trim() && { key: fields.key.trim() }) };
    if (record.fields.length !== columns.length) {
      return void errors.push({ ...at, reason: `the row has ${record.fields.length} fields, the header ${columns.length} (a comma in an unquoted field?)` });
    }
    const language = (fields.language ?? '').trim().toLowerCase() || 'ru';
    if (language !== 'ru' && language !== 'en') return void errors.push({ ...at, reason: `unknown language "${language}"; expected ru or en` });
    const parsed = knowledgeRowSchema.safeParse(fields);
    if (!parsed.success) return void errors.push({ ...at, reason: parsed.error.issues.map((issue) => issue.message).join('; ') });
    const id = `${language}:${parsed.data.key}`;
    const first = seen.get(id);
    if (first !== undefined) return void errors.push({ ...at, reason: `duplicate key "${parsed.data.key}" (${language}, first used in row ${first})` });
    seen.set(id, row);
    rows.push({ ...parsed.data, language });
  });
  return { rows, errors };
}

/**
 * Brings the rows into the base in one transaction (an advisory lock keeps two imports apart).
 * `dryRun` does the same work and rolls it back: the preview is what Apply will do.
 */
export async function importKnowledge(
  db: Knex,
  rows: readonly KnowledgeImportRow[],
  options: { source: 'csv' | 'seed'; errors?: readonly ImportRowError[]; dryRun?: boolean },
): Promise<KnowledgeImportReport> {
  const report: KnowledgeImportReport = { added: [], updated: [], unchanged: 0, errors: [...(options.errors ?? [])] };
  const run = db.transaction(async (trx) => {
    await trx.raw(`select pg_advisory_xact_lock(hashtext('knowledge-import'))`);
    for (const row of rows) {
      const fields: KnowledgeFields = { ...row };
      const label = `${row.language}:${row.key}`;
      const current = await trx('knowledge_entries').where({ language: row.language, key: row.key }).forUpdate().first('id', 'question', 'variants', 'answer', 'tags', 'links', 'active');
      if (!current) {
        await trx('knowledge_entries').insert(columnsOf(fields, options.source));
        report.added.push(label);
      } else if (sameEntry(current, fields)) {
        report.unchanged += 1;
      } else {
        await trx('knowledge_entries').where({ id: current.id }).update({ ...columnsOf(fields, options.source), updated_at: trx.fn.now() });
        report.updated.push(label);
      }
    }
    if (options.dryRun) throw new DryRun();
  });
  await run.catch((error: unknown) => {
    if (!(error instanceof DryRun)) throw error;
  });
  return report;
}

/** Ends a dry run's transaction without keeping anything. */
class DryRun extends Error {}

function sameEntry(current: Omit<KnowledgeFields, 'key' | 'language'>, next: KnowledgeFields): boolean {
  const fields = ['question', 'variants', 'answer', 'tags', 'links', 'active'] as const;
  return fields.every((field) => JSON.stringify(current[field]) === JSON.stringify(next[field]));
}
