import ExcelJS from 'exceljs';

/**
 * An Excel workbook built the way a school's sheet looks, for the importers' tests: the first sheet
 * holds the rows (row 1 the header); `null` leaves a cell empty, an empty array is an empty row.
 * A second sheet is added so a test can show that only the first one is read.
 */
export async function xlsxWorkbook(rows: ExcelJS.CellValue[][], options: { secondSheet?: ExcelJS.CellValue[][] } = {}): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Каталог');
  rows.forEach((row, i) => {
    row.forEach((value, c) => {
      if (value !== null) sheet.getRow(i + 1).getCell(c + 1).value = value;
    });
  });
  if (options.secondSheet) workbook.addWorksheet('Заметки').addRows(options.secondSheet);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
