import { applyField, applyMedia, changedFields, emptyDraft, missingForPublish, productMedia, type FieldResult, type ProductDraft } from '../../../domain/staff/product-draft';
import type { Survey } from '../../../domain/survey';

const survey: Survey = {
  questionHeader: 'Вопрос {number}/{total}',
  segments: { coldMax: 5, warmMax: 10 },
  then: 'result',
  questions: [
    { id: 'q1', text: 'Опыт?', options: [{ code: 'trading', text: 'Торгую', points: 2 }, { code: 'no_experience', text: 'Нет', points: 0 }] },
    { id: 'q4', text: 'Бюджет?', options: [{ code: 'over_thousand', text: '> $1000', points: 3 }] },
  ],
};

const apply = (field: Parameters<typeof applyField>[1], input: string, draft: ProductDraft = emptyDraft()) => applyField(draft, field, input, survey);
const value = (result: FieldResult) => (result.ok ? result.draft : result.problem);
const problem = (result: FieldResult) => (result.ok ? null : result.problem);

describe('product draft: each answer', () => {
  it('price: above 0, whole cents, spaces and a decimal comma allowed', () => {
    expect(value(apply('price', '4 990,50'))).toMatchObject({ price: 4990.5 });
    expect(value(apply('price', '12.3'))).toMatchObject({ price: 12.3 });
    for (const bad of ['0', '0.00', '-5', '1.234', 'abc', '', '1e3', '99999999999']) expect(problem(apply('price', bad))).toMatch(/^Цена — число больше 0/);
  });

  it('currency: 3 to 5 letters, stored in capitals', () => {
    expect(value(apply('currency', 'usdt'))).toMatchObject({ currency: 'USDT' });
    expect(value(apply('currency', 'RUB'))).toMatchObject({ currency: 'RUB' });
    for (const bad of ['US', 'DOLLAR', 'руб', 'US1', '']) expect(problem(apply('currency', bad))).toMatch(/^Валюта — 3–5 латинских букв/);
  });

  it('payment links: https pages per payment type; "-" clears them', () => {
    expect(value(apply('links', 'full https://pay.example.com/a\ninstalment https://pay.example.com/b?x=1'))).toMatchObject({
      paymentLinks: { full: 'https://pay.example.com/a', instalment: 'https://pay.example.com/b?x=1' },
    });
    expect(problem(apply('links', 'full http://pay.example.com/a'))).toMatch(/не адрес https/);
    expect(problem(apply('links', 'full https://localhost'))).toMatch(/не адрес https/);
    expect(problem(apply('links', 'full javascript:alert(1)'))).toMatch(/не адрес https/);
    expect(problem(apply('links', 'monthly https://pay.example.com/a'))).toMatch(/^Строка 1: нужно «full <ссылка>»/);
    const withLinks = { ...emptyDraft(), paymentLinks: { full: 'https://pay.example.com/a' } };
    expect(value(apply('links', '-', withLinks))).toMatchObject({ paymentLinks: {} });
  });

  it('landing page: http or https; Stars: a whole number up to 100000; both cleared with "-"', () => {
    expect(value(apply('landing', 'http://school.example.com/x'))).toMatchObject({ landingUrl: 'http://school.example.com/x' });
    expect(problem(apply('landing', 'school.example.com'))).toMatch(/^Ссылка на лендинг/);
    expect(value(apply('stars', '1500'))).toMatchObject({ starsPrice: 1500 });
    expect((value(apply('stars', '-', { ...emptyDraft(), starsPrice: 5 })) as ProductDraft).starsPrice).toBeUndefined();
    for (const bad of ['0', '1.5', '100001', 'много']) expect(problem(apply('stars', bad))).toMatch(/^Цена в Stars/);
  });

  it('code, segments and levels', () => {
    expect(value(apply('code', 'Crypto_Pro'))).toMatchObject({ code: 'crypto_pro' });
    for (const bad of ['1crypto', 'crypto-pro', 'крипто', 'a'.repeat(65)]) expect(problem(apply('code', bad))).toMatch(/^Код —/);
    expect(value(apply('segments', 'hot, cold cold'))).toMatchObject({ targetSegments: ['cold', 'hot'] });
    expect(problem(apply('segments', 'warm tepid'))).toMatch(/непонятно: tepid/);
    expect(value(apply('levels', '2 0'))).toMatchObject({ budgetLevel: 2, urgencyLevel: 0 });
    expect(problem(apply('levels', '4 1'))).toMatch(/^Два числа от 0 до 3/);
  });

  it('criteria: survey questions and answers only, non-zero weights, no repeats, at least one positive', () => {
    expect(value(apply('criteria', 'q1 no_experience 3 Курс с нуля\nq4 over_thousand -1,5'))).toMatchObject({
      criteria: [
        { question: 'q1', answer: 'no_experience', weight: 3, reason: 'Курс с нуля' },
        { question: 'q4', answer: 'over_thousand', weight: -1.5 },
      ],
    });
    expect(problem(apply('criteria', 'q2 anything 1'))).toBe('Строка 1: в анкете нет вопроса «q2» (есть q1, q4).');
    expect(problem(apply('criteria', 'q1 trading 1\nq1 trader 1'))).toBe('Строка 2: у вопроса q1 нет ответа «trader» (есть trading, no_experience).');
    expect(problem(apply('criteria', 'q1 trading 0'))).toMatch(/^Строка 1: вес — число/);
    expect(problem(apply('criteria', 'q1 trading heavy'))).toMatch(/^Строка 1: вес — число/);
    expect(problem(apply('criteria', 'q1 trading 1\nq1 trading 2'))).toBe('Строка 2: критерий q1 trading уже был выше.');
    expect(problem(apply('criteria', 'q1 trading -1'))).toMatch(/^Нужен хотя бы один критерий с положительным весом/);
    expect(problem(apply('criteria', 'q1'))).toMatch(/^Строка 1: нужно «вопрос ответ вес \[причина\]»/);
  });

  it('value propositions: a line each, bullets dropped', () => {
    expect(value(apply('props', '• Первое\n\n- Второе'))).toMatchObject({ valuePropositions: ['Первое', 'Второе'] });
    expect(problem(apply('props', '  '))).toMatch(/^Нужна хотя бы одна ценность/);
  });

  it('media: a Telegram file of its kind, or removed', () => {
    const withPhoto = applyMedia(emptyDraft(), { kind: 'photo', fileId: 'AgAD1' });
    expect(withPhoto.mediaUrl).toBe('tg:photo:AgAD1');
    expect(productMedia(withPhoto.mediaUrl)).toEqual({ kind: 'photo', source: 'AgAD1' });
    expect(productMedia(applyMedia(emptyDraft(), { kind: 'document', fileId: 'BQAC1' }).mediaUrl)).toEqual({ kind: 'document', source: 'BQAC1' });
    expect(productMedia('https://school.example.com/cover.png')).toEqual({ kind: 'photo', source: 'https://school.example.com/cover.png' });
    expect(applyMedia(withPhoto, null)).not.toHaveProperty('mediaUrl');
  });
});

