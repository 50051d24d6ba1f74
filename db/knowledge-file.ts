import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { requireDatabaseUrl, type Config } from '../config';
import { importKnowledge, readKnowledgeSheet, type KnowledgeImportReport } from './knowledge-import';
import { createDb } from './knex';
import { MaterialsFileError } from './materials-import';

/** `npm run knowledge:import -- sheet.csv` (or sheet.xlsx): the same import as the panel's, from the command line. */
export async function importKnowledgeFile(config: Config, file: string): Promise<KnowledgeImportReport> {
  const { rows, errors } = await readKnowledgeSheet(basename(file), readFileSync(file));
  if (rows.length === 0) throw new MaterialsFileError(basename(file), `no usable row (${errors.length} rejected)`);
  const db = createDb(requireDatabaseUrl(config));
  try {
    return await importKnowledge(db, rows, { source: 'csv', errors });
  } finally {
    await db.destroy();
  }
}

export function formatKnowledgeReport(report: KnowledgeImportReport): string {
  const list = (keys: string[]) => (keys.length ? keys.join(', ') : '—');
  return [
    `added (${report.added.length}): ${list(report.added)}`,
    `updated (${report.updated.length}): ${list(report.updated)}`,
    `unchanged: ${report.unchanged}`,
    ...report.errors.map((e) => `row ${e.row}${e.key ? ` (${e.key})` : ''}: ${e.reason}`),
  ].join('\n');
}
