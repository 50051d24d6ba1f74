import { chooseRoute, enterStep, offerButtons, reactTo, render, type ConversationView, type Effect } from '../../domain/conversation';
import type { InboundEvent } from '../../domain/inbound-event';
import { scoreSurvey } from '../../domain/survey';
import { defaultScenarioPath, loadScenarioFile } from '../../scenarios/loader';

const scenario = loadScenarioFile(defaultScenarioPath('ru'));
const from = { id: 7, firstName: 'Анна' };
const base = { updateId: 1, sentAt: '2026-11-29T10:00:00.000Z', from, chatId: 7 };
const command = (name: string, payload?: string): InboundEvent => ({ ...base, kind: 'command', command: name, payload, text: `/${name}`, messageId: 1 });
const button = (data: string): InboundEvent => ({ ...base, kind: 'button', data, callbackQueryId: 'q' });
const typed = (text: string): InboundEvent => ({ ...base, kind: 'text', text, messageId: 2 });

const atStart: ConversationView = {
  step: 'greeting',
  resetPending: false,
  firstName: 'Анна',
  segment: null,
  score: null,
  answers: {},
  surveyIndex: null,
  match: null,
  stage: 'opening',
  nowMs: Date.parse('2026-11-30T09:00:00Z'),
  timeZone: 'Europe/Moscow',
};

/** The messages the effects would send, rendered for `view`. */
function sends(effects: Effect[], view: ConversationView = atStart) {
  return effects.flatMap((e) => {
    if (e.kind === 'send') return [render(scenario, e.stepId, e.message, view)].filter((content) => content !== null);
    if (e.kind === 'sendContent') return [e.content];
    if (e.kind === 'say') return [{ type: 'text' as const, text: e.text }];
    return [];
  });
}
const textOf = (content: ReturnType<typeof sends>[number]) => (content.type === 'text' ? content.text : content.caption);
const dataOf = (content: ReturnType<typeof sends>[number]) => content.buttons?.flat().map((b) => ('data' in b ? b.data : b.url));

