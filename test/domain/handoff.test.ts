import { conversationSummary, dialogSummary, honestWait, leadCardText, parseClose, type LeadCardFacts } from '../../domain/handoff';

const card = (overrides: Partial<LeadCardFacts> = {}): LeadCardFacts => ({
  who: 'Анна @anna_k',
  phone: '+79161234567',
  email: 'anna@example.com',
  segment: 'hot',
  score: 11,
  stage: 'offer',
  trigger: 'purchase_intent',
  priority: 100,
  summary: 'Хочет курс по Python, спрашивала про рассрочку.',
  lastMessages: [],
  product: 'Python с нуля',
  ...overrides,
});

const lines = (text: string) => text.split('\n');

describe('lead card text', () => {
  it('shows who, contacts, segment with score, stage, priority with the trigger, product and summary', () => {
    expect(lines(leadCardText(card()))).toEqual([
      'Анна @anna_k: 🔔 хочет купить',
      'Приоритет: 100 · хочет купить',
      'Телефон: +79161234567 · E-mail: anna@example.com',
      'Сегмент: hot, 11/13 · Этап: offer',
      'Рекомендуем: Python с нуля',
      '',
      'Кратко: Хочет курс по Python, спрашивала про рассрочку.',
    ]);
  });

  it('shows a dash for what is unknown and "не пройден" without a segment', () => {
    const text = leadCardText(card({ phone: null, email: null, segment: null, score: null, stage: null, product: null, summary: '', trigger: 'manager_requested', priority: 70 }));
    expect(lines(text)).toEqual([
      'Анна @anna_k: 🔔 просит менеджера',
      'Приоритет: 70 · просит менеджера',
      'Телефон: — · E-mail: —',
      'Сегмент: не пройден · Этап: —',
      'Рекомендуем: —',
      '',
      'Кратко: —',
    ]);
    expect(text).not.toContain('Последние сообщения');
  });

  it('a segment without a score shows no score', () => {
    expect(leadCardText(card({ segment: 'warm', score: null }))).toContain('Сегмент: warm · Этап: offer');
  });

  it.each([
    ['manager_requested', 'просит менеджера'],
    ['purchase_intent', 'хочет купить'],
    ['payment_started', 'начал оплату'],
    ['discount_request', 'просит скидку'],
    ['contact_form', 'оставил заявку'],
    ['model_escalation', 'бот передал менеджеру'],
  ] as const)('names the trigger %s as «%s»', (trigger, name) => {
    const text = leadCardText(card({ trigger, priority: 85 }));
    expect(lines(text)[0]).toBe(`Анна @anna_k: 🔔 ${name}`);
    expect(lines(text)[1]).toBe(`Приоритет: 85 · ${name}`);
  });

  it('lists the last messages with an icon per speaker, each on one line and clipped to 200 characters', () => {
    const long = `${'очень '.repeat(60)}длинно`;
    const text = leadCardText(
      card({
        lastMessages: [
          { direction: 'in', text: 'Сколько стоит?\nИ есть ли рассрочка?' },
          { direction: 'out', text: '49 000 ₽, рассрочка есть.' },
          { direction: 'manager', text: 'Здравствуйте, я Олег.' },
          { direction: 'in', text: long },
        ],
      }),
    );
    const tail = lines(text).slice(7);
    expect(tail.slice(0, 5)).toEqual(['', 'Последние сообщения:', '👤 Сколько стоит? И есть ли рассрочка?', '🤖 49 000 ₽, рассрочка есть.', '🧑‍💼 Здравствуйте, я Олег.']);
    const clipped = tail[5];
    expect(clipped.startsWith('👤 очень очень')).toBe(true);
    expect(clipped.endsWith('…')).toBe(true);
    expect(clipped.length).toBe('👤 '.length + 200);
    expect(tail).toHaveLength(6);
  });

  it('a headline replaces the trigger in the first line only', () => {
    const text = leadCardText(card({ headline: '⏰ 15 минут никто не взял' }));
    expect(lines(text)[0]).toBe('Анна @anna_k: ⏰ 15 минут никто не взял');
    expect(lines(text)[1]).toBe('Приоритет: 100 · хочет купить');
  });
});

