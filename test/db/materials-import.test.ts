import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../db/knex';
import { listReadyMaterials, MaterialNotFoundError, setMaterialStatus } from '../../db/materials';
import {
  DuplicateMaterialKeyError,
  EmptyMaterialsImportError,
  MaterialKeyOutsideScopeError,
  MaterialsFileError,
  parseMaterialsFile,
  syncMaterials,
  type MaterialRow,
} from '../../db/materials-import';
import iconv from 'iconv-lite';
import { selectMaterials } from '../../domain/materials';
import { testDb } from '../support/db';

let db: Db;

beforeAll(() => {
  db = testDb();
});

afterAll(async () => {
  await db?.destroy();
});

// Materials are global, so each test owns the keys under its own prefix and syncs with it as scope.
const run = Math.random().toString(36).slice(2, 8);
let nextScope = 0;
function newScope(): string {
  nextScope += 1;
  return `t${run}-${nextScope}/`;
}

const HEADER = 'key,title,summary,url,category,segments,stages,tags,priority,status,language';

/** A three-row catalogue under the prefix, with the quoting a spreadsheet export produces. */
function catalogueCsv(scope: string, changes: { riskSummary?: string; without?: string } = {}): string {
  const lines = [
    HEADER,
    `${scope}risk,Правило 1%,"${changes.riskSummary ?? 'Сколько рисковать в сделке, и где ставить стоп'}",https://school.example.com/ru/articles/risk,article,cold;warm,goal;diagnostics,риск,80,,ru`,
    `${scope}case,Кейс Дмитрия,"Дмитрий: ""Я торговал по сигналам.""` + '\n' + `Теперь у него свой план.",https://school.example.com/ru/cases/dmitry,case,"warm,hot",proof,кейс,90,ready,ru`,
    `${scope}faq,FAQ: гарантии,"Нет, доход никто не гарантирует.",,faq,,objections,,50,draft,ru`,
  ];
  return lines.filter((line) => !changes.without || !line.startsWith(`${scope}${changes.without},`)).join('\r\n') + '\r\n';
}

async function importCsv(scope: string, content: string) {
  const { rows, errors } = parseMaterialsFile('materials.csv', content);
  return syncMaterials(db, rows, { source: 'materials.csv', scope, errors });
}

async function stored(scope: string) {
  return db('materials').whereRaw('starts_with(key, ?)', [scope]).orderBy('key').select('*', db.raw('xmin::text as xmin'));
}

