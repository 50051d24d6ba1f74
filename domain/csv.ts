/**
 * CSV as spreadsheets read it (RFC 4180): fields with a comma, a quote, a line break or edge spaces
 * are quoted, quotes doubled, lines end with CRLF. Text that a spreadsheet would run as a formula
 * (=, @, +cmd, -cmd) gets a leading apostrophe, since names and messages come from leads.
 */
export type CsvValue = string | number | boolean | Date | null | undefined | Record<string, unknown> | unknown[];

const FORMULA = /^[=@\t\r]|^[+-](?![\d\s().]*$)/;

export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : value;
  if (typeof value === 'string' && FORMULA.test(text)) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly CsvValue[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/**
 * The UTF-8 byte order mark every CSV file starts with: without it Excel (Russian Windows above all)
 * reads UTF-8 as the local code page and Cyrillic turns into mojibake. Other readers skip it.
 */
export const EXCEL_BOM = '\uFEFF';

/** A table (header row first) as CSV lines, for the exports that are also offered as .xlsx. */
export async function* csvLines(rows: AsyncIterable<readonly CsvValue[]> | Iterable<readonly CsvValue[]>): AsyncGenerator<string> {
  for await (const row of rows) yield csvLine(row);
}