describe('product draft: publishing', () => {
  it('names every missing required field; a complete draft has none', () => {
    expect(missingForPublish(emptyDraft())).toEqual(['код', 'название', 'описание', 'цена', 'валюта', 'ценности', 'сегменты', 'критерии (хотя бы один с положительным весом)']);
    const complete: ProductDraft = {
      ...emptyDraft(),
      code: 'x',
      name: 'X',
      description: 'd',
      price: 1,
      currency: 'USD',
      valuePropositions: ['v'],
      targetSegments: ['cold'],
      criteria: [{ question: 'q1', answer: 'trading', weight: 1 }],
    };
    expect(missingForPublish(complete)).toEqual([]);
    expect(changedFields(complete, complete)).toEqual([]);
    expect(changedFields(complete, { ...complete, price: 2, budgetLevel: 3, active: false })).toEqual(['price', 'levels', 'active']);
    // Read back from jsonb, objects come with their keys in another order: still unchanged.
    const reordered = JSON.parse(JSON.stringify({ ...complete, criteria: [{ weight: 1, answer: 'trading', question: 'q1' }] })) as ProductDraft;
    expect(changedFields(complete, reordered)).toEqual([]);
    expect(changedFields(null, complete)).toEqual(expect.arrayContaining(['code', 'name', 'price', 'criteria']));
  });
});
