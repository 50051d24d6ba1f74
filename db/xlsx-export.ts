import ExcelJS from 'exceljs';
import { PassThrough, type Readable } from 'node:stream';
import type { CsvValue } from '../domain/csv';

/**
 * Exports as Excel workbooks (.xlsx), the siblings of the CSV exports (docs/analytics.md): one sheet,
 * the same header and rows, but typed cells, so a school opens them in Excel without an import
 * dialog and sums or filters numbers and dates straight away. Written with exceljs's streaming
 * writer: rows go out as they are read, so a large export never sits in memory whole.
 */

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A table as the exports read it: the header row first, then one array of values per row. */
export type TableRow = readonly CsvValue[];

const DATE_FORMAT = 'yyyy-mm-dd hh:mm:ss';
/** ids and foreign keys (`id`, `lead_id`) are numbers, even where Postgres sends a bigint as text. */
const NUMBER_COLUMN = /(^|_)id$/;
/** Timestamps (`created_at`), even where a jsonb row sends them as ISO text. */
const DATE_COLUMN = /_at$/;

/**
 * One cell, typed: numbers and booleans as they are, dates as Excel dates (UTC, as in the CSV),
 * objects as JSON text. Every other value is written as a string cell, never a formula, so a lead
 * named "=HYPERLINK(...)" stays text (exceljs only writes a formula for a `{ formula }` value).
 */
export function xlsxCell(value: CsvValue, column = ''): ExcelJS.CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && NUMBER_COLUMN.test(column) && /^-?\d{1,15}$/.test(value)) return Number(value);
  if (typeof value === 'string' && DATE_COLUMN.test(column) && /^\d{4}-\d\d-\d\dT/.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'boolean' || value instanceof Date) return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

/**
 * Streams a workbook with one sheet from a table whose first row is the header. The returned
 * stream fails (destroyed with the error) if reading the rows fails midway.
 */
export function xlsxStream(sheetName: string, rows: AsyncIterable<TableRow> | Iterable<TableRow>): Readable {
  const out = new PassThrough();
  void (async () => {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false });
    const sheet = workbook.addWorksheet(sheetName.replace(/[[\]:*?/\\]/g, '-').slice(0, 31), { views: [{ state: 'frozen', ySplit: 1 }] });
    let header: string[] | undefined;
    for await (const values of rows) {
      if (!header) {
        header = values.map((value) => String(value ?? ''));
        const row = sheet.addRow(header);
        row.font = { bold: true };
        row.commit();
        continue;
      }
      const row = sheet.addRow(values.map((value, i) => xlsxCell(value, header?.[i])));
      row.eachCell((cell) => {
        if (cell.value instanceof Date) cell.numFmt = DATE_FORMAT;
      });
      row.commit();
      // A slow download holds the reading back instead of piling rows up in memory; a closed one stops it.
      if (out.writableNeedDrain) await drainedOrClosed(out);
      if (out.destroyed) return;
    }
    sheet.commit();
    await workbook.commit();
  })().catch((error: unknown) => out.destroy(error instanceof Error ? error : new Error(String(error))));
  return out;
}

function drainedOrClosed(stream: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done).off('close', done);
      resolve();
    };
    stream.on('drain', done).on('close', done);
  });
}

/** The whole workbook in memory: for the bot's document replies and for tests. */
export async function xlsxBuffer(sheetName: string, rows: AsyncIterable<TableRow> | Iterable<TableRow>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of xlsxStream(sheetName, rows)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
