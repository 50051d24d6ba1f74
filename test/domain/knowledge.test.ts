import { confidentMatch, knowledgeAnswerButtons, knowledgeAnswerText, scoreKnowledgeMatch, usedEntryIds, type KnowledgeEntry } from '../../domain/knowledge';
import { knowledgeFormText, parseKnowledgeForm } from '../../domain/staff/knowledge-form';
import { defaultScenarioPath, loadScenarioFile } from '../../scenarios/loader';

const entry: KnowledgeEntry = {
  id: 7,
  key: 'refunds',
  language: 'ru',
  question: 'Можно ли вернуть деньги?',
  variants: ['возврат', 'верните деньги'],
  answer: 'Да, в течение 14 дней.\nБез объяснения причин.',
  tags: ['возврат'],
  links: ['https://school.example.com/offer'],
  active: true,
};

describe('the editor form of an entry', () => {
  it('reads back what it writes', () => {
    const parsed = parseKnowledgeForm(knowledgeFormText(entry));
    expect(parsed).toEqual({ ok: true, draft: { key: 'refunds', language: 'ru', question: entry.question, variants: entry.variants, answer: entry.answer, tags: entry.tags, links: entry.links, active: true } });
  });

  it('takes English labels, "-" lists and a multi-line answer; a line with an unknown label stays in its field', () => {
    const parsed = parseKnowledgeForm('Question: Refund?\nVariants:\n- money back\n- refund\nAnswer: Yes.\nNote: within 14 days.\nActive: no');
    expect(parsed).toEqual({ ok: true, draft: { question: 'Refund?', variants: ['money back', 'refund'], answer: 'Yes.\nNote: within 14 days.', tags: [], links: [], active: false } });
  });

  it.each([
    ['Ответ: без вопроса', 'Нет вопроса: добавьте строку «Вопрос: …».'],
    ['просто текст', 'Сообщение должно начинаться с поля, например «Вопрос: …».'],
    ['Вопрос: а?\nОтвет: б\nСсылки: javascript:alert(1)', '«javascript:alert(1)» — не ссылка http(s).'],
    ['Вопрос: а?\nВопрос: б?\nОтвет: в', 'Поле «Вопрос» встречается дважды.'],
    ['Ключ: с пробелом\nВопрос: а?\nОтвет: б', 'Ключ: латинские буквы, цифры и _ . : / - (до 200 символов).'],
    ['Язык: de\nВопрос: а?\nОтвет: б', 'Язык: ru или en.'],
    [`Вопрос: а?\nОтвет: ${'x'.repeat(3001)}`, 'Ответ длиннее 3000 символов.'],
  ])('refuses %j', (text, problem) => {
    expect(parseKnowledgeForm(text)).toEqual({ ok: false, problem });
  });
});

describe('scoring a match', () => {
  it('the larger signal counts; a one-word text counts half; words only in the answer make it relevant, never sure', () => {
    expect(scoreKnowledgeMatch({ phraseScore: 0.8, words: 3, questionHits: 1, answerHits: 0 })).toEqual({ score: 0.8, relevance: 0.8 });
    expect(scoreKnowledgeMatch({ phraseScore: 0.1, words: 2, questionHits: 2, answerHits: 0 })).toEqual({ score: 1, relevance: 1 });
    expect(scoreKnowledgeMatch({ phraseScore: 0, words: 1, questionHits: 1, answerHits: 1 })).toEqual({ score: 0.5, relevance: 0.5 });
    expect(scoreKnowledgeMatch({ phraseScore: 0, words: 2, questionHits: 0, answerHits: 2 })).toEqual({ score: 0, relevance: 0.5 });
    expect(scoreKnowledgeMatch({ phraseScore: 0, words: 0, questionHits: 0, answerHits: 0 })).toEqual({ score: 0, relevance: 0 });
  });

  it('only a match at 0.6 or above answers by itself, the surest first', () => {
    const other = { ...entry, id: 8 };
    expect(confidentMatch([{ entry, score: 0.59 }])).toBeUndefined();
    expect(confidentMatch([{ entry, score: 0.7 }, { entry: other, score: 0.9 }])?.entry.id).toBe(8);
    expect(confidentMatch([])).toBeUndefined();
  });
});

describe('what the lead and the model see', () => {
  it('the answer carries its links', () => {
    expect(knowledgeAnswerText(entry)).toBe('Да, в течение 14 дней.\nБез объяснения причин.\n\n🔗 https://school.example.com/offer');
    expect(knowledgeAnswerText({ answer: ' Да. ', links: [] })).toBe('Да.');
  });

  it('the ids the model names count only when they were offered', () => {
    expect(usedEntryIds([7, '8', '#9', 7, 42], [7, 8, 9])).toEqual([7, 8, 9]);
    expect(usedEntryIds([], [7])).toEqual([]);
  });

  it('an answer from the base has the fallback step\'s buttons', () => {
    const ru = loadScenarioFile(defaultScenarioPath('ru'));
    expect(knowledgeAnswerButtons(ru)?.flat().map((b) => ('data' in b ? b.data : b.url))).toEqual(['fallback:materials', 'fallback:consult', 'fallback:manager']);
  });
});
