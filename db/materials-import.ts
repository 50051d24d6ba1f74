import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { Language } from '../domain/language';
import {
  MATERIAL_CATEGORIES,
  MATERIAL_SEGMENTS,
  MATERIAL_STATUSES,
  type MaterialCategory,
  type MaterialSegment,
  type MaterialStatus,
} from '../domain/materials';
import type { MaterialRecord } from './materials';
import { CsvError, parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { readXlsxRows, XlsxReadError } from './xlsx-reader';

/**
 * Imports the materials catalogue from an editors' sheet (Excel .xlsx, or exported as CSV or JSON), with delta sync
 * (docs/materials-and-content.md): new rows are added, changed rows become a new version, rows that
 * disappeared are archived, and every import leaves a report.
 */

/** One material as the source sheet describes it, normalised (trimmed, lists lower-case, sorted, unique). */
export interface MaterialRow {
  key: string;
  title: string;
  summary: string;
  url?: string;
  category: MaterialCategory;
  segments: MaterialSegment[];
  stages: string[];
  tags: string[];
  priority: number;
  status: MaterialStatus;
  language: Language;
}

/**
 * A row that was skipped, and why. `row` counts as a spreadsheet does (CSV and .xlsx: the header is
 * row 1, so the first material is row 2, whatever newlines its fields hold; JSON: the array position
 * from 1); `line` is where a CSV row starts in the file. `key` is set when the row had one, so
 * the import does not archive a live material because its row has a typo.
 */
export interface ImportRowError {
  row: number;
  line?: number;
  key?: string;
  reason: string;
}

/** What an import changed; it is also stored in `material_imports`. */
export interface ImportReport {
  added: string[];
  updated: string[];
  archived: string[];
  unchanged: number;
  errors: ImportRowError[];
}

export interface SyncOptions {
  /** The file name or sheet the rows came from, for the import log. */
  source: string;
  /**
   * The key prefix this source owns. An import archives what disappeared from *its* source, so
   * only materials whose key starts with the scope are candidates; every row must carry it.
   * A real import uses the prefix of its sheet; the default '' owns the whole catalogue.
   */
  scope?: string;
  /** Work out the report without changing anything (the preview an editor applies or cancels). */
  dryRun?: boolean;
  /** The rows `parseMaterialsFile` rejected: reported and logged, and their keys are never archived. */
  errors?: readonly ImportRowError[];
}

/** The file as a whole cannot be read (format, JSON syntax, CSV quoting, a damaged workbook, header); nothing is imported. */
export class MaterialsFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`);
    this.name = 'MaterialsFileError';
  }
}

/** A row's key does not start with the import's scope, so the import could never archive it. */
export class MaterialKeyOutsideScopeError extends Error {
  constructor(
    readonly key: string,
    readonly scope: string,
  ) {
    super(`material key "${key}" is outside the import scope "${scope}"`);
    this.name = 'MaterialKeyOutsideScopeError';
  }
}

/** Two rows given to one sync share a key, so which one wins would be an accident. */
export class DuplicateMaterialKeyError extends Error {
  constructor(readonly key: string) {
    super(`material key "${key}" appears more than once`);
    this.name = 'DuplicateMaterialKeyError';
  }
}

/** No row survived parsing: importing that would archive the whole scope, which is never what an editor means. */
export class EmptyMaterialsImportError extends Error {
  constructor(
    readonly source: string,
    readonly rejectedRows: number,
  ) {
    super(`${source}: no material to import (${rejectedRows} rows rejected); archive materials explicitly instead`);
    this.name = 'EmptyMaterialsImportError';
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

const KEY = /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/;
const STAGE = /^[a-z][a-z0-9_]*$/;

const named = (field: string, input: unknown) => `${field} "${String(input)}"`;

/** Text fields: trimmed, Windows line ends made Unix; blank means absent. */
function clean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.replace(/\r\n?/g, '\n').trim();
  return text === '' ? undefined : text;
}

function lower(value: unknown): unknown {
  const text = clean(value);
  return typeof text === 'string' ? text.toLowerCase() : text;
}

/** "a; b" or "a,b" (in CSV, a comma list is quoted) or a JSON array; blank means empty. */
function list(value: unknown): unknown {
  if (value === undefined || value === null) return [];
  const items = typeof value === 'string' ? value.split(/[;,]/) : value;
  if (!Array.isArray(items)) return value;
  return items.map(lower).filter((item) => item !== undefined);
}

/** A whole number written as text in CSV, or a number in JSON. */
function integer(value: unknown): unknown {
  const text = clean(value);
  return typeof text === 'string' && /^[+-]?\d{1,9}$/.test(text) ? Number(text) : text;
}

const rowSchema = z.object({
  key: z.preprocess(
    clean,
    z
      .string({ error: (issue) => (issue.input === undefined ? 'key is required' : 'key must be text') })
      .max(200, 'key is longer than 200 characters')
      .regex(KEY, 'key may hold only letters, digits and _ . : / -'),
  ),
  title: z.preprocess(
    clean,
    z.string({ error: (issue) => (issue.input === undefined ? 'title is required' : 'title must be text') }),
  ),
  summary: z.preprocess(clean, z.string({ error: 'summary must be text' }).default('')),
  url: z.preprocess(
    clean,
    z.url({ protocol: /^https?$/, error: (issue) => `bad ${named('url', issue.input)}: expected an http(s) link` }).optional(),
  ),
  category: z.preprocess(
    lower,
    z
      .enum(MATERIAL_CATEGORIES, { error: (issue) => `unknown ${named('category', issue.input)}; expected ${MATERIAL_CATEGORIES.join(', ')}` })
      .default('other'),
  ),
  segments: z.preprocess(
    list,
    z.array(z.enum(MATERIAL_SEGMENTS, { error: (issue) => `unknown ${named('segment', issue.input)}; expected cold, warm, hot` }), {
      error: 'segments must be a list',
    }),
  ),
  stages: z.preprocess(
    list,
    z.array(z.string({ error: 'stages must be text' }).regex(STAGE, 'a stage is a lower-case word like "diagnostics"'), {
      error: 'stages must be a list',
    }),
  ),
  tags: z.preprocess(list, z.array(z.string({ error: 'tags must be text' }).max(64, 'a tag is longer than 64 characters'), { error: 'tags must be a list' })),
  priority: z.preprocess(
    integer,
    z
      .number({ error: (issue) => `bad ${named('priority', issue.input)}: expected a whole number` })
      .int({ error: (issue) => `bad ${named('priority', issue.input)}: expected a whole number` })
      .min(-1_000_000, 'priority is below -1000000')
      .max(1_000_000, 'priority is above 1000000')
      .default(0),
  ),
  status: z.preprocess(
    lower,
    z.enum(MATERIAL_STATUSES, { error: (issue) => `unknown ${named('status', issue.input)}; expected draft, ready, archived` }).default('ready'),
  ),
  language: z.preprocess(
    lower,
    z.enum(['ru', 'en'], { error: (issue) => `unknown ${named('language', issue.input)}; expected ru or en` }).default('ru'),
  ),
});

/**
 * Reads a catalogue file: CSV (a header row naming the columns key, title, summary, url, category,
 * segments, stages, tags, priority, status, language; RFC 4180 quoting) or JSON (an array of
 * objects with those fields), chosen by the file name. Columns other than these are ignored, so a
 * sheet may keep notes. A bad row is reported with its number and reason and the others go on;
 * a file that cannot be read at all throws `MaterialsFileError`.
 */
export function parseMaterialsFile(name: string, content: string | Buffer): { rows: MaterialRow[]; errors: ImportRowError[] } {
  // Spreadsheet exports often start with a byte-order mark; bytes may be Windows-1251 too.
  const text = (typeof content === 'string' ? content : decodeSpreadsheet(content)).replace(/^\uFEFF/, '');
  const lowerName = name.toLowerCase();
  if (lowerName.endsWith('.csv')) return validateRecords(csvRecords(name, text));
  if (lowerName.endsWith('.json')) return validateRecords(jsonRecords(name, text));
  throw new MaterialsFileError(name, 'unsupported file type: expected .csv, .xlsx or .json');
}

/**
 * `parseMaterialsFile`, and also an Excel workbook (.xlsx): its first sheet, the first row naming the
 * columns, read with the same columns and validation, rows numbered as Excel shows them.
 */
export async function readMaterialsFile(name: string, content: string | Buffer): Promise<{ rows: MaterialRow[]; errors: ImportRowError[] }> {
  if (!name.toLowerCase().endsWith('.xlsx')) return parseMaterialsFile(name, content);
  return validateRecords(tableRecords(name, await readXlsxRecords(name, Buffer.from(content))));
}

/** An .xlsx file's first sheet as records (no file line: the row number is where to look); unreadable is `MaterialsFileError`. */
export async function readXlsxRecords(name: string, bytes: Buffer): Promise<SheetRecord[]> {
  try {
    return (await readXlsxRows(bytes)).map((fields) => ({ fields }));
  } catch (error) {
    if (error instanceof XlsxReadError) throw new MaterialsFileError(name, error.reason);
    throw error;
  }
}

interface SourceRecord {
  row: number;
  line?: number;
  /** A problem found before validation (e.g. a CSV row with too many fields). */
  problem?: string;
  fields: Record<string, unknown>;
}

function validateRecords(records: SourceRecord[]): { rows: MaterialRow[]; errors: ImportRowError[] } {
  const rows: MaterialRow[] = [];
  const errors: ImportRowError[] = [];
  const firstRowOfKey = new Map<string, number>();
  for (const record of records) {
    const rawKey = clean(record.fields.key);
    const at = {
      row: record.row,
      ...(record.line === undefined ? {} : { line: record.line }),
      ...(typeof rawKey === 'string' ? { key: rawKey } : {}),
    };
    if (record.problem) {
      errors.push({ ...at, reason: record.problem });
      continue;
    }
    const parsed = rowSchema.safeParse(record.fields);
    if (!parsed.success) {
      errors.push({ ...at, reason: parsed.error.issues.map((issue) => issue.message).join('; ') });
      continue;
    }
    const row = normaliseRow(parsed.data);
    const first = firstRowOfKey.get(row.key);
    if (first !== undefined) {
      errors.push({ ...at, reason: `duplicate key "${row.key}" (first used in row ${first})` });
      continue;
    }
    firstRowOfKey.set(row.key, record.row);
    rows.push(row);
  }
  return { rows, errors };
}

const COLUMNS = ['key', 'title', 'summary', 'url', 'category', 'segments', 'stages', 'tags', 'priority', 'status', 'language'];

function csvRecords(name: string, text: string): SourceRecord[] {
  let records: CsvRecord[];
  try {
    records = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) throw new MaterialsFileError(name, error.message, error.line);
    throw error;
  }
  return tableRecords(name, records);
}

/** A sheet's records (CSV or .xlsx), header first, matched to the catalogue's columns. */
function tableRecords(name: string, records: readonly SheetRecord[]): SourceRecord[] {
  const [header, ...body] = records;
  const columns = (header?.fields ?? []).map((column) => column.trim().toLowerCase());
  const missing = ['key', 'title'].filter((column) => !columns.includes(column));
  if (missing.length > 0) {
    throw new MaterialsFileError(name, `the header row must name the columns ${COLUMNS.join(', ')}; missing: ${missing.join(', ')}`, 1);
  }
  const repeated = columns.find((column, i) => column !== '' && columns.indexOf(column) !== i);
  if (repeated) throw new MaterialsFileError(name, `column "${repeated}" appears twice in the header`, 1);

  const out: SourceRecord[] = [];
  body.forEach((record, i) => {
    if (record.fields.every((field) => field.trim() === '')) return; // an empty spreadsheet row
    const fields: Record<string, unknown> = {};
    columns.forEach((column, c) => {
      if (COLUMNS.includes(column)) fields[column] = record.fields[c];
    });
    const problem =
      record.fields.length === columns.length
        ? undefined
        : `the row has ${record.fields.length} fields, the header ${columns.length} (a comma in an unquoted field?)`;
    out.push({ row: i + 2, ...(record.line === undefined ? {} : { line: record.line }), fields, ...(problem ? { problem } : {}) });
  });
  return out;
}

function jsonRecords(name: string, text: string): SourceRecord[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new MaterialsFileError(name, `not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(data)) throw new MaterialsFileError(name, 'expected a JSON array of materials');
  return data.map((item: unknown, i) =>
    typeof item === 'object' && item !== null && !Array.isArray(item)
      ? { row: i + 1, fields: item as Record<string, unknown> }
      : { row: i + 1, fields: {}, problem: 'expected an object with the material fields' },
  );
}