describe('parseMaterialsFile', () => {
  it('reads RFC 4180 CSV: commas, doubled quotes and a newline inside quoted fields, CRLF, a byte-order mark', () => {
    const { rows, errors } = parseMaterialsFile('Materials.CSV', '\uFEFF' + catalogueCsv('p/'));

    expect(errors).toEqual([]);
    expect(rows).toEqual([
      {
        key: 'p/risk',
        title: 'Правило 1%',
        summary: 'Сколько рисковать в сделке, и где ставить стоп',
        url: 'https://school.example.com/ru/articles/risk',
        category: 'article',
        segments: ['cold', 'warm'],
        stages: ['diagnostics', 'goal'],
        tags: ['риск'],
        priority: 80,
        status: 'ready',
        language: 'ru',
      },
      {
        key: 'p/case',
        title: 'Кейс Дмитрия',
        summary: 'Дмитрий: "Я торговал по сигналам."\nТеперь у него свой план.',
        url: 'https://school.example.com/ru/cases/dmitry',
        category: 'case',
        segments: ['hot', 'warm'],
        stages: ['proof'],
        tags: ['кейс'],
        priority: 90,
        status: 'ready',
        language: 'ru',
      },
      {
        key: 'p/faq',
        title: 'FAQ: гарантии',
        summary: 'Нет, доход никто не гарантирует.',
        category: 'faq',
        segments: [],
        stages: ['objections'],
        tags: [],
        priority: 50,
        status: 'draft',
        language: 'ru',
      },
    ]);
  });

  it('reads JSON: an array of objects, lists as arrays or as text, columns it does not know ignored', () => {
    const content = JSON.stringify([
      { key: 'j/one', title: 'One', category: 'review', segments: ['Hot'], stages: 'proof; closing', priority: 5, language: 'en', notes: 'x' },
      { key: 'j/two', title: 'Two', summary: '  spaced  ', priority: '-3' },
    ]);

    const { rows, errors } = parseMaterialsFile('materials.json', content);

    expect(errors).toEqual([]);
    expect(rows).toEqual([
      { key: 'j/one', title: 'One', summary: '', category: 'review', segments: ['hot'], stages: ['closing', 'proof'], tags: [], priority: 5, status: 'ready', language: 'en' },
      { key: 'j/two', title: 'Two', summary: 'spaced', category: 'other', segments: [], stages: [], tags: [], priority: -3, status: 'ready', language: 'ru' },
    ]);
  });

  it('reports each bad row with its row number and reason, and keeps the good rows', () => {
    const content = [
      HEADER,
      'ok-1,Good one,,,article,,,,1,,ru',
      ',No key,,,article,,,,1,,ru',
      'no-title,,,,article,,,,1,,ru',
      'bad-category,Blog post,"multi',
      'line summary",,blog,,,,1,,ru',
      'bad-priority,Title,,,faq,,,,high,,ru',
      'ok-1,Same key again,,,faq,,,,1,,ru',
      ',,,,,,,,,,',
      'bad-segment,Title,,,faq,"warm,lukewarm",,,1,,ru',
      'too-many,Title, with, two commas,,faq,,,,1,,ru',
      'ok-2,Good two,,,case,,,,2,,en',
    ].join('\n');

    const { rows, errors } = parseMaterialsFile('materials.csv', content);

    expect(rows.map((row) => row.key)).toEqual(['ok-1', 'ok-2']);
    expect(errors).toEqual([
      { row: 3, line: 3, reason: 'key is required' },
      { row: 4, line: 4, key: 'no-title', reason: 'title is required' },
      { row: 5, line: 5, key: 'bad-category', reason: 'unknown category "blog"; expected article, case, review, faq, bonus, other' },
      { row: 6, line: 7, key: 'bad-priority', reason: 'bad priority "high": expected a whole number' },
      { row: 7, line: 8, key: 'ok-1', reason: 'duplicate key "ok-1" (first used in row 2)' },
      { row: 9, line: 10, key: 'bad-segment', reason: 'unknown segment "lukewarm"; expected cold, warm, hot' },
      { row: 10, line: 11, key: 'too-many', reason: 'the row has 12 fields, the header 11 (a comma in an unquoted field?)' },
    ]);

    const json = parseMaterialsFile('m.json', JSON.stringify([{ key: 'a', title: 'A' }, 'oops', { key: 'b', title: 'B', priority: 1.5 }]));
    expect(json.rows.map((row) => row.key)).toEqual(['a']);
    expect(json.errors).toEqual([
      { row: 2, reason: 'expected an object with the material fields' },
      { row: 3, key: 'b', reason: 'bad priority "1.5": expected a whole number' },
    ]);
  });

  it('reads what Russian Excel writes: ";" separators, UTF-8 with or without a BOM, Windows-1251 bytes', () => {
    const semicolons = [
      'key;title;summary;url;category;segments;stages;tags;priority;status;language',
      'x/risk;Правило 1%;"Сколько рисковать; и где ставить стоп";https://school.example.com/ru/articles/risk;article;cold,warm;goal;риск;80;;ru',
      'x/faq;FAQ: гарантии;"Доход ""никто"" не гарантирует";;faq;;objections;;50;draft;ru',
    ].join('\r\n');
    const expected = parseMaterialsFile('m.csv', semicolons);
    expect(expected.errors).toEqual([]);
    expect(expected.rows.map((r) => [r.key, r.title, r.summary, r.segments])).toEqual([
      ['x/risk', 'Правило 1%', 'Сколько рисковать; и где ставить стоп', ['cold', 'warm']],
      ['x/faq', 'FAQ: гарантии', 'Доход "никто" не гарантирует', []],
    ]);
    const windows1251 = iconv.encode(semicolons, 'win1251');
    expect(windows1251.toString('utf8')).not.toContain('Правило'); // really not UTF-8
    expect(parseMaterialsFile('m.csv', windows1251)).toEqual(expected);
    expect(parseMaterialsFile('m.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(semicolons, 'utf8')]))).toEqual(expected);
    expect(parseMaterialsFile('m.csv', Buffer.from(semicolons, 'utf8'))).toEqual(expected);
  });

  it('refuses a file it cannot read as a whole: unclosed quote, missing columns, bad JSON, unknown type', () => {
    const fileError = (name: string, content: string) => {
      try {
        parseMaterialsFile(name, content);
      } catch (error) {
        return error;
      }
      return undefined;
    };

    expect(fileError('m.csv', `${HEADER}\nk,"never closed,,,article,,,,1,,ru\n`)).toMatchObject({
      name: 'MaterialsFileError',
      file: 'm.csv',
      line: 2,
      reason: 'a quoted field is never closed',
    });
    expect(fileError('m.csv', `${HEADER}\nk,"closed"late,,,article,,,,1,,ru\n`)).toBeInstanceOf(MaterialsFileError);
    expect(fileError('m.csv', 'name,title\nk,T\n')).toMatchObject({ line: 1, reason: expect.stringContaining('missing: key') });
    expect(fileError('m.json', '[{"key": "a",]')).toMatchObject({ reason: expect.stringContaining('not valid JSON') });
    expect(fileError('m.json', '{"key": "a"}')).toMatchObject({ reason: 'expected a JSON array of materials' });
    expect(fileError('m.txt', '')).toMatchObject({ reason: 'unsupported file type: expected .csv, .xlsx or .json' });
  });

  it('parses the shipped scenarios/default/materials.csv without errors', () => {
    const path = join(__dirname, '..', '..', 'scenarios', 'default', 'materials.csv');
    const { rows, errors } = parseMaterialsFile('materials.csv', readFileSync(path, 'utf8'));

    expect(errors).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(rows.length).toBeLessThanOrEqual(12);
    expect(new Set(rows.map((row) => row.language))).toEqual(new Set(['ru', 'en']));
    expect(rows.filter((row) => row.category === 'bonus')).toHaveLength(1);
    const stages = ['opening', 'frame', 'goal', 'diagnostics', 'gap', 'solution', 'proof', 'objections', 'scarcity', 'closing'];
    for (const row of rows) {
      expect(row.stages.every((stage) => stages.includes(stage))).toBe(true);
      expect(row.url).toMatch(/^https:\/\/school\.example\.com\//);
    }
  });
});

describe('syncMaterials', () => {
  it('first import adds every row at version 1, status from the row (ready when blank)', async () => {
    const scope = newScope();

    const report = await importCsv(scope, catalogueCsv(scope));

    expect(report).toEqual({ added: [`${scope}risk`, `${scope}case`, `${scope}faq`], updated: [], archived: [], unchanged: 0, errors: [] });
    const rows = await stored(scope);
    expect(rows.map((r) => [r.key, r.version, r.status, r.segments, r.stages])).toEqual([
      [`${scope}case`, 1, 'ready', ['hot', 'warm'], ['proof']],
      [`${scope}faq`, 1, 'draft', [], ['objections']],
      [`${scope}risk`, 1, 'ready', ['cold', 'warm'], ['diagnostics', 'goal']],
    ]);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
  });

  it('a second identical import reports nothing changed and writes nothing', async () => {
    const scope = newScope();
    await importCsv(scope, catalogueCsv(scope));
    const before = await stored(scope);

    const report = await importCsv(scope, catalogueCsv(scope));

    expect(report).toEqual({ added: [], updated: [], archived: [], unchanged: 3, errors: [] });
    const after = await stored(scope);
    expect(after.map((r) => [r.key, r.xmin, r.updated_at, r.version])).toEqual(before.map((r) => [r.key, r.xmin, r.updated_at, r.version]));
    expect(await db('material_versions').whereIn('material_id', after.map((r) => r.id))).toEqual([]);
  });

  it('a changed row becomes version 2 and the previous version is kept in material_versions', async () => {
    const scope = newScope();
    await importCsv(scope, catalogueCsv(scope));
    const [original] = (await stored(scope)).filter((r) => r.key === `${scope}risk`);

    const report = await importCsv(scope, catalogueCsv(scope, { riskSummary: 'Новый текст, с примерами' }));

    expect(report).toMatchObject({ added: [], updated: [`${scope}risk`], archived: [], unchanged: 2 });
    const risk = await db('materials').where({ key: `${scope}risk` }).first();
    expect(risk).toMatchObject({ version: 2, summary: 'Новый текст, с примерами' });
    expect(risk.checksum).not.toBe(original.checksum);
    expect(risk.updated_at.getTime()).toBeGreaterThanOrEqual(original.updated_at.getTime());
    const versions = await db('material_versions').where({ material_id: risk.id });
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: 1, snapshot: expect.objectContaining({ version: 1, summary: original.summary, checksum: original.checksum }) });
  });

  it('a row removed from the file is archived once; when it comes back it is restored as a new version', async () => {
    const scope = newScope();
    await importCsv(scope, catalogueCsv(scope));

    const removed = await importCsv(scope, catalogueCsv(scope, { without: 'case' }));
    const again = await importCsv(scope, catalogueCsv(scope, { without: 'case' }));

    expect(removed).toMatchObject({ added: [], updated: [], archived: [`${scope}case`], unchanged: 2 });
    expect(again).toMatchObject({ added: [], updated: [], archived: [], unchanged: 2 });
    expect(await db('materials').where({ key: `${scope}case` }).first()).toMatchObject({ status: 'archived', version: 1 });

    const back = await importCsv(scope, catalogueCsv(scope));
    expect(back).toMatchObject({ added: [], updated: [`${scope}case`], archived: [] });
    expect(await db('materials').where({ key: `${scope}case` }).first()).toMatchObject({ status: 'ready', version: 2 });
  });

  it('archives only within its scope', async () => {
    const scope = newScope();
    const neighbour = newScope();
    await importCsv(neighbour, catalogueCsv(neighbour));
    await importCsv(scope, catalogueCsv(scope));

    const report = await importCsv(scope, catalogueCsv(scope, { without: 'risk' }));

    expect(report.archived).toEqual([`${scope}risk`]);
    expect((await stored(neighbour)).map((r) => r.status)).toEqual(['ready', 'draft', 'ready']);
  });

  it('imports the good rows of a file with bad ones, reports the bad ones, and does not archive a material whose row is bad', async () => {
    const scope = newScope();
    await importCsv(scope, catalogueCsv(scope));
    const withTypo = catalogueCsv(scope).replace(`,80,,ru`, `,eighty,,ru`) + `${scope}new,Новая статья,,,article,,,,10,,ru\r\n`;

    const report = await importCsv(scope, withTypo);

    expect(report).toEqual({
      added: [`${scope}new`],
      updated: [],
      archived: [],
      unchanged: 2,
      errors: [{ row: 2, line: 2, key: `${scope}risk`, reason: 'bad priority "eighty": expected a whole number' }],
    });
    expect(await db('materials').where({ key: `${scope}risk` }).first()).toMatchObject({ status: 'ready', priority: 80 });
  });

  it('logs every report in material_imports', async () => {
    const scope = newScope();
    await importCsv(scope, catalogueCsv(scope));
    await importCsv(scope, catalogueCsv(scope, { without: 'faq' }).replace(',80,', ',bad,'));

    const log = await db('material_imports').where({ scope }).orderBy('id');

    expect(log.map((l) => [l.source, l.added, l.updated, l.archived, l.unchanged])).toEqual([
      ['materials.csv', 3, 0, 0, 0],
      ['materials.csv', 0, 0, 1, 1],
    ]);
    expect(log[0]).toMatchObject({ changes: { added: [`${scope}risk`, `${scope}case`, `${scope}faq`], updated: [], archived: [] }, errors: [] });
    expect(log[1]).toMatchObject({
      changes: { added: [], updated: [], archived: [`${scope}faq`] },
      errors: [{ row: 2, line: 2, key: `${scope}risk`, reason: 'bad priority "bad": expected a whole number' }],
    });
  });

  it('keeps an editor’s status change when the sheet has not changed, and follows the sheet once it does', async () => {
    const scope = newScope();
    await importCsv(scope, catalogueCsv(scope));
    await setMaterialStatus(db, `${scope}risk`, 'archived');

    await importCsv(scope, catalogueCsv(scope));
    expect(await db('materials').where({ key: `${scope}risk` }).first()).toMatchObject({ status: 'archived', version: 1 });

    await importCsv(scope, catalogueCsv(scope, { riskSummary: 'Переписали' }));
    expect(await db('materials').where({ key: `${scope}risk` }).first()).toMatchObject({ status: 'ready', version: 2 });
  });

  it('refuses rows outside its scope, two rows with one key, and an import with no rows, writing nothing', async () => {
    const scope = newScope();
    const row: MaterialRow = {
      key: `${scope}a`,
      title: 'A',
      summary: '',
      category: 'other',
      segments: [],
      stages: [],
      tags: [],
      priority: 0,
      status: 'ready',
      language: 'ru',
    };

    await expect(syncMaterials(db, [row, { ...row, key: 'elsewhere' }], { source: 's', scope })).rejects.toBeInstanceOf(MaterialKeyOutsideScopeError);
    await expect(syncMaterials(db, [row, row], { source: 's', scope })).rejects.toBeInstanceOf(DuplicateMaterialKeyError);
    await expect(syncMaterials(db, [], { source: 's', scope, errors: [{ row: 2, reason: 'x' }] })).rejects.toBeInstanceOf(EmptyMaterialsImportError);
    expect(await stored(scope)).toEqual([]);
    expect(await db('material_imports').where({ scope })).toEqual([]);
  });
});

describe('materials repository', () => {
  it('lists ready materials of a language as plain Materials that selectMaterials can pick from', async () => {
    const scope = newScope();
    const shipped = parseMaterialsFile('materials.csv', readFileSync(join(__dirname, '..', '..', 'scenarios', 'default', 'materials.csv'), 'utf8'));
    await syncMaterials(
      db,
      shipped.rows.map((row) => ({ ...row, key: `${scope}${row.key}` })),
      { source: 'scenarios/default/materials.csv', scope },
    );

    const ours = (await listReadyMaterials(db, 'ru')).filter((m) => m.key.startsWith(scope));

    expect(ours.length).toBe(shipped.rows.filter((r) => r.language === 'ru' && r.status === 'ready').length);
    expect(ours[0]).toEqual({
      id: expect.any(Number),
      key: expect.stringMatching(new RegExp(`^${scope}`)),
      title: expect.any(String),
      summary: expect.any(String),
      url: expect.stringMatching(/^https:\/\//),
      category: expect.any(String),
      segments: expect.any(Array),
      stages: expect.any(Array),
      tags: expect.any(Array),
      priority: expect.any(Number),
      status: 'ready',
      language: 'ru',
      version: 1,
      updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const forColdOpening = selectMaterials(ours, { segment: 'cold', stage: 'opening', language: 'ru' });
    expect(forColdOpening[0].category).toBe('bonus');
  });

  it('setMaterialStatus changes the status only, and names a key it does not know', async () => {
    const scope = newScope();
    await importCsv(scope, catalogueCsv(scope));

    const published = await setMaterialStatus(db, `${scope}faq`, 'ready');

    expect(published).toMatchObject({ key: `${scope}faq`, status: 'ready', version: 1 });
    await expect(setMaterialStatus(db, `${scope}missing`, 'archived')).rejects.toMatchObject({
      name: 'MaterialNotFoundError',
      key: `${scope}missing`,
    });
    await expect(setMaterialStatus(db, `${scope}missing`, 'archived')).rejects.toBeInstanceOf(MaterialNotFoundError);
  });
});

describe('npm run materials:import', () => {
  it('imports a sheet from the command line and prints the report', () => {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const { mkdtempSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
    const { join } = require('node:path') as typeof import('node:path');
    const { tmpdir } = require('node:os') as typeof import('node:os');
    const { TEST_DATABASE_URL } = require('../support/paths') as typeof import('../support/paths');
    const prefix = `cli${Date.now()}`;
    const file = join(mkdtempSync(join(tmpdir(), 'sheet-')), 'sheet.csv');
    writeFileSync(file, `key,title,summary,category\n${prefix}-a,Первый,Кратко,article\n${prefix}-b,"Второй, с запятой",Кратко,nonsense\n`);
    const run = () =>
      spawnSync(process.execPath, ['--import', 'tsx', 'main.ts', 'materials', 'import', file, prefix], {
        cwd: join(__dirname, '..', '..'),
        env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL },
        encoding: 'utf8',
      });
    const first = run();
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`added (1): ${prefix}-a`);
    expect(first.stdout).toMatch(/row 3 \(cli\d+-b\): .*category/);
    expect(run().stdout).toContain('added (0): —');
  });
});
