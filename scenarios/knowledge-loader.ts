import { join } from 'node:path';
import type { Language } from '../domain/language';
import { SCENARIOS_DIR } from './loader';
import { knowledgeFileSchema, type KnowledgeRow } from './knowledge-schema';
import { readCheckedYaml, type Finding } from './yaml-file';

/** The shipped knowledge base of a language (docs/knowledge-base.md). */
export function defaultKnowledgePath(language: Language): string {
  return join(SCENARIOS_DIR, 'default', `knowledge.${language}.yaml`);
}

/** Reads and checks a knowledge file; problems are reported as file:line:column like scenario files'. */
export function loadKnowledgeFile(path: string): KnowledgeRow[] {
  return readCheckedYaml(path, knowledgeFileSchema, ({ entries }) => {
    const findings: Finding[] = [];
    const keys = new Set<string>();
    entries.forEach((entry, i) => {
      if (keys.has(entry.key)) findings.push({ path: ['entries', i, 'key'], message: `duplicate key "${entry.key}"` });
      keys.add(entry.key);
    });
    return { value: entries, findings };
  });
}