describe('conversation summary', () => {
  it("keeps the profile and the lead's own words, newest last", () => {
    expect(conversationSummary({ segment: 'warm', score: 7, leadTexts: ['Привет', 'Хочу выучить Python'] })).toBe('Сегмент warm (7/13). Лид писал: «Привет» «Хочу выучить Python»');
  });

  it('skips button presses, commands and empty texts', () => {
    const summary = conversationSummary({ segment: null, score: null, leadTexts: ['/start promo', '[button] survey:1', '', 'А скидка будет?', '/stop'] });
    expect(summary).toBe('Лид писал: «А скидка будет?»');
  });

  it('says the lead used only buttons when nothing was typed', () => {
    expect(conversationSummary({ segment: 'hot', score: null, leadTexts: ['[button] a', '/start', '[button] b'] })).toBe('Сегмент hot (?/13). Лид общался кнопками.');
    expect(conversationSummary({ segment: null, score: null, leadTexts: [] })).toBe('Лид общался кнопками.');
  });

  it('stays within 400 characters with many very long texts, each clipped to 120', () => {
    const texts = Array.from({ length: 40 }, (_, i) => `Сообщение ${i}: ${'бла '.repeat(500)}`);
    const summary = conversationSummary({ segment: 'cold', score: 2, leadTexts: texts });
    expect(summary.length).toBeLessThanOrEqual(400);
    expect(summary.length).toBeGreaterThan(350);
    expect(summary.endsWith('…')).toBe(true);
    expect(summary.startsWith('Сегмент cold (2/13). Лид писал: «Сообщение 0: бла')).toBe(true);
    const firstQuote = /«([^»]*)»/.exec(summary)?.[1] ?? '';
    expect(firstQuote.length).toBe(120);
    expect(firstQuote.endsWith('…')).toBe(true);
  });

  it('flattens line breaks into one line', () => {
    expect(conversationSummary({ segment: null, score: null, leadTexts: ['раз\n\nдва   три'] })).toBe('Лид писал: «раз два три»');
  });
});