// ---------------------------------------------------------------------------------------------
// CSV as Russian Excel writes it, read by csv-parse: `;` (Excel's separator where the decimal mark is a
// comma) or `,`, chosen by the header row; RFC 4180 quoting; CRLF or LF. The file's bytes are decoded
// first (decodeSpreadsheet): UTF-8 with or without a byte order mark, else Windows-1251.

export interface CsvRecord {
  /** The file line the record starts on. */
  line: number;
  fields: string[];
}

/** A row of a sheet, CSV or .xlsx; only a CSV row has a file line apart from its row number. */
export interface SheetRecord {
  line?: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

const CSV_PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'text after a closing quote (a quote inside a quoted field is written twice: "")',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text after a closing quote (a quote inside a quoted field is written twice: "")',
};

export function parseCsv(text: string): CsvRecord[] {
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, { delimiter: delimiterOf(text), relax_column_count: true, info: true, bom: true }) as unknown as typeof parsed;
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    // The broken record starts right after the last whole one (`bytes_records`): its first line is the one to fix.
    const done = Buffer.from(text, 'utf8').subarray(0, Number((error as CsvError & { bytes_records?: number }).bytes_records ?? 0)).toString('utf8');
    const line = (done.match(/\r\n|\r|\n/g) ?? []).length + 1;
    throw new CsvSyntaxError(line, CSV_PROBLEMS[error.code] ?? error.message);
  }
  // csv-parse gives the line a record ends on; the next one starts on the line after.
  let nextLine = 1;
  return parsed.map(({ record, info }) => {
    const line = nextLine;
    nextLine = info.lines + 1;
    return { line, fields: record };
  });
}

