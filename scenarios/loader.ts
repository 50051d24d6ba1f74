import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { CALLBACK_DATA_LIMIT, callbackDataBytes, encodeButton } from '../domain/callback-data';
import type { Scenario } from '../domain/scenario';
import { TELEGRAM_TEXT_LIMIT } from '../domain/split-text';
import { scenarioFileSchema } from './schema';

export const SCENARIOS_DIR = resolve(__dirname);
const CAPTION_LIMIT = 1024;

/** One thing wrong in a scenario file, located as file:line:column. */
export interface ScenarioProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** A scenario file that cannot be used; the message lists every problem, one per line. */
export class ScenarioError extends Error {
  constructor(readonly problems: readonly ScenarioProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
    this.name = 'ScenarioError';
  }
}

/** The default scenario's file for a language. */
export function defaultScenarioPath(language: 'ru' | 'en'): string {
  return join(SCENARIOS_DIR, 'default', `scenario.${language}.yaml`);
}

/** Where a document named in a scenario snapshot lives on this machine. */
export function scenarioFilePath(document: string): string {
  return resolve(SCENARIOS_DIR, document);
}

/**
 * Reads, validates and checks a scenario file. Document paths are written relative to the file
 * and kept relative to the scenarios folder, so a snapshot means the same on every worker.
 */
export function loadScenarioFile(path: string): Scenario {
  const file = relative(process.cwd(), path) || path;
  const source = readFileSync(path, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locate = (at: ReadonlyArray<PropertyKey>, message: string): ScenarioProblem => {
    const offset = offsetOf(doc, at);
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, message: at.length ? `${at.join('.')}: ${message}` : message };
  };
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      doc.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return { file, line, column: col, message: error.message.split('\n')[0] };
      }),
    );
  }
  const parsed = scenarioFileSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new ScenarioError(parsed.error.issues.map((issue) => locate(issue.path, issue.message)));
  }
  const scenario = resolveDocuments(parsed.data, dirname(path));
  const problems = checkScenario(scenario).map((p) => locate(p.path, p.message));
  if (problems.length > 0) throw new ScenarioError(problems);
  return scenario;
}

interface Finding {
  path: (string | number)[];
  message: string;
}

/** Rules a valid shape can still break: dangling targets, Telegram's limits, missing files. */
export function checkScenario(scenario: Scenario): Finding[] {
  const findings: Finding[] = [];
  const known = (stepId: string) => stepId in scenario.steps;
  if (!known(scenario.start)) findings.push({ path: ['start'], message: `unknown step "${scenario.start}"` });
  if (!known(scenario.fallback)) findings.push({ path: ['fallback'], message: `unknown step "${scenario.fallback}"` });
  for (const [stepId, step] of Object.entries(scenario.steps)) {
    if (step.then && !known(step.then.goto)) {
      findings.push({ path: ['steps', stepId, 'then', 'goto'], message: `unknown step "${step.then.goto}"` });
    }
    step.messages.forEach((message, m) => {
      const at = ['steps', stepId, 'messages', m];
      if ('text' in message && message.text.length > TELEGRAM_TEXT_LIMIT) {
        findings.push({ path: [...at, 'text'], message: `text is ${message.text.length} characters; Telegram allows ${TELEGRAM_TEXT_LIMIT}` });
      }
      if ('document' in message) {
        if (message.caption && message.caption.length > CAPTION_LIMIT) {
          findings.push({ path: [...at, 'caption'], message: `caption is ${message.caption.length} characters; Telegram allows ${CAPTION_LIMIT}` });
        }
        if (!isUrl(message.document) && !existsSync(scenarioFilePath(message.document))) findings.push({ path: [...at, 'document'], message: `file not found: ${message.document}` });
      }
      (message.buttons ?? []).forEach((row, r) =>
        row.forEach((button, b) => {
          const buttonPath = [...at, 'buttons', r, b];
          if ('goto' in button && !known(button.goto)) {
            findings.push({ path: [...buttonPath, 'goto'], message: `unknown step "${button.goto}"` });
          }
          const bytes = callbackDataBytes(encodeButton(stepId, button.id));
          if (bytes > CALLBACK_DATA_LIMIT) {
            findings.push({ path: [...buttonPath, 'id'], message: `callback data is ${bytes} bytes; Telegram allows ${CALLBACK_DATA_LIMIT}` });
          }
        }),
      );
    });
  }
  return findings;
}

function isUrl(document: string): boolean {
  return /^https?:\/\//.test(document);
}

function resolveDocuments(scenario: Scenario, baseDir: string): Scenario {
  const steps = Object.fromEntries(
    Object.entries(scenario.steps).map(([stepId, step]) => [
      stepId,
      {
        ...step,
        messages: step.messages.map((message) =>
          'document' in message && !isUrl(message.document)
            ? { ...message, document: relative(SCENARIOS_DIR, resolve(baseDir, message.document)) }
            : message,
        ),
      },
    ]),
  );
  return { ...scenario, steps };
}

/** The start offset of the deepest node that exists along the path (a missing key points at its parent). */
function offsetOf(doc: Document, path: ReadonlyArray<PropertyKey>): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth).map(String), true);
    if (isNode(node) && node.range) return node.range[0];
    // yaml keys sequences by number, not string
    const numeric = doc.getIn(path.slice(0, depth).map((k) => (/^\d+$/.test(String(k)) ? Number(k) : k)), true);
    if (isNode(numeric) && numeric.range) return numeric.range[0];
  }
  return 0;
}
