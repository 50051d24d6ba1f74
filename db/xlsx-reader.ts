import ExcelJS from 'exceljs';

/**
 * Reads the first sheet of an Excel workbook (.xlsx) as rows of text, for the importers that also
 * take CSV (materials, knowledge base): each cell becomes the text a CSV export of it would hold, so
 * the same columns and validation apply. Row n of the sheet is element n - 1, empty rows included,
 * so an error names the row the editor sees in Excel. Built on exceljs.
 */

/** A sheet longer than this is not a catalogue or a knowledge base; refused before it is validated. */
export const MAX_SHEET_ROWS = 10_000;
/**
 * A workbook is a zip: 2 MB of it can unpack into gigabytes (a "zip bomb"). The sizes its directory
 * declares are checked before exceljs unpacks anything; a real catalogue sheet unpacks to a few MB.
 */
export const MAX_UNPACKED_BYTES = 50 * 1024 * 1024;

/** The workbook cannot be read at all; the reason is for the editor, in English like the CSV reasons. */
export class XlsxReadError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'XlsxReadError';
  }
}

/** Rows of the first sheet (header first), every row as wide as the header row; cells outside it are ignored. */
export async function readXlsxRows(bytes: Buffer): Promise<string[][]> {
  if (bytes.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    throw new XlsxReadError('this is an old Excel 97-2003 .xls file: save it as .xlsx (Excel workbook) or CSV');
  }
  if (!bytes.subarray(0, 4).equals(Buffer.from('PK\u0003\u0004', 'latin1'))) throw new XlsxReadError('not an Excel workbook (.xlsx): the file is damaged or of another type');
  const unpacked = declaredUnpackedBytes(bytes);
  if (unpacked === null) throw new XlsxReadError('not an Excel workbook (.xlsx): the file is damaged or cut off');
  if (unpacked > MAX_UNPACKED_BYTES) throw new XlsxReadError(`the workbook unpacks to ${Math.ceil(unpacked / 1024 / 1024)} MB, more than ${MAX_UNPACKED_BYTES / 1024 / 1024} MB`);

  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs types its input as an ArrayBuffer; the bytes are copied out of Node's pooled buffer.
    await workbook.xlsx.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch {
    throw new XlsxReadError('not an Excel workbook (.xlsx): the file is damaged or of another type');
  }
  const sheet = workbook.worksheets[0];
  if (!sheet || sheet.rowCount === 0) throw new XlsxReadError('the first sheet of the workbook is empty');
  if (sheet.rowCount > MAX_SHEET_ROWS) throw new XlsxReadError(`the sheet has ${sheet.rowCount} rows, more than ${MAX_SHEET_ROWS}`);
  const width = sheet.getRow(1).cellCount;
  const rows: string[][] = [];
  for (let r = 1; r <= sheet.rowCount; r += 1) {
    const row = sheet.getRow(r);
    rows.push(Array.from({ length: width }, (_, c) => cellText(row.getCell(c + 1).value)));
  }
  return rows;
}

/**
 * A cell as text: what Excel shows for text, rich text and links; a formula's last computed value;
 * numbers and booleans as a CSV export writes them; a date as ISO text.
 */
export function cellText(value: ExcelJS.CellValue | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('hyperlink' in value) return cellText(value.text as ExcelJS.CellValue);
  if ('formula' in value || 'sharedFormula' in value) return cellText(value.result as ExcelJS.CellValue);
  if ('error' in value) return value.error;
  return '';
}

/**
 * The total unpacked size the zip's central directory declares, or null when there is no valid
 * directory (not a zip, or cut off). The end record is found from the end of the file; a zip64
 * archive (a workbook over 4 GB, never a sheet) counts as too large.
 */
function declaredUnpackedBytes(zip: Buffer): number | null {
  const END = 0x06054b50;
  const ENTRY = 0x02014b50;
  let end = -1;
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at -= 1) {
    if (zip.readUInt32LE(at) === END) {
      end = at;
      break;
    }
  }
  if (end < 0) return null;
  const entries = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  let total = 0;
  for (let i = 0; i < entries; i += 1) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== ENTRY) return null;
    const size = zip.readUInt32LE(at + 24);
    if (size === 0xffffffff) return Number.MAX_SAFE_INTEGER;
    total += size;
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return total;
}