describe('the default scenario as a conversation', () => {
  it('/start greets by name with the bonus and request buttons', () => {
    const [greeting] = sends(reactTo(scenario, atStart, command('start', 'ads')));
    expect(textOf(greeting)).toContain('Анна');
    expect(dataOf(greeting)).toEqual(['greeting:bonus', 'greeting:request']);
  });

  it('the bonus button sends the document, then waits 3 seconds for the opening question', () => {
    const effects = reactTo(scenario, atStart, button('greeting:bonus'));
    expect(effects).toContainEqual({ kind: 'moveTo', stepId: 'bonus' });
    expect(effects).toContainEqual({ kind: 'recordEvent', type: 'bonus_taken', payload: { step: 'bonus' } });
    expect(sends(effects)).toEqual([expect.objectContaining({ type: 'document', document: 'default/media/bonus.pdf' })]);
    expect(effects.at(-1)).toEqual({ kind: 'waitThenEnter', seconds: 3, stepId: 'opening' });
    expect(dataOf(sends(enterStep(scenario, 'opening'))[0])).toHaveLength(2);
  });

  it('a button from an older step is out of date: says so and shows the current step again, without moving', () => {
    const atOpening = { ...atStart, step: 'opening' };
    const effects = reactTo(scenario, atOpening, button('greeting:bonus'));
    expect(effects.some((e) => e.kind === 'moveTo' || e.kind === 'waitThenEnter')).toBe(false);
    const [notice, again] = sends(effects, atOpening);
    expect(textOf(notice)).toBe(scenario.texts.staleButton);
    expect(dataOf(again)).toEqual(['opening:manage_money', 'opening:bonus_only']);
    expect(effects).toContainEqual(expect.objectContaining({ kind: 'recordEvent', type: 'stale_button' }));
  });

  it('unknown or malformed callback data is treated like an old button', () => {
    for (const data of ['', 'nonsense', 'greeting:', ':x', 'opening:does_not_exist', 'svy:q9.x', 'x'.repeat(64)]) {
      expect(textOf(sends(reactTo(scenario, atStart, button(data)))[0])).toBe(scenario.texts.staleButton);
    }
  });

  it('fallback and help buttons work whatever the current step', () => {
    const effects = reactTo(scenario, { ...atStart, step: 'strategies' }, button('fallback:manager'));
    expect(effects).toContainEqual({ kind: 'moveTo', stepId: 'manager' });
    expect(effects).toContainEqual({ kind: 'notifyManagers', reason: 'manager' });
    expect(reactTo(scenario, { ...atStart, step: 'opening' }, button('help:survey'))).toContainEqual({ kind: 'action', action: { kind: 'startSurvey' } });
  });

  it('free text without a known intent goes to the model turn, even 10,000 characters of it, without moving the lead', () => {
    const long = 'x'.repeat(10_000);
    expect(reactTo(scenario, { ...atStart, step: 'opening' }, typed(long))).toEqual([{ kind: 'llmTurn', text: long }]);
  });

  it("the model's next action picks buttons from the offers step; a plain answer gets none", () => {
    expect(offerButtons(scenario, 'offer_consult')?.flat().map((b) => 'data' in b && b.data)).toEqual(['offers:consult']);
    expect(offerButtons(scenario, 'offer_payment')?.flat().map((b) => 'data' in b && b.data)).toEqual(['offers:want', 'offers:consult']);
    expect(offerButtons(scenario, 'answer')).toBeUndefined();
    expect(reactTo(scenario, { ...atStart, step: 'opening' }, button('offers:want'))).toContainEqual({ kind: 'moveTo', stepId: 'want_programme' });
  });

  it('text intents: a request for a human, a purchase, the schedule, distrust', () => {
    const intentOf = (text: string) => reactTo(scenario, atStart, typed(text)).find((e) => e.kind === 'recordEvent')?.payload?.intent;
    expect(intentOf('Можно поговорить с живым МЕНЕДЖЕРОМ?')).toBe('manager');
    expect(intentOf('как оплатить курс')).toBe('purchase');
    expect(intentOf('А когда начинается обучение?')).toBe('schedule');
    expect(intentOf('это лохотрон?')).toBe('sceptic');
    expect(intentOf('просто привет')).toBeUndefined();
    expect(reactTo(scenario, atStart, typed('позовите оператора'))).toContainEqual({ kind: 'notifyManagers', reason: 'manager' });
  });

  it('/reset asks first; confirm and cancel only count while a reset is pending', () => {
    expect(reactTo(scenario, atStart, command('reset'))).toEqual([{ kind: 'askResetConfirmation' }]);
    const pending = { ...atStart, resetPending: true };
    expect(reactTo(scenario, pending, button('sys:reset_yes'))).toEqual([{ kind: 'resetConversation' }]);
    expect(reactTo(scenario, pending, button('sys:reset_no'))).toEqual([{ kind: 'cancelReset' }]);
    expect(reactTo(scenario, atStart, button('sys:reset_yes')).some((e) => e.kind === 'resetConversation')).toBe(false);
  });

  it('/help, /stop, /resume and /contact lead to their steps; an unknown command (even an admin one) is answered and recorded', () => {
    expect(sends(reactTo(scenario, atStart, command('help'))).length).toBe(1);
    expect(reactTo(scenario, atStart, command('stop'))).toContainEqual({ kind: 'action', action: { kind: 'optOut' } });
    expect(reactTo(scenario, atStart, command('resume'))).toContainEqual({ kind: 'action', action: { kind: 'optIn' } });
    expect(reactTo(scenario, atStart, command('contact'))).toContainEqual({ kind: 'moveTo', stepId: 'request' });
    const effects = reactTo(scenario, atStart, command('admin'));
    expect(effects[0]).toEqual({ kind: 'recordEvent', type: 'unknown_command', payload: { command: 'admin' } });
    expect(textOf(sends(effects)[0])).toBe(scenario.texts.unknownCommand);
  });

  it('a photo or sticker is acknowledged, not ignored', () => {
    const effects = reactTo(scenario, atStart, { ...base, kind: 'other', messageType: 'sticker', messageId: 3 });
    expect(textOf(sends(effects)[0])).toBe(scenario.texts.unsupportedMessage);
  });
});

