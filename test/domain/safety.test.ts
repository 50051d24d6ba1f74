import { checkSafety, RISK_DISCLAIMER } from '../../domain/safety';

const languages = ['ru', 'en'] as const;

describe('rewrites to honest phrasing, Russian and English caught whatever the lead language', () => {
  it.each([
    // guaranteed profit
    ['Гарантированный доход от 5% в месяц', 'guaranteed_profit', 'Возможный доход (не гарантирован) от 5% в месяц'],
    ['Получите гарантированную прибыль уже через месяц', 'guaranteed_profit', 'Получите возможный доход (не гарантирован) уже через месяц'],
    ['Мы гарантируем доход каждому ученику', 'guaranteed_profit', 'Возможный доход (не гарантирован) каждому ученику'],
    ['ГАРАНТИРОВАННЫЙ ЗАРАБОТОК на крипте', 'guaranteed_profit', 'Возможный доход (не гарантирован) на крипте'],
    ['С нами доход гарантирован', 'guaranteed_profit', 'С нами возможный доход (не гарантирован)'],
    ['Guaranteed profit every month', 'guaranteed_profit', 'Possible income (not guaranteed) every month'],
    ['We guarantee returns of 20% a year', 'guaranteed_profit', 'Possible income (not guaranteed) of 20% a year'],
    ['a guaranteed income from day one', 'guaranteed_profit', 'a possible income (not guaranteed) from day one'],
    ['Profits are guaranteed.', 'guaranteed_profit', 'Possible income (not guaranteed).'],
    ['Получите 100% прибыль за месяц', 'guaranteed_profit', 'Получите возможный доход (не гарантирован) за месяц'],
    ['100% profit in a month', 'guaranteed_profit', 'Possible income (not guaranteed) in a month'],
    // 100% result
    ['100% результат за 3 месяца', 'guaranteed_result', 'Результат зависит от рынка и ваших решений за 3 месяца'],
    ['Стопроцентный результат!', 'guaranteed_result', 'Результат зависит от рынка и ваших решений!'],
    ['Вас ждёт 100%-ный результат', 'guaranteed_result', 'Вас ждёт результат зависит от рынка и ваших решений'],
    ['100% result, no excuses', 'guaranteed_result', 'Results depend on the market and your decisions, no excuses'],
    ['Guaranteed results in 30 days', 'guaranteed_result', 'Results depend on the market and your decisions in 30 days'],
    ['We guarantee 100% success', 'guaranteed_result', 'Results depend on the market and your decisions'],
    ['Мы гарантируем 100% результат', 'guaranteed_result', 'Результат зависит от рынка и ваших решений'],
    ['Гарантированный успех каждому', 'guaranteed_result', 'Результат зависит от рынка и ваших решений каждому'],
    // risk-free
    ['Это абсолютно без риска', 'risk_free', 'Это абсолютно с контролем риска'],
    ['Безрисковая стратегия для новичков', 'risk_free', 'Стратегия с контролем риска для новичков'],
    ['Торгуем безрисково', 'risk_free', 'Торгуем с контролем риска'],
    ['A risk-free strategy', 'risk_free', 'A strategy with managed risk'],
    ['It is totally Risk Free.', 'risk_free', 'It is totally with managed risk.'],
    ['You can start without any risk', 'risk_free', 'You can start with managed risk'],
    // fake urgency
    ['Скидка только сегодня!', 'fake_urgency', 'Скидка когда будете готовы!'],
    ['Это ваш последний шанс записаться', 'fake_urgency', 'Когда будете готовы записаться'],
    ['Успейте занять место', 'fake_urgency', 'Когда будете готовы занять место'],
    ['Only today: 20% off', 'fake_urgency', 'Whenever you are ready: 20% off'],
    ['This is your last chance to join', 'fake_urgency', 'Whenever you are ready to join'],
    ['Hurry up, seats are limited', 'fake_urgency', 'Whenever you are ready, seats are limited'],
  ])('%s → %s', (input, rule, expected) => {
    for (const language of languages) {
      const result = checkSafety(input, language);
      expect(result.text.split('\n\n')[0]).toBe(expected);
      expect(result.rewrites).toEqual([{ rule, from: expect.any(String), to: expect.any(String) }]);
      const [{ from, to }] = result.rewrites;
      expect(input).toContain(from);
      expect(expected).toContain(to);
      expect(result.blocked).toBe(false);
    }
  });

  it('ё counts as е; rewrites are listed rule by rule, in reading order within a rule', () => {
    const result = checkSafety('Безрисковый вход, гарантированный доход, последний шанс — спешите!', 'ru');
    expect(result.rewrites.map((r) => r.rule)).toEqual(['guaranteed_profit', 'risk_free', 'fake_urgency', 'fake_urgency']);
    expect(result.text).toBe(`Вход с контролем риска, возможный доход (не гарантирован), когда будете готовы — когда будете готовы!\n\n${RISK_DISCLAIMER.ru}`);
    expect(checkSafety('Сделаем результат на 100% — твёрдо обещаем', 'ru').rewrites).toEqual([
      { rule: 'guaranteed_result', from: 'результат на 100%', to: 'результат зависит от рынка и ваших решений' },
    ]);
  });

  it.each([
    ['Мы не гарантируем доход: рынок непредсказуем'],
    ['Нет гарантированной прибыли ни у кого'],
    ['We do not guarantee profit'],
    ['There are no risk-free investments'],
    ['No hurry, take your time'],
    ['Не спешите, подумайте'],
    ['If you are in a hurry, read the summary'],
    ['Without risk management you will lose'],
    ['Это не последний шанс, потоки идут каждый месяц'],
  ])('honest or negated phrasing stays as it is: %s', (input) => {
    expect(checkSafety(input, 'ru').rewrites).toEqual([]);
    expect(checkSafety(input, 'en').rewrites).toEqual([]);
  });

  it('a replacement opens a sentence or a list item with a capital and stays lower case inside one', () => {
    expect(checkSafety('Что вы получите:\n• гарантированный доход\n- без риска. Только сегодня, «последний шанс»', 'ru').text.split('\n\n')[0]).toBe(
      'Что вы получите:\n• Возможный доход (не гарантирован)\n- С контролем риска. Когда будете готовы, «когда будете готовы»',
    );
  });

  it('a rewritten text passes a second check untouched: replacements are not themselves forbidden', () => {
    const once = checkSafety('Guaranteed profit, risk-free, 100% result, only today! Гарантированный доход без риска, только сегодня.', 'en');
    expect(once.rewrites).toHaveLength(7);
    const twice = checkSafety(once.text, 'en');
    expect(twice).toMatchObject({ text: once.text, rewrites: [], disclaimerAdded: false });
  });
});

