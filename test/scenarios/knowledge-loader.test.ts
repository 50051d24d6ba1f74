import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultKnowledgePath, loadKnowledgeFile } from '../../scenarios/knowledge-loader';
import { ScenarioError } from '../../scenarios/loader';

const dir = mkdtempSync(join(tmpdir(), 'knowledge-'));

function problemsOf(source: string): string[] {
  const path = join(dir, `knowledge-${Math.random().toString(36).slice(2)}.ru.yaml`);
  writeFileSync(path, source);
  try {
    loadKnowledgeFile(path);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems.map((p) => `${p.line}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('knowledge seed files', () => {
  it('the shipped files load, the same keys in both languages', () => {
    const keys = (language: 'ru' | 'en') => loadKnowledgeFile(defaultKnowledgePath(language)).map((entry) => entry.key);
    expect(keys('ru').length).toBeGreaterThanOrEqual(10);
    expect(keys('en')).toEqual(keys('ru'));
  });

  it('reports problems at their line: a duplicate key, a missing answer, a bad link', () => {
    const source = [
      'entries:',
      '  - key: a',
      '    question: Вопрос?',
      '    answer: Ответ.',
      '  - key: a',
      '    question: Ещё?',
      '    answer: Да.',
      '  - key: b',
      '    question: Без ответа?',
      '  - key: c',
      '    question: Ссылка?',
      '    answer: Вот.',
      '    links: [ftp://example.com]',
    ].join('\n');
    expect(problemsOf(source)).toEqual([
      '8: entries.2.answer: answer is required',
      '13: entries.3.links.0: bad link "ftp://example.com": expected an http(s) link',
    ]);
    expect(problemsOf(source.split('\n').slice(0, 7).join('\n'))).toEqual(['5: entries.1.key: duplicate key "a"']);
  });
});
