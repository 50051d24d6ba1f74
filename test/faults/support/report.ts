import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
/**
 * Each test file appends its rows here (jest gives every file its own module registry); a full run
 * and a scaled-down one keep separate files, so one running beside the other never mixes the tables.
 */
export const ROWS_FILE = join(ROOT, '.tools', 'faults', process.env.FAULTS_SCALE === 'full' ? 'rows.jsonl' : 'rows-ci.jsonl');
/** The table of the latest run, git-ignored; docs/testing.md quotes the latest full run. */
export const REPORT_FILE = join(ROOT, 'faults-report.md');

export interface ScenarioRow {
  scenario: string;
  done: string;
  expected: string;
  got: string;
  lost: number;
  duplicated: number;
  seconds: number;
  /** Empty when the scenario met its target; otherwise the figures that fell short. */
  shortfalls: string[];
}

export function clearRows(): void {
  rmSync(ROWS_FILE, { force: true });
  mkdirSync(join(ROWS_FILE, '..'), { recursive: true });
}

/** Records a scenario's row, then fails the test with the figures that fell short, if any. */
export function reportScenario(row: ScenarioRow): void {
  mkdirSync(join(ROWS_FILE, '..'), { recursive: true });
  appendFileSync(ROWS_FILE, `${JSON.stringify(row)}\n`);
  if (row.shortfalls.length > 0) {
    throw new Error(`${row.scenario} fell short:\n- ${row.shortfalls.join('\n- ')}\n(done: ${row.done}; expected: ${row.expected}; got: ${row.got})`);
  }
}

export function readRows(): ScenarioRow[] {
  if (!existsSync(ROWS_FILE)) return [];
  return readFileSync(ROWS_FILE, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as ScenarioRow);
}

const cell = (value: string | number) => String(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderTable(rows: ScenarioRow[], scale: string): string {
  const lines = [
    `Fault-injection suite, ${scale} scale, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    '| scenario | what was done | expected | got | lost | duplicated | time | result |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${[r.scenario, r.done, r.expected, r.got, r.lost, r.duplicated, `${r.seconds.toFixed(0)} s`, r.shortfalls.length ? `FAILED: ${r.shortfalls.join('; ')}` : 'ok'].map(cell).join(' | ')} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

export function writeReport(scale: string): string {
  const table = renderTable(readRows(), scale);
  writeFileSync(REPORT_FILE, table);
  return table;
}