/** `;` when the header row (outside quotes) has more semicolons than commas, else `,`. */
function delimiterOf(text: string): string {
  const header = (text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '').replace(/"[^"]*"/g, '');
  return (header.match(/;/g)?.length ?? 0) > (header.match(/,/g)?.length ?? 0) ? ';' : ',';
}

/**
 * A spreadsheet file's bytes as text: UTF-8 (a byte order mark, or bytes that are valid UTF-8), else
 * Windows-1251, which Russian Excel uses for "CSV (разделители — запятые)".
 */
export function decodeSpreadsheet(bytes: Buffer): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return iconv.decode(bytes, 'win1251');
  }
}

// ---------------------------------------------------------------------------------------------
// Sync

/**
 * The same material written the same way, whatever the source's spacing, line ends or list order,
 * so a re-exported but unchanged sheet has the same checksum.
 */
export function normaliseRow(row: MaterialRow): MaterialRow {
  const text = (value: string) => value.replace(/\r\n?/g, '\n').trim();
  const items = <T extends string>(values: readonly T[]) =>
    [...new Set(values.map((value) => value.trim().toLowerCase() as T).filter((value) => value !== ''))].sort();
  const url = row.url?.trim();
  return {
    key: row.key.trim(),
    title: text(row.title),
    summary: text(row.summary),
    ...(url ? { url } : {}),
    category: row.category,
    segments: items(row.segments),
    stages: items(row.stages),
    tags: items(row.tags),
    priority: row.priority,
    status: row.status,
    language: row.language,
  };
}