describe('dialog summary', () => {
  it('a silent close without a manager says so, with zero counts', () => {
    expect(dialogSummary({ manager: null, outcome: 'timeout', reason: null, leadTexts: [], managerTexts: [] })).toBe(
      'Диалог закрыт после 24 ч тишины. Менеджер не подключился. Сообщений: лид 0, менеджер 0.',
    );
  });

  it('a manager close gives the outcome, the reason, the counts and the last words of each side', () => {
    const summary = dialogSummary({
      manager: 'Олег',
      outcome: 'paid',
      reason: 'оплатил полный курс',
      leadTexts: ['Здравствуйте', 'Оплатил, спасибо!'],
      managerTexts: ['Ссылка на оплату: ...'],
    });
    expect(summary).toBe('Итог: paid (оплатил полный курс). Менеджер Олег. Сообщений: лид 2, менеджер 1. Последнее — лид: «Оплатил, спасибо!»; менеджер: «Ссылка на оплату: ...».');
  });

  it('an outcome without a reason has no parentheses; only the side that spoke is quoted', () => {
    expect(dialogSummary({ manager: 'Олег', outcome: 'done', reason: null, leadTexts: ['Спасибо'], managerTexts: [] })).toBe(
      'Итог: done. Менеджер Олег. Сообщений: лид 1, менеджер 0. Последнее — лид: «Спасибо».',
    );
  });

  it('a timeout after a manager joined still uses the silence wording', () => {
    const summary = dialogSummary({ manager: 'Олег', outcome: 'timeout', reason: 'ignored', leadTexts: ['a'], managerTexts: ['b'] });
    expect(summary.startsWith('Диалог закрыт после 24 ч тишины. Менеджер Олег. Сообщений: лид 1, менеджер 1.')).toBe(true);
    expect(summary).not.toContain('ignored');
  });

  it('stays within 400 characters however long the texts and the reason', () => {
    const summary = dialogSummary({
      manager: 'Олег '.repeat(30),
      outcome: 'cancelled',
      reason: 'передумал '.repeat(40),
      leadTexts: Array.from({ length: 300 }, () => 'длинное сообщение '.repeat(50)),
      managerTexts: Array.from({ length: 300 }, () => 'ответ '.repeat(100)),
    });
    expect(summary.length).toBeLessThanOrEqual(400);
    expect(summary.startsWith('Итог: cancelled (передумал')).toBe(true);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('keeps the counts when the texts are long but the summary fits', () => {
    const summary = dialogSummary({ manager: 'Олег', outcome: 'done', reason: 'ok!', leadTexts: ['x'.repeat(500), 'y'.repeat(500)], managerTexts: ['z'.repeat(500)] });
    expect(summary.length).toBeLessThanOrEqual(400);
    expect(summary).toContain('Сообщений: лид 2, менеджер 1.');
    expect(summary).toContain(`лид: «${'y'.repeat(99)}…»`);
    expect(summary).toContain(`менеджер: «${'z'.repeat(99)}…»`);
  });
});

describe('honest wait (Europe/Moscow, UTC+3)', () => {
  const moscow = 'Europe/Moscow';
  const at = (iso: string) => Date.parse(iso);
  const queueRu = 'Все менеджеры сейчас заняты, простите за ожидание. Вы в очереди: менеджер напишет здесь в течение часа.';
  const tomorrowRu = 'Менеджеры работают с 10:00 до 19:00 по Москве. Менеджер напишет здесь завтра после 10:00. А пока я могу ответить на ваши вопросы.';
  const todayRu = 'Менеджеры работают с 10:00 до 19:00 по Москве. Менеджер напишет здесь сегодня после 10:00. А пока я могу ответить на ваши вопросы.';

  it.each([
    ['2026-12-02T09:00:00Z', '12:00', queueRu],
    ['2026-12-02T07:00:00Z', '10:00 exactly', queueRu],
    ['2026-12-02T15:59:00Z', '18:59', queueRu],
    ['2026-12-02T16:00:00Z', '19:00 exactly', tomorrowRu],
    ['2026-12-02T18:00:00Z', '21:00', tomorrowRu],
    ['2026-12-02T04:00:00Z', '07:00', todayRu],
    // 01:30 in Moscow is still the 1st in UTC: "today" must be Moscow's day.
    ['2026-12-01T22:30:00Z', '01:30 (next Moscow day)', todayRu],
  ])('at %s (%s Moscow)', (iso, _local, expected) => {
    expect(honestWait(at(iso), moscow, 'ru')).toBe(expected);
  });

  it('speaks English when the lead does', () => {
    expect(honestWait(at('2026-12-02T09:00:00Z'), moscow, 'en')).toBe(
      'All our managers are busy right now, sorry for the wait. You are in the queue: a manager will write here within the next hour.',
    );
    expect(honestWait(at('2026-12-02T18:00:00Z'), moscow, 'en')).toBe(
      'Our managers work from 10:00 to 19:00 Moscow time. A manager will write here tomorrow after 10:00. Meanwhile I can answer your questions.',
    );
    expect(honestWait(at('2026-12-02T04:00:00Z'), moscow, 'en')).toBe(
      'Our managers work from 10:00 to 19:00 Moscow time. A manager will write here today after 10:00. Meanwhile I can answer your questions.',
    );
  });
});

describe('/close arguments', () => {
  it.each([
    ['done обсудили, лид подумает', { outcome: 'done', reason: 'обсудили, лид подумает' }],
    ['paid оплатил курс Python', { outcome: 'paid', reason: 'оплатил курс Python' }],
    ['cancelled дорого', { outcome: 'cancelled', reason: 'дорого' }],
    ['PAID оплатил', { outcome: 'paid', reason: 'оплатил' }],
    ['  Done   много   пробелов  ', { outcome: 'done', reason: 'много пробелов' }],
    ['done abc', { outcome: 'done', reason: 'abc' }],
  ])('%j → accepted', (args, expected) => {
    expect(parseClose(args)).toEqual(expected);
  });

  it.each([
    ['won отлично', 'итог должен быть одним из: done, paid, cancelled'],
    ['', 'итог должен быть одним из: done, paid, cancelled'],
    ['оплатил paid', 'итог должен быть одним из: done, paid, cancelled'],
    ['paid', 'укажите причину (хотя бы 3 символа)'],
    ['done ок', 'укажите причину (хотя бы 3 символа)'],
    ['cancelled    ', 'укажите причину (хотя бы 3 символа)'],
  ])('%j → refused', (args, error) => {
    expect(parseClose(args)).toEqual({ error });
  });

  it('clips a long reason to 300 characters', () => {
    const parsed = parseClose(`done ${'причина '.repeat(100)}`);
    expect('reason' in parsed && parsed.reason.length).toBe(300);
    expect('reason' in parsed && parsed.reason.endsWith('…')).toBe(true);
    expect('reason' in parsed && parsed.reason.startsWith('причина причина')).toBe(true);
  });
});
