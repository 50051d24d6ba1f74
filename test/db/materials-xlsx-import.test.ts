import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../db/knex';
import { MaterialsFileError, readMaterialsFile, syncMaterials } from '../../db/materials-import';
import { MAX_SHEET_ROWS } from '../../db/xlsx-reader';
import { testDb } from '../support/db';
import { TEST_DATABASE_URL } from '../support/paths';
import { xlsxWorkbook } from '../support/xlsx';

let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(async () => {
  await db?.('materials').whereRaw('starts_with(key, ?)', [`x${run}-`]).delete();
  await db?.destroy();
});

// Materials are global, so each test owns the keys under its own prefix and syncs with it as scope.
const run = Math.random().toString(36).slice(2, 8);
let nextScope = 0;
const newScope = () => `x${run}-${++nextScope}/`;

const HEADER = ['key', 'title', 'summary', 'url', 'category', 'segments', 'stages', 'tags', 'priority', 'status', 'language'];

/**
 * A sheet as an editor keeps it in Excel: typed cells (priority a number), a link cell, rich text,
 * an empty row, a notes column the importer ignores, and one bad row.
 */
function catalogueRows(scope: string): unknown[][] {
  return [
    [...HEADER, 'заметки'],
    [`${scope}risk`, 'Правило 1%', 'Сколько рисковать в сделке', { text: 'https://school.example.com/risk', hyperlink: 'https://school.example.com/risk' }, 'article', 'cold; warm', 'goal', 'риск', 80, null, 'ru', 'проверить'],
    [`${scope}case`, { richText: [{ text: 'Кейс ' }, { font: { bold: true }, text: 'Дмитрия' }] }, 'Дмитрий торговал по сигналам.\nТеперь у него свой план.', null, 'case', 'warm,hot', 'proof', 'кейс', 90, 'ready', 'ru'],
    [],
    [`${scope}bad`, 'Плохой приоритет', null, null, 'faq', null, null, null, 1.5, null, 'ru'],
    [`${scope}faq`, 'FAQ: гарантии', '=не формула', null, 'faq', null, 'objections', null, { formula: '40+10', result: 50 }, 'draft', 'ru'],
  ];
}

const materials = (scope: string) => db('materials').whereRaw('starts_with(key, ?)', [scope]).orderBy('key').select('key', 'title', 'summary', 'url', 'segments', 'priority', 'status', 'version');

describe('materials import from .xlsx', () => {
  it('reads the first sheet with the same columns and validation as CSV, rows numbered as Excel shows them; dry run, then apply', async () => {
    const scope = newScope();
    const file = await xlsxWorkbook(catalogueRows(scope) as never, { secondSheet: [['key', 'title'], ['other/x', 'Со второго листа']] });

    const { rows, errors } = await readMaterialsFile('Catalogue.XLSX', file);
    expect(rows.map((row) => [row.key, row.title, row.priority, row.segments])).toEqual([
      [`${scope}risk`, 'Правило 1%', 80, ['cold', 'warm']],
      [`${scope}case`, 'Кейс Дмитрия', 90, ['hot', 'warm']],
      [`${scope}faq`, 'FAQ: гарантии', 50, []],
    ]);
    expect(rows[0].url).toBe('https://school.example.com/risk');
    expect(rows[2].summary).toBe('=не формула');
    // Row 4 is empty and skipped; the bad row keeps its Excel number, with no separate file line.
    expect(errors).toEqual([{ row: 5, key: `${scope}bad`, reason: 'bad priority "1.5": expected a whole number' }]);

    const preview = await syncMaterials(db, rows, { source: 'catalogue.xlsx', scope, errors, dryRun: true });
    expect(preview).toEqual({ added: [`${scope}risk`, `${scope}case`, `${scope}faq`], updated: [], archived: [], unchanged: 0, errors });
    expect(await materials(scope)).toEqual([]);

    expect(await syncMaterials(db, rows, { source: 'catalogue.xlsx', scope, errors })).toEqual(preview);
    expect((await materials(scope)).map((m) => [m.key, m.title, m.status, m.version])).toEqual([
      [`${scope}case`, 'Кейс Дмитрия', 'ready', 1],
      [`${scope}faq`, 'FAQ: гарантии', 'draft', 1],
      [`${scope}risk`, 'Правило 1%', 'ready', 1],
    ]);
    // Importing the same workbook again changes nothing.
    const again = await readMaterialsFile('catalogue.xlsx', file);
    expect((await syncMaterials(db, again.rows, { source: 'catalogue.xlsx', scope, errors: again.errors })).unchanged).toBe(3);
  });

  it('a broken workbook is refused with a clear reason and changes nothing', async () => {
    const scope = newScope();
    const good = await xlsxWorkbook(catalogueRows(scope) as never);
    const reasonOf = async (name: string, content: Buffer) => {
      try {
        await readMaterialsFile(name, content);
      } catch (error) {
        expect(error).toBeInstanceOf(MaterialsFileError);
        return (error as MaterialsFileError).reason;
      }
      throw new Error('the file was read');
    };
    expect(await reasonOf('m.xlsx', Buffer.from('key,title\nk,T\n'))).toBe('not an Excel workbook (.xlsx): the file is damaged or of another type');
    expect(await reasonOf('m.xlsx', good.subarray(0, Math.floor(good.length / 2)))).toBe('not an Excel workbook (.xlsx): the file is damaged or cut off');
    expect(await reasonOf('m.xlsx', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0]), Buffer.alloc(100)]))).toMatch(/old Excel 97-2003 \.xls file/);
    expect(await reasonOf('m.xlsx', await xlsxWorkbook([['name', 'title'], ['k', 'T']]))).toMatch(/^the header row must name the columns key, title, .*; missing: key$/);
    expect(await reasonOf('m.xlsx', await xlsxWorkbook([]))).toBe('the first sheet of the workbook is empty');
    // A "zip bomb": the directory says one part unpacks to 2 GB; refused before anything is unpacked.
    const bomb = Buffer.from(good);
    bomb.writeUInt32LE(0x7fffffff, bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 24);
    expect(await reasonOf('m.xlsx', bomb)).toMatch(/^the workbook unpacks to 204\d MB, more than 50 MB$/);
    expect(await materials(scope)).toEqual([]);
  });

  it(`refuses a sheet longer than ${MAX_SHEET_ROWS} rows`, async () => {
    const rows = [['key', 'title'], ...Array.from({ length: MAX_SHEET_ROWS }, (_, i) => [`k${i}`, 'T'])];
    await expect(readMaterialsFile('m.xlsx', await xlsxWorkbook(rows))).rejects.toMatchObject({ reason: `the sheet has ${MAX_SHEET_ROWS + 1} rows, more than ${MAX_SHEET_ROWS}` });
  });

  it('npm run materials:import -- file.xlsx imports from the command line', async () => {
    const scope = newScope();
    const file = join(mkdtempSync(join(tmpdir(), 'sheet-')), 'sheet.xlsx');
    writeFileSync(file, await xlsxWorkbook(catalogueRows(scope) as never));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'main.ts', 'materials', 'import', file, scope], {
      cwd: join(__dirname, '..', '..'),
      env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL },
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`added (3): ${scope}risk, ${scope}case, ${scope}faq`);
    expect(result.stdout).toContain(`row 5 (${scope}bad): bad priority "1.5": expected a whole number`);
    expect((await materials(scope)).map((m) => m.key)).toEqual([`${scope}case`, `${scope}faq`, `${scope}risk`]);
  });
});
