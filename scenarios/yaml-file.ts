import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

/** One thing wrong in a file people edit, located as file:line:column. */
export interface ScenarioProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** A file that cannot be used; the message lists every problem, one per line. */
export class ScenarioError extends Error {
  constructor(readonly problems: readonly ScenarioProblem[]) {
    super(problems.map((p) => `${p.file}:${p.line}:${p.column}: ${p.message}`).join('\n'));
    this.name = 'ScenarioError';
  }
}

/** A rule broken inside a well-shaped file, at a path of keys the reader turns into a line. */
export interface Finding {
  path: (string | number)[];
  message: string;
}

/**
 * Reads a YAML file people edit: syntax, then the schema, then `finish` (further checks), every
 * problem reported at its line. Scenario, products and other files share it, so editors meet one
 * kind of message.
 */
export function readCheckedYaml<Parsed, Value>(
  path: string,
  schema: z.ZodType<Parsed, unknown>,
  finish: (parsed: Parsed) => { value: Value; findings: Finding[] },
): Value {
  const file = relative(process.cwd(), path) || path;
  const lineCounter = new LineCounter();
  const doc = parseDocument(readFileSync(path, 'utf8'), { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locate = (at: ReadonlyArray<PropertyKey>, message: string): ScenarioProblem => {
    const { line, col } = lineCounter.linePos(offsetOf(doc, at));
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
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) throw new ScenarioError(parsed.error.issues.map((issue) => locate(issue.path, issue.message)));
  const { value, findings } = finish(parsed.data);
  if (findings.length > 0) throw new ScenarioError(findings.map((f) => locate(f.path, f.message)));
  return value;
}

/** The start offset of the deepest node that exists along the path (a missing key points at its parent). */
function offsetOf(doc: Document, path: ReadonlyArray<PropertyKey>): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const keys = path.slice(0, depth).map((k) => (/^\d+$/.test(String(k)) ? Number(k) : k));
    const node = doc.getIn(keys, true) ?? doc.getIn(path.slice(0, depth).map(String), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return 0;
}