describe('the survey', () => {
  const survey = scenario.survey!;

  /** Answers every question with the given codes, feeding each step's view forward like the workflow does. */
  function walk(codes: string[]) {
    let view: ConversationView = { ...atStart, step: 'survey', surveyIndex: 0 };
    const all: Effect[] = [];
    codes.forEach((code, index) => {
      const effects = reactTo(scenario, view, button(`svy:${survey.questions[index].id}.${code}`));
      all.push(...effects);
      for (const effect of effects) {
        if (effect.kind === 'surveyProgress') view = { ...view, surveyIndex: effect.index, answers: effect.answers };
        if (effect.kind === 'surveyCompleted') view = { ...view, segment: effect.outcome.segment, score: effect.outcome.score };
      }
    });
    return { view, effects: all };
  }

  it('asks 5 questions one at a time with "Question X/5" and tailored confirmations', () => {
    const [first] = sends(enterStep(scenario, 'survey').flatMap((e) => (e.kind === 'action' ? [] : [e])));
    expect(first).toBeUndefined(); // the survey step itself only starts the survey (an action)
    const { effects } = walk(['trading', 'passive_income']);
    const texts = sends(effects).map(textOf);
    expect(texts[0]).toBe(survey.questions[0].options[0].reply);
    expect(texts[1]).toMatch(/^Вопрос 2\/5\n\n/);
    expect(texts.at(-1)).toMatch(/^Вопрос 3\/5/);
  });

  it.each([
    [['no_experience', 'safety_net', 'one_month', 'under_10', 'not_ready'], 5, 'cold'],
    [['crypto_long', 'safety_net', 'one_month', 'under_10', 'not_ready'], 6, 'warm'],
    [['trading', 'passive_income', 'half_year', 'ten_to_hundred', 'ready_to_learn'], 9, 'warm'],
    [['trading', 'passive_income', 'three_months', 'ten_to_hundred', 'ready_to_learn'], 10, 'warm'],
    [['trading', 'passive_income', 'three_months', 'hundred_to_five_hundred', 'ready_to_learn'], 11, 'hot'],
    [['trading', 'passive_income', 'one_month', 'over_thousand', 'ready_to_learn'], 13, 'hot'],
  ])('answers %j score %i: %s', (codes, score, segment) => {
    const { view, effects } = walk(codes as string[]);
    expect(view).toMatchObject({ score, segment, surveyIndex: null });
    expect(effects).toContainEqual(expect.objectContaining({ kind: 'recordEvent', type: 'survey_completed' }));
    expect(effects).toContainEqual({ kind: 'moveTo', stepId: 'result' });
  });

  it('the maximum is 13 points', () => {
    expect(scoreSurvey(survey, {}).maxScore).toBe(13);
  });

  it('an answer to a question already answered is out of date, and the current question is asked again', () => {
    const view = { ...atStart, step: 'survey', surveyIndex: 2, answers: { q1: 'trading', q2: 'no_goal' } };
    const texts = sends(reactTo(scenario, view, button('svy:q1.no_experience'))).map(textOf);
    expect(texts[0]).toBe(scenario.texts.staleButton);
    expect(texts[1]).toMatch(/^Вопрос 3\/5/);
  });

  it('restarting the survey discards earlier answers', () => {
    const effects = reactTo(scenario, { ...atStart, step: 'readiness', answers: { q1: 'trading' } }, button('readiness:survey'));
    expect(effects).toContainEqual({ kind: 'action', action: { kind: 'startSurvey' } });
  });
});

describe('result and paths', () => {
  const scored = { ...atStart, segment: 'warm' as const, score: 8 };
  const match = { code: 'portfolio', name: 'Инвестиционный портфель', percent: 72, reasons: ['Вы держите крипту', 'Цель — подушка'], price: 690, currency: 'USD', landingUrl: 'https://school.example.com/portfolio' };

  it('routes to the product card when a product matched, else to the consultation offer', () => {
    expect(chooseRoute(scenario, 'result', { ...scored, match })).toBe('result_product');
    expect(chooseRoute(scenario, 'result', { ...scored, match: false })).toBe('result_consult');
  });

  it('the card shows segment, score/13, the product with match %, reasons, price, and a details link', () => {
    const [card] = sends(enterStep(scenario, 'result_product'), { ...scored, match });
    const text = textOf(card) ?? '';
    expect(text).toContain('есть базовые знания, 8/13');
    expect(text).toContain('«Инвестиционный портфель» — совпадение 72%');
    expect(text).toContain('• Вы держите крипту');
    expect(text).toMatch(/690\sUSD/);
    expect(dataOf(card)).toContain('https://school.example.com/portfolio');
  });

  it('paths by segment: cold, warm and hot each get their own step', () => {
    expect(chooseRoute(scenario, 'path', { ...atStart, segment: 'cold' })).toBe('path_cold');
    expect(chooseRoute(scenario, 'path', { ...atStart, segment: 'warm' })).toBe('path_warm');
    expect(chooseRoute(scenario, 'path', { ...atStart, segment: 'hot' })).toBe('path_hot');
    expect(chooseRoute(scenario, 'path', atStart)).toBe('path_cold');
    expect(enterStep(scenario, 'path_cold')).toContainEqual({ kind: 'action', action: { kind: 'sendMaterials', limit: 5 } });
    expect(enterStep(scenario, 'path_hot')).toContainEqual({ kind: 'action', action: { kind: 'answerSchedule' } });
  });
});