describe('dangerous advice blocks the reply, the text unchanged', () => {
  it.each([
    ['Продайте квартиру и вложитесь в курс', 'sell_property'],
    ['Можно продать машину ради депозита', 'sell_property'],
    ['Sell your flat and start trading', 'sell_property'],
    ['You could sell the house', 'sell_property'],
    ['Возьмите кредит на обучение', 'take_loan'],
    ['возьмите займ', 'take_loan'],
    ['Возьмите заём до зарплаты', 'take_loan'],
    ['Take a loan, it pays off', 'take_loan'],
    ['just take out a credit', 'take_loan'],
    ['Вложите все сбережения в биткоин', 'invest_all_savings'],
    ['Вкладывайте все свои накопления', 'invest_all_savings'],
    ['Invest all your savings now', 'invest_all_savings'],
    ['put all of your savings into it', 'invest_all_savings'],
  ])('%s → %s', (input, reason) => {
    for (const language of languages) {
      expect(checkSafety(input, language)).toEqual({ text: input, blocked: true, blockReasons: [reason], rewrites: [], flags: [], disclaimerAdded: false });
    }
  });

  it('every reason is given; a blocked text gets no rewrites and no disclaimer, since it must not go out', () => {
    const result = checkSafety('Возьмите кредит, продайте квартиру и получите гарантированный доход', 'ru');
    expect(result.blockReasons).toEqual(['sell_property', 'take_loan']);
    expect(result).toMatchObject({ blocked: true, rewrites: [], disclaimerAdded: false });
  });

  it.each([
    ['Никогда не берите кредит ради трейдинга'],
    ['Не советуем вам брать кредит'],
    ['Не продавайте квартиру ради крипты'],
    ["Don't take a loan to trade"],
    ['We never recommend that you invest all your savings'],
  ])('advice against it is fine: %s', (input) => {
    expect(checkSafety(input, 'ru').blocked).toBe(false);
  });
});

describe('hype is flagged, not changed', () => {
  it.each([
    ['Bitcoin is going to the moon', 'hype:to_the_moon'],
    ['This coin can do x100', 'hype:multiplier'],
    ['Ловим иксы на альтах', 'hype:multiplier'],
    ['Эта монета — ракета', 'hype:rocket'],
    ['A way to get rich quick', 'hype:get_rich_quick'],
    ['Лёгкие деньги для всех', 'hype:easy_money'],
    ['ЛЕГКИЕ ДЕНЬГИ', 'hype:easy_money'],
  ])('%s → %s', (input, flag) => {
    for (const language of languages) {
      expect(checkSafety(input, language)).toEqual({ text: input, blocked: false, blockReasons: [], rewrites: [], flags: [flag], disclaimerAdded: false });
    }
  });

  it('each kind once', () => {
    expect(checkSafety('Ракета! Ракета! x10 и x100', 'ru').flags).toEqual(['hype:multiplier', 'hype:rocket']);
  });
});

describe('the risk disclaimer', () => {
  it.each([
    ['Средняя доходность стратегии — 12% годовых', 'ru'],
    ['Ученики зарабатывают на свинг-трейдинге', 'ru'],
    ['Прибыль зависит от дисциплины', 'ru'],
    ['You can earn from swing trading', 'en'],
    ['Typical returns vary', 'en'],
    ['Считаем прибыль', 'en'],
  ] as const)('is appended once after a blank line when the text talks about income: %s', (input, language) => {
    const once = checkSafety(input, language);
    expect(once).toMatchObject({ text: `${input}\n\n${RISK_DISCLAIMER[language]}`, disclaimerAdded: true });
    expect(checkSafety(once.text, language)).toMatchObject({ text: once.text, disclaimerAdded: false });
    expect(checkSafety(once.text, language === 'ru' ? 'en' : 'ru')).toMatchObject({ text: once.text, disclaimerAdded: false });
  });

  it.each([
    ['Курс начинается в понедельник'],
    ['Объясню доходчиво, как устроен рынок'],
    ['I will teach you to learn the basics'],
    ['Помните: инвестиции связаны с риском, а прибыль — с дисциплиной'],
    ['Income is not guaranteed, but skills stay with you'],
  ])('is not added without talk of income, or when the text already has one: %s', (input) => {
    expect(checkSafety(input, 'ru')).toMatchObject({ text: input, disclaimerAdded: false });
  });

  it('trailing whitespace does not leave a gap wider than one blank line', () => {
    expect(checkSafety('Доход бывает разный.\n\n', 'ru').text).toBe(`Доход бывает разный.\n\n${RISK_DISCLAIMER.ru}`);
  });
});