/**
 * sha256 of the normalised source fields, status included: the checksum remembers what the source
 * said last, so a sheet moving a row from draft to ready publishes it, while an unchanged sheet
 * leaves an editor's later status change alone. `file_id` is not a source field.
 */
export function materialChecksum(row: MaterialRow): string {
  const r = normaliseRow(row);
  const fields = [r.key, r.title, r.summary, r.url ?? null, r.category, r.segments, r.stages, r.tags, r.priority, r.status, r.language];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/**
 * Brings the catalogue in line with the source, in one transaction, by key: new rows are added
 * (status from the row, 'ready' unless it says otherwise); rows whose checksum changed are updated
 * as version+1, the previous version kept in `material_versions`; unchanged rows are not written;
 * materials of this scope missing from the rows (and from the rejected rows) are archived. The
 * report is logged in `material_imports`. Importing the same file twice changes nothing the second
 * time. Imports run one at a time (an advisory lock), so two at once cannot race on a new key.
 */
export async function syncMaterials(db: Knex, rows: readonly MaterialRow[], options: SyncOptions): Promise<ImportReport> {
  const scope = options.scope ?? '';
  const errors = [...(options.errors ?? [])];
  const incoming = rows.map(normaliseRow);
  const keys = new Set<string>();
  for (const row of incoming) {
    if (!row.key.startsWith(scope)) throw new MaterialKeyOutsideScopeError(row.key, scope);
    if (keys.has(row.key)) throw new DuplicateMaterialKeyError(row.key);
    keys.add(row.key);
  }
  if (incoming.length === 0) throw new EmptyMaterialsImportError(options.source, errors.length);

  const run = db.transaction(async (trx) => {
    await trx.raw(`select pg_advisory_xact_lock(hashtext('materials-import'))`);
    const existing: MaterialRecord[] = await trx('materials').whereRaw('starts_with(key, ?)', [scope]).orderBy('key').forUpdate();
    const byKey = new Map(existing.map((record) => [record.key, record]));
    const report: ImportReport = { added: [], updated: [], archived: [], unchanged: 0, errors };

    for (const row of incoming) {
      const checksum = materialChecksum(row);
      const current = byKey.get(row.key);
      if (!current) {
        await trx('materials').insert({ ...columnsOf(row), version: 1, checksum });
        report.added.push(row.key);
      } else if (current.checksum === checksum) {
        report.unchanged += 1;
      } else {
        await trx('material_versions').insert({ material_id: current.id, version: current.version, snapshot: JSON.stringify(current) });
        await trx('materials')
          .where({ id: current.id })
          .update({ ...columnsOf(row), version: current.version + 1, checksum, updated_at: trx.fn.now() });
        report.updated.push(row.key);
      }
    }

    const kept = new Set([...keys, ...errors.flatMap((error) => (error.key === undefined ? [] : [error.key]))]);
    for (const record of existing) {
      if (kept.has(record.key) || record.status === 'archived') continue;
      // The checksum now says "the source dropped it", so the row coming back is a change that restores it.
      const checksum = materialChecksum({ ...rowOf(record), status: 'archived' });
      await trx('materials').where({ id: record.id }).update({ status: 'archived', checksum, updated_at: trx.fn.now() });
      report.archived.push(record.key);
    }

    await trx('material_imports').insert({
      source: options.source,
      scope,
      added: report.added.length,
      updated: report.updated.length,
      archived: report.archived.length,
      unchanged: report.unchanged,
      changes: JSON.stringify({ added: report.added, updated: report.updated, archived: report.archived }),
      errors: JSON.stringify(errors),
    });
    // A dry run does all the same work, then rolls it back: the preview is exactly what Apply will do.
    if (options.dryRun) throw new DryRunReport(report);
    return report;
  });
  return run.catch((error: unknown) => {
    if (error instanceof DryRunReport) return error.report;
    throw error;
  });
}

/** Carries a dry run's report out of the transaction it rolls back. */
class DryRunReport extends Error {
  constructor(readonly report: ImportReport) {
    super('materials import dry run');
  }
}

/** Columns an import owns; jsonb lists are sent as JSON text (pg would send a JS array as a Postgres array). */
function columnsOf(row: MaterialRow) {
  return {
    key: row.key,
    title: row.title,
    summary: row.summary,
    url: row.url ?? null,
    category: row.category,
    segments: JSON.stringify(row.segments),
    stages: JSON.stringify(row.stages),
    tags: JSON.stringify(row.tags),
    priority: row.priority,
    status: row.status,
    language: row.language,
  };
}

function rowOf(record: MaterialRecord): MaterialRow {
  return {
    key: record.key,
    title: record.title,
    summary: record.summary,
    ...(record.url ? { url: record.url } : {}),
    category: record.category,
    segments: record.segments,
    stages: record.stages,
    tags: record.tags,
    priority: record.priority,
    status: record.status,
    language: record.language,
  };
}
