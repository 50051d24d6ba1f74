import { enterStep, reactTo, type Effect } from '../../domain/conversation';
import type { InboundEvent } from '../../domain/inbound-event';
import { defaultScenarioPath, loadScenarioFile } from '../../scenarios/loader';

const scenario = loadScenarioFile(defaultScenarioPath('ru'));
const from = { id: 7, firstName: 'Анна' };
const base = { updateId: 1, sentAt: '2026-11-29T10:00:00.000Z', from, chatId: 7 };
const command = (name: string, payload?: string): InboundEvent => ({ ...base, kind: 'command', command: name, payload, text: `/${name}`, messageId: 1 });
const button = (data: string): InboundEvent => ({ ...base, kind: 'button', data, callbackQueryId: 'q' });
const sends = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { kind: 'send' }> => e.kind === 'send').map((e) => e.content);

describe('the default scenario as a conversation', () => {
  const atStart = { step: 'greeting', resetPending: false, firstName: 'Анна' };

  it('/start greets by name with the bonus and request buttons', () => {
    const [greeting] = sends(reactTo(scenario, atStart, command('start', 'ads')));
    expect(greeting).toMatchObject({ type: 'text' });
    expect(greeting.type === 'text' && greeting.text).toContain('Анна');
    expect(greeting.buttons?.flat().map((b) => ('data' in b ? b.data : b.url))).toEqual(['greeting:bonus', 'greeting:request']);
  });

  it('the bonus button sends the document, then waits 3 seconds for the opening question', () => {
    const effects = reactTo(scenario, atStart, button('greeting:bonus'));
    expect(effects).toContainEqual({ kind: 'moveTo', stepId: 'bonus' });
    expect(effects).toContainEqual({ kind: 'recordEvent', type: 'bonus_taken', payload: { step: 'bonus' } });
    expect(sends(effects)).toEqual([expect.objectContaining({ type: 'document', document: 'default/media/bonus.pdf' })]);
    expect(effects.at(-1)).toEqual({ kind: 'waitThenEnter', seconds: 3, stepId: 'opening' });
    const opening = sends(enterStep(scenario, 'opening', atStart));
    expect(opening[0].buttons?.flat()).toHaveLength(2);
  });

  it('a button from an older step is out of date: says so and shows the current step again, without moving', () => {
    const atOpening = { ...atStart, step: 'opening' };
    const effects = reactTo(scenario, atOpening, button('greeting:bonus'));
    expect(effects.some((e) => e.kind === 'moveTo' || e.kind === 'waitThenEnter')).toBe(false);
    const [notice, again] = sends(effects);
    expect(notice.type === 'text' && notice.text).toBe(scenario.texts.staleButton);
    expect(again.buttons?.flat().map((b) => 'data' in b && b.data)).toEqual(['opening:manage_money', 'opening:bonus_only']);
    expect(effects).toContainEqual(expect.objectContaining({ kind: 'recordEvent', type: 'stale_button' }));
  });

  it('unknown or malformed callback data is treated like an old button', () => {
    for (const data of ['', 'nonsense', 'greeting:', ':x', 'opening:does_not_exist', 'x'.repeat(64)]) {
      const [notice] = sends(reactTo(scenario, atStart, button(data)));
      expect(notice.type === 'text' && notice.text).toBe(scenario.texts.staleButton);
    }
  });

  it('fallback buttons work whatever the current step', () => {
    const effects = reactTo(scenario, { ...atStart, step: 'strategies' }, button('fallback:manager'));
    expect(effects).toContainEqual({ kind: 'moveTo', stepId: 'manager' });
    expect(effects).toContainEqual({ kind: 'notifyManagers', reason: 'manager' });
  });

  it('free text gets the templated answer without moving the lead', () => {
    const effects = reactTo(scenario, { ...atStart, step: 'opening' }, { ...base, kind: 'text', text: 'x'.repeat(10_000), messageId: 2 });
    expect(effects.some((e) => e.kind === 'moveTo')).toBe(false);
    expect(sends(effects)[0].buttons?.flat().length).toBeGreaterThan(0);
  });

  it('/reset asks first; confirm and cancel only count while a reset is pending', () => {
    expect(reactTo(scenario, atStart, command('reset'))).toEqual([{ kind: 'askResetConfirmation' }]);
    const pending = { ...atStart, resetPending: true };
    expect(reactTo(scenario, pending, button('sys:reset_yes'))).toEqual([{ kind: 'resetConversation' }]);
    expect(reactTo(scenario, pending, button('sys:reset_no'))).toEqual([{ kind: 'cancelReset' }]);
    const late = reactTo(scenario, atStart, button('sys:reset_yes'));
    expect(late.some((e) => e.kind === 'resetConversation')).toBe(false);
  });

  it('an unknown command (even an admin one from a lead) is answered and recorded', () => {
    const effects = reactTo(scenario, atStart, command('admin'));
    expect(effects[0]).toEqual({ kind: 'recordEvent', type: 'unknown_command', payload: { command: 'admin' } });
    expect(sends(effects)[0]).toMatchObject({ text: scenario.texts.unknownCommand });
  });

  it('a photo or sticker is acknowledged, not ignored', () => {
    const effects = reactTo(scenario, atStart, { ...base, kind: 'other', messageType: 'sticker', messageId: 3 });
    expect(sends(effects)[0]).toMatchObject({ text: scenario.texts.unsupportedMessage });
  });
});
