import { parseTypedDateTime } from '../../../domain/booking/booking';
import {
  BOOKING_SCOPE,
  IDLE,
  onBookingButton,
  onBookingContact,
  onBookingText,
  reminderMessage,
  startBooking,
  type BookingContent,
  type BookingContext,
  type BookingEffect,
  type BookingState,
  type BookingTexts,
  type UpcomingBooking,
} from '../../../domain/booking/booking-dialog';
import { callbackDataBytes, CALLBACK_DATA_LIMIT, decodeButton } from '../../../domain/callback-data';

/** A Moscow wall-clock time (`2025-12-03T12:50`) as epoch ms; Moscow is UTC+3 all year. */
const msk = (local: string): number => Date.parse(`${local}:00+03:00`);

// 2025-12-03 is a Wednesday, 04 Thursday, 05 Friday, 06–07 the weekend, 08 Monday, 09 Tuesday.
const WEDNESDAY_1250 = msk('2025-12-03T12:50');
/** Wednesday 14:00 MSK, the first slot still open at 12:50, as stored (UTC) and as a button stamp. */
const WED_14 = '2025-12-03T11:00:00.000Z';
const WED_14_STAMP = '202512031100';
const SENDER = 42;

const texts: BookingTexts = {
  chooseDate: 'Выберите удобный день для консультации:',
  chooseSlot: 'Свободное время на {date}:',
  otherTimeButton: 'Другое время',
  backButton: '← Назад',
  typePrompt: 'Напишите дату и время, например: завтра 15:00',
  askPhone: 'Оставьте номер телефона, чтобы менеджер мог связаться с вами:',
  sharePhoneButton: '📱 Отправить мой номер',
  badPhone: 'Не получилось распознать номер. Пример: +7 912 345-67-89',
  foreignContact: 'Пожалуйста, отправьте свой номер кнопкой ниже.',
  askName: 'Как к вам обращаться?',
  badName: 'Напишите, пожалуйста, имя буквами.',
  confirm: 'Записываю вас на {slot}. Всё верно?',
  confirmButton: '✅ Подтвердить',
  changeButton: 'Изменить',
  booked: 'Готово! Консультация: {slot}. Напомню за 15 минут.',
  already: 'У вас уже есть запись: {slot}.',
  rescheduleButton: 'Перенести',
  cancelButton: 'Отменить',
  keepButton: 'Оставить как есть',
  kept: 'Хорошо, запись остаётся в силе.',
  reminder: 'Через 15 минут консультация: {slot}. Всё в силе?',
  reminderConfirmButton: 'Да, буду',
  reminderCancelButton: 'Отменить',
  reminderConfirmed: 'Отлично, менеджер скоро напишет!',
  cancelled: 'Запись отменена.',
  rescheduled: 'Перенесли: {previous} → {slot}.',
  slotGone: 'Это время уже недоступно, выберите другое.',
  noBooking: 'У вас нет активной записи.',
  managersBooked: 'Новая запись на консультацию: {slot}',
  managersRescheduled: 'Перенос консультации: {previous} → {slot}',
  managersCancelled: 'Отмена консультации: {slot}',
};

function context(overrides: Partial<BookingContext> = {}): BookingContext {
  return {
    state: IDLE,
    upcoming: null,
    contact: { phone: null, name: null },
    nowMs: WEDNESDAY_1250,
    timeZone: 'Europe/Moscow',
    language: 'ru',
    texts,
    ...overrides,
  };
}

const withContact = (overrides: Partial<BookingContext> = {}): BookingContext =>
  context({ contact: { phone: '+79123456789', name: 'Иван' }, ...overrides });

/** Every button of every message: callback data within Telegram's limit, in the `bk` scope. */
function checked(effects: BookingEffect[]): BookingEffect[] {
  for (const effect of effects) {
    if (effect.kind !== 'send') continue;
    for (const button of effect.content.buttons?.flat() ?? []) {
      if (!('data' in button)) throw new Error(`unexpected url button ${button.url}`);
      expect(callbackDataBytes(button.data)).toBeLessThanOrEqual(CALLBACK_DATA_LIMIT);
      expect(decodeButton(button.data)?.scope).toBe(BOOKING_SCOPE);
    }
  }
  return effects;
}

function press(ctx: BookingContext, buttonId: string): BookingEffect[] {
  const effects = onBookingButton(ctx, buttonId);
  if (effects === undefined) throw new Error(`press ${buttonId} in phase ${ctx.state.phase} was refused`);
  return checked(effects);
}

function type(ctx: BookingContext, text: string): BookingEffect[] {
  const effects = onBookingText(ctx, text);
  if (effects === undefined) throw new Error(`text in phase ${ctx.state.phase} was refused`);
  return checked(effects);
}

function share(ctx: BookingContext, phoneNumber: string, userId: number | undefined): BookingEffect[] {
  const effects = onBookingContact(ctx, { phoneNumber, userId }, SENDER);
  if (effects === undefined) throw new Error(`contact in phase ${ctx.state.phase} was refused`);
  return checked(effects);
}

/** What the workflow would do with the effects, as far as the dialog's inputs go. */
function apply(ctx: BookingContext, effects: BookingEffect[], nextId = 100): BookingContext {
  let next = ctx;
  for (const effect of effects) {
    if (effect.kind === 'setBookingState') next = { ...next, state: effect.state };
    if (effect.kind === 'saveContact') {
      next = { ...next, contact: { phone: effect.phone ?? next.contact.phone, name: effect.name ?? next.contact.name } };
    }
    if (effect.kind === 'createBooking') next = { ...next, upcoming: { id: nextId, startsAt: effect.startsAt } };
    if (effect.kind === 'cancelBooking') next = { ...next, upcoming: null };
  }
  return next;
}

const sends = (effects: BookingEffect[]): BookingContent[] =>
  effects.flatMap((effect) => (effect.kind === 'send' ? [effect.content] : []));
const textsOf = (effects: BookingEffect[]): string[] => sends(effects).map((content) => (content.type === 'text' ? content.text : ''));
const states = (effects: BookingEffect[]): BookingState[] =>
  effects.flatMap((effect) => (effect.kind === 'setBookingState' ? [effect.state] : []));
/** Each message's keyboard as `[text, data]` rows. */
const keyboards = (effects: BookingEffect[]): [string, string][][][] =>
  sends(effects).map((content) => (content.buttons ?? []).map((row) => row.map((b) => [b.text, 'data' in b ? b.data : b.url])));
const lastKeyboard = (effects: BookingEffect[]) => keyboards(effects).at(-1) ?? [];
const dataOf = (effects: BookingEffect[]): string[] => lastKeyboard(effects).flat().map(([, data]) => data);
const kinds = (effects: BookingEffect[]): string[] => effects.map((effect) => effect.kind);

describe('booking a consultation from start to finish', () => {
  it('offers dates, then slots, collects the missing phone and name, confirms and books', () => {
    let ctx = context();

    const start = checked(startBooking(ctx));
    expect(states(start)).toEqual([{ phase: 'date' }]);
    expect(textsOf(start)).toEqual([texts.chooseDate]);
    expect(lastKeyboard(start)).toEqual([
      [
        ['Ср, 3 декабря', 'bk:d.2025-12-03'],
        ['Чт, 4 декабря', 'bk:d.2025-12-04'],
      ],
      [['Другое время', 'bk:type']],
    ]);
    ctx = apply(ctx, start);

    const day = press(ctx, 'd.2025-12-03');
    expect(states(day)).toEqual([{ phase: 'slot', date: '2025-12-03' }]);
    expect(textsOf(day)).toEqual(['Свободное время на Ср, 3 декабря:']);
    expect(lastKeyboard(day)).toEqual([
      [
        ['14:00', 'bk:s.202512031100'],
        ['16:00', 'bk:s.202512031300'],
        ['18:00', 'bk:s.202512031500'],
      ],
      [
        ['Другое время', 'bk:type'],
        ['← Назад', 'bk:back'],
      ],
    ]);
    ctx = apply(ctx, day);

    const slot = press(ctx, `s.${WED_14_STAMP}`);
    expect(slot).toEqual([
      { kind: 'setBookingState', state: { phase: 'phone', pendingStartsAt: WED_14 } },
      { kind: 'send', content: { type: 'text', text: texts.askPhone, contactRequest: texts.sharePhoneButton } },
    ]);
    ctx = apply(ctx, slot);

    const phone = type(ctx, '8 (912) 345-67-89');
    expect(phone).toEqual([
      { kind: 'saveContact', phone: '+79123456789' },
      { kind: 'setBookingState', state: { phase: 'name', pendingStartsAt: WED_14 } },
      { kind: 'send', content: { type: 'text', text: texts.askName, removeKeyboard: true } },
    ]);
    ctx = apply(ctx, phone);

    const name = type(ctx, '  Иван   Петров ');
    expect(name).toEqual([
      { kind: 'saveContact', name: 'Иван Петров' },
      { kind: 'setBookingState', state: { phase: 'confirm', pendingStartsAt: WED_14 } },
      {
        kind: 'send',
        content: {
          type: 'text',
          text: 'Записываю вас на среда, 3 декабря, 14:00 (МСК). Всё верно?',
          buttons: [
            [
              { text: texts.confirmButton, data: 'bk:ok' },
              { text: texts.changeButton, data: 'bk:chg' },
            ],
          ],
        },
      },
    ]);
    ctx = apply(ctx, name);
    expect(ctx.contact).toEqual({ phone: '+79123456789', name: 'Иван Петров' });

    const ok = press({ ...ctx, nowMs: msk('2025-12-03T13:05') }, 'ok');
    expect(ok).toEqual([
      { kind: 'createBooking', startsAt: WED_14 },
      { kind: 'setBookingState', state: { phase: 'idle' } },
      { kind: 'send', content: { type: 'text', text: 'Готово! Консультация: среда, 3 декабря, 14:00 (МСК). Напомню за 15 минут.' } },
      { kind: 'notifyManagers', text: 'Новая запись на консультацию: среда, 3 декабря, 14:00 (МСК)' },
      { kind: 'recordEvent', type: 'consultation_booked', payload: { startsAt: WED_14 } },
    ]);
    ctx = apply(ctx, ok, 7);
    expect(ctx.upcoming).toEqual({ id: 7, startsAt: WED_14 });
    expect(ctx.state).toEqual(IDLE);

    // One upcoming booking per lead: asking again offers to change the one there is.
    const again = checked(startBooking(ctx));
    expect(textsOf(again)).toEqual(['У вас уже есть запись: среда, 3 декабря, 14:00 (МСК).']);
  });

  it('goes straight to the confirmation when phone and name are known', () => {
    const ctx = withContact({ state: { phase: 'slot', date: '2025-12-03' } });
    const effects = press(ctx, `s.${WED_14_STAMP}`);
    expect(kinds(effects)).toEqual(['setBookingState', 'send']);
    expect(states(effects)).toEqual([{ phase: 'confirm', pendingStartsAt: WED_14 }]);
    expect(dataOf(effects)).toEqual(['bk:ok', 'bk:chg']);
    expect(sends(effects)[0].removeKeyboard).toBeUndefined();
  });

  it('asks only for the name when the phone is known', () => {
    const ctx = context({ contact: { phone: '+79123456789', name: null }, state: { phase: 'slot', date: '2025-12-03' } });
    const effects = press(ctx, `s.${WED_14_STAMP}`);
    expect(states(effects)).toEqual([{ phase: 'name', pendingStartsAt: WED_14 }]);
    expect(sends(effects)).toEqual([{ type: 'text', text: texts.askName }]);
  });

  it('"change" at the confirmation offers the dates again', () => {
    const ctx = withContact({ state: { phase: 'confirm', pendingStartsAt: WED_14 } });
    const effects = press(ctx, 'chg');
    expect(states(effects)).toEqual([{ phase: 'date' }]);
    expect(textsOf(effects)).toEqual([texts.chooseDate]);
    expect(dataOf(effects)).toEqual(['bk:d.2025-12-03', 'bk:d.2025-12-04', 'bk:type']);
  });

  it('"back" from the slots or the typed prompt offers the dates again', () => {
    for (const state of [{ phase: 'slot', date: '2025-12-03' }, { phase: 'typed' }] as BookingState[]) {
      const effects = press(context({ state }), 'back');
      expect(states(effects)).toEqual([{ phase: 'date' }]);
      expect(dataOf(effects)).toEqual(['bk:d.2025-12-03', 'bk:d.2025-12-04', 'bk:type']);
    }
  });

  it('a date pressed again on the dates message while the slots show still opens its slots', () => {
    const effects = press(context({ state: { phase: 'slot', date: '2025-12-03' } }), 'd.2025-12-04');
    expect(states(effects)).toEqual([{ phase: 'slot', date: '2025-12-04' }]);
    expect(dataOf(effects)).toEqual(['bk:s.202512040900', 'bk:s.202512041100', 'bk:s.202512041300', 'bk:s.202512041500', 'bk:type', 'bk:back']);
  });

  it('a date from an older message that is not among today\'s options gets a spelled-out label', () => {
    const effects = press(context({ state: { phase: 'date' } }), 'd.2025-12-10');
    expect(textsOf(effects)).toEqual(['Свободное время на среда, 10 декабря:']);
    expect(dataOf(effects)).toContain('bk:s.202512100900');
  });
});

describe('the dates offered', () => {
  it('Friday 17:50 Moscow offers Monday and Tuesday', () => {
    const effects = checked(startBooking(context({ nowMs: msk('2025-12-05T17:50') })));
    expect(lastKeyboard(effects)[0]).toEqual([
      ['Пн, 8 декабря', 'bk:d.2025-12-08'],
      ['Вт, 9 декабря', 'bk:d.2025-12-09'],
    ]);
  });

  it('Friday 17:40 Moscow also offers Monday and Tuesday: the 18:00 slot is too close', () => {
    const effects = checked(startBooking(context({ nowMs: msk('2025-12-05T17:40') })));
    expect(dataOf(effects)).toEqual(['bk:d.2025-12-08', 'bk:d.2025-12-09', 'bk:type']);
  });

  it('Wednesday 17:50 Moscow offers Thursday and Friday', () => {
    const effects = checked(startBooking(context({ nowMs: msk('2025-12-03T17:50') })));
    expect(dataOf(effects)).toEqual(['bk:d.2025-12-04', 'bk:d.2025-12-05', 'bk:type']);
  });

  it('Friday morning offers Friday and Monday, with Friday\'s remaining slots', () => {
    const ctx = context({ nowMs: msk('2025-12-05T13:30') });
    expect(dataOf(checked(startBooking(ctx)))).toEqual(['bk:d.2025-12-05', 'bk:d.2025-12-08', 'bk:type']);
    const slots = press({ ...ctx, state: { phase: 'date' } }, 'd.2025-12-05');
    expect(lastKeyboard(slots)[0].map(([time]) => time)).toEqual(['16:00', '18:00']);
  });

  it('a day whose slots have all gone says so and offers the dates again', () => {
    // The options were shown at 12:50; the lead presses "today" at 17:20, when 18:00 is only 40 minutes away.
    const ctx = context({ state: { phase: 'date' }, nowMs: msk('2025-12-03T17:20') });
    const effects = press(ctx, 'd.2025-12-03');
    expect(kinds(effects)).toEqual(['send', 'setBookingState', 'send']);
    expect(textsOf(effects)).toEqual([texts.slotGone, texts.chooseDate]);
    expect(states(effects)).toEqual([{ phase: 'date' }]);
    expect(dataOf(effects)).toEqual(['bk:d.2025-12-04', 'bk:d.2025-12-05', 'bk:type']);
  });

  it('a weekend date from a crafted or old button has no slots', () => {
    const effects = press(context({ state: { phase: 'date' } }), 'd.2025-12-06');
    expect(textsOf(effects)).toEqual([texts.slotGone, texts.chooseDate]);
  });

  it('labels dates, slots and guidance in English for English-speaking leads', () => {
    const english = context({ language: 'en', texts: { ...texts, chooseSlot: 'Free times on {date}:' } });
    const start = checked(startBooking(english));
    expect(lastKeyboard(start)[0].map(([label]) => label)).toEqual(['Wed, 3 December', 'Thu, 4 December']);
    const slot = press({ ...english, contact: { phone: '+79123456789', name: 'Ivan' }, state: { phase: 'slot' } }, `s.${WED_14_STAMP}`);
    expect(textsOf(slot)).toEqual(['Записываю вас на Wednesday, 3 December, 14:00 (Moscow time). Всё верно?']);
    const typed = type({ ...english, state: { phase: 'typed' } }, 'yesterday');
    expect(textsOf(typed)[0]).toMatch(/^I couldn't read the date and time/);
  });
});

describe('a typed date and time', () => {
  const at1300 = msk('2025-12-03T13:00');

  it('"other time" asks for it, with a way back', () => {
    const effects = press(context({ state: { phase: 'date' }, nowMs: at1300 }), 'type');
    expect(effects).toEqual([
      { kind: 'setBookingState', state: { phase: 'typed' } },
      { kind: 'send', content: { type: 'text', text: texts.typePrompt, buttons: [[{ text: texts.backButton, data: 'bk:back' }]] } },
    ]);
    expect(states(press(context({ state: { phase: 'slot', date: '2025-12-03' } }), 'type'))).toEqual([{ phase: 'typed' }]);
  });

  it('30 minutes ahead is refused with guidance and the dialog stays in `typed`', () => {
    const ctx = withContact({ state: { phase: 'typed' }, nowMs: at1300 });
    const effects = type(ctx, 'сегодня 13:30');
    const expected = parseTypedDateTime('сегодня 13:30', at1300, 'Europe/Moscow', 'ru');
    if (expected.ok) throw new Error('the rules accepted 30 minutes ahead');
    expect(expected.reason).toBe('too_soon');
    expect(kinds(effects)).toEqual(['send']);
    expect(textsOf(effects)).toEqual([expected.guidance]);
    expect(expected.guidance).toContain('минимум за 45 минут');
    // The suggestion (13:45, 45 minutes ahead) is offered as a button, then the way back.
    expect(lastKeyboard(effects)).toEqual([[['среда, 3 декабря, 13:45 (МСК)', 'bk:s.202512031045']], [['← Назад', 'bk:back']]]);

    const suggested = press(ctx, 's.202512031045');
    expect(states(suggested)).toEqual([{ phase: 'confirm', pendingStartsAt: '2025-12-03T10:45:00.000Z' }]);
  });

  it('each kind of refusal answers with the rules\' guidance and changes nothing', () => {
    const ctx = context({ state: { phase: 'typed' }, nowMs: at1300 });
    for (const text of ['когда-нибудь', 'суббота 12:00', 'завтра 21:00', 'завтра 14:10', 'вчера', 'сегодня 12:00', '05.12']) {
      const effects = type(ctx, text);
      const expected = parseTypedDateTime(text, at1300, 'Europe/Moscow', 'ru');
      if (expected.ok) throw new Error(`the rules accepted ${text}`);
      expect(kinds(effects)).toEqual(['send']);
      expect(textsOf(effects)).toEqual([expected.guidance]);
      expect(dataOf(effects).at(-1)).toBe('bk:back');
    }
  });

  it('an acceptable time moves on to the contact details or the confirmation', () => {
    const missing = type(context({ state: { phase: 'typed' }, nowMs: at1300 }), 'завтра в 15:30');
    expect(states(missing)).toEqual([{ phase: 'phone', pendingStartsAt: '2025-12-04T12:30:00.000Z' }]);

    const known = type(withContact({ state: { phase: 'typed' }, nowMs: at1300 }), '4 декабря 15:30');
    expect(states(known)).toEqual([{ phase: 'confirm', pendingStartsAt: '2025-12-04T12:30:00.000Z' }]);
    expect(textsOf(known)).toEqual(['Записываю вас на четверг, 4 декабря, 15:30 (МСК). Всё верно?']);
  });
});

describe('a start that is no longer bookable', () => {
  it('is refused at confirmation time with "gone" and fresh dates', () => {
    let ctx = withContact({ state: { phase: 'slot', date: '2025-12-03' } });
    ctx = apply(ctx, press(ctx, `s.${WED_14_STAMP}`));
    expect(ctx.state).toEqual({ phase: 'confirm', pendingStartsAt: WED_14 });

    // The lead confirms at 13:30: 14:00 is only 30 minutes away now.
    const effects = press({ ...ctx, nowMs: msk('2025-12-03T13:30') }, 'ok');
    expect(kinds(effects)).toEqual(['send', 'setBookingState', 'send']);
    expect(textsOf(effects)).toEqual([texts.slotGone, texts.chooseDate]);
    expect(states(effects)).toEqual([{ phase: 'date' }]);
    expect(dataOf(effects)).toEqual(['bk:d.2025-12-03', 'bk:d.2025-12-04', 'bk:type']);
  });

  it('is refused when its slot button is pressed too late', () => {
    const ctx = withContact({ state: { phase: 'slot', date: '2025-12-03' }, nowMs: msk('2025-12-03T13:20') });
    const effects = press(ctx, `s.${WED_14_STAMP}`);
    expect(textsOf(effects)).toEqual([texts.slotGone, texts.chooseDate]);
    expect(kinds(effects)).not.toContain('createBooking');
  });

  it('keeps the rescheduling flag through the fresh dates', () => {
    const ctx = withContact({
      state: { phase: 'confirm', pendingStartsAt: WED_14, rescheduling: true },
      upcoming: { id: 7, startsAt: '2025-12-04T11:00:00.000Z' },
      nowMs: msk('2025-12-03T13:30'),
    });
    expect(states(press(ctx, 'ok'))).toEqual([{ phase: 'date', rescheduling: true }]);
  });

  it('a start off the 15-minute grid in a button is refused like a gone slot', () => {
    const effects = press(withContact({ state: { phase: 'slot', date: '2025-12-03' } }), 's.202512031107');
    expect(textsOf(effects)).toEqual([texts.slotGone, texts.chooseDate]);
  });
});

describe('the phone', () => {
  const askingPhone = (overrides: Partial<BookingContext> = {}) =>
    context({ state: { phase: 'phone', pendingStartsAt: WED_14 }, ...overrides });

  it.each(['+7 912 345-67-89', '89123456789', '9123456789', '7 912 3456789'])('typed as %j is normalised and saved', (text) => {
    const effects = type(askingPhone(), text);
    expect(effects[0]).toEqual({ kind: 'saveContact', phone: '+79123456789' });
    expect(states(effects)).toEqual([{ phase: 'name', pendingStartsAt: WED_14 }]);
  });

  it.each(['123', 'мой номер', '8 912 345', '+7 912 345 67 8'])('typed badly as %j is answered and asked again', (text) => {
    const effects = type(askingPhone(), text);
    expect(effects).toEqual([{ kind: 'send', content: { type: 'text', text: texts.badPhone, contactRequest: texts.sharePhoneButton } }]);
  });

  it('shared as the sender\'s own contact is saved and the next message removes the keyboard', () => {
    const effects = share(askingPhone(), '79123456789', SENDER);
    expect(effects).toEqual([
      { kind: 'saveContact', phone: '+79123456789' },
      { kind: 'setBookingState', state: { phase: 'name', pendingStartsAt: WED_14 } },
      { kind: 'send', content: { type: 'text', text: texts.askName, removeKeyboard: true } },
    ]);
  });

  it('shared with the name known goes to the confirmation, which removes the keyboard', () => {
    const effects = share(askingPhone({ contact: { phone: null, name: 'Иван' } }), '+79123456789', SENDER);
    expect(kinds(effects)).toEqual(['saveContact', 'setBookingState', 'send']);
    expect(states(effects)).toEqual([{ phase: 'confirm', pendingStartsAt: WED_14 }]);
    expect(sends(effects)[0]).toMatchObject({ removeKeyboard: true });
    expect(dataOf(effects)).toEqual(['bk:ok', 'bk:chg']);
  });

  it('shared from a foreign account keeps its country code', () => {
    expect(share(askingPhone(), '447911123456', SENDER)[0]).toEqual({ kind: 'saveContact', phone: '+447911123456' });
    expect(share(askingPhone(), '+14155552671', SENDER)[0]).toEqual({ kind: 'saveContact', phone: '+14155552671' });
    expect(share(askingPhone(), '81312345678', SENDER)[0]).toEqual({ kind: 'saveContact', phone: '+81312345678' });
  });

  it('shared as somebody else\'s contact is refused and asked again', () => {
    const refusal = [{ kind: 'send', content: { type: 'text', text: texts.foreignContact, contactRequest: texts.sharePhoneButton } }];
    expect(share(askingPhone(), '79990001122', SENDER + 1)).toEqual(refusal);
    expect(share(askingPhone(), '79990001122', undefined)).toEqual(refusal);
  });

  it('a shared contact outside the phone phase is not the dialog\'s', () => {
    for (const state of [IDLE, { phase: 'name', pendingStartsAt: WED_14 }, { phase: 'confirm', pendingStartsAt: WED_14 }] as BookingState[]) {
      expect(onBookingContact(context({ state }), { phoneNumber: '79123456789', userId: SENDER }, SENDER)).toBeUndefined();
    }
  });
});

describe('the name', () => {
  const askingName = () => context({ contact: { phone: '+79123456789', name: null }, state: { phase: 'name', pendingStartsAt: WED_14 } });

  it.each(['123', 'Я', '@ivan_petrov', 'https://example.com', ''])('typed badly as %j is answered and asked again', (text) => {
    expect(type(askingName(), text)).toEqual([{ kind: 'send', content: { type: 'text', text: texts.badName } }]);
  });

  it('typed well is saved and leads to the confirmation', () => {
    const effects = type(askingName(), 'Анна-Мария');
    expect(effects[0]).toEqual({ kind: 'saveContact', name: 'Анна-Мария' });
    expect(states(effects)).toEqual([{ phase: 'confirm', pendingStartsAt: WED_14 }]);
    expect(sends(effects)[0].removeKeyboard).toBeUndefined();
  });
});

describe('an existing upcoming booking', () => {
  const THU_14 = '2025-12-04T11:00:00.000Z';
  const upcoming: UpcomingBooking = { id: 7, startsAt: THU_14 };
  const booked = (overrides: Partial<BookingContext> = {}) => withContact({ upcoming, ...overrides });

  it('is shown instead of new dates, with reschedule / cancel / keep', () => {
    const effects = checked(startBooking(booked({ state: { phase: 'slot', date: '2025-12-03' } })));
    expect(effects).toEqual([
      { kind: 'setBookingState', state: { phase: 'idle' } },
      {
        kind: 'send',
        content: {
          type: 'text',
          text: 'У вас уже есть запись: четверг, 4 декабря, 14:00 (МСК).',
          buttons: [
            [
              { text: texts.rescheduleButton, data: 'bk:resch.7' },
              { text: texts.cancelButton, data: 'bk:cancel.7' },
            ],
            [{ text: texts.keepButton, data: 'bk:keep' }],
          ],
        },
      },
    ]);
  });

  it('"keep" keeps it', () => {
    expect(press(booked(), 'keep')).toEqual([
      { kind: 'setBookingState', state: { phase: 'idle' } },
      { kind: 'send', content: { type: 'text', text: texts.kept } },
    ]);
  });

  it('"cancel" cancels it and tells the managers', () => {
    expect(press(booked(), 'cancel.7')).toEqual([
      { kind: 'cancelBooking', id: 7 },
      { kind: 'setBookingState', state: { phase: 'idle' } },
      { kind: 'send', content: { type: 'text', text: texts.cancelled } },
      { kind: 'notifyManagers', text: 'Отмена консультации: четверг, 4 декабря, 14:00 (МСК)' },
      { kind: 'recordEvent', type: 'consultation_cancelled', payload: { bookingId: 7, startsAt: THU_14 } },
    ]);
  });

  it('"reschedule" walks the dates again and replaces it on confirmation', () => {
    let ctx = booked();
    const resch = press(ctx, 'resch.7');
    expect(states(resch)).toEqual([{ phase: 'date', rescheduling: true }]);
    expect(textsOf(resch)).toEqual([texts.chooseDate]);
    ctx = apply(ctx, resch);

    const day = press(ctx, 'd.2025-12-03');
    expect(states(day)).toEqual([{ phase: 'slot', date: '2025-12-03', rescheduling: true }]);
    ctx = apply(ctx, day);

    const slot = press(ctx, 's.202512031300');
    expect(states(slot)).toEqual([{ phase: 'confirm', pendingStartsAt: '2025-12-03T13:00:00.000Z', rescheduling: true }]);
    ctx = apply(ctx, slot);

    const ok = press(ctx, 'ok');
    expect(ok).toEqual([
      { kind: 'createBooking', startsAt: '2025-12-03T13:00:00.000Z', replaces: 7 },
      { kind: 'setBookingState', state: { phase: 'idle' } },
      {
        kind: 'send',
        content: { type: 'text', text: 'Перенесли: четверг, 4 декабря, 14:00 (МСК) → среда, 3 декабря, 16:00 (МСК).' },
      },
      { kind: 'notifyManagers', text: 'Перенос консультации: четверг, 4 декабря, 14:00 (МСК) → среда, 3 декабря, 16:00 (МСК)' },
      {
        kind: 'recordEvent',
        type: 'consultation_rescheduled',
        payload: { startsAt: '2025-12-03T13:00:00.000Z', previousStartsAt: THU_14, replaces: 7 },
      },
    ]);
  });

  it('a reschedule by typed time also replaces it, and "change" keeps the rescheduling', () => {
    let ctx = apply(booked(), press(booked(), 'resch.7'));
    ctx = apply(ctx, press(ctx, 'type'));
    expect(ctx.state).toEqual({ phase: 'typed', rescheduling: true });
    ctx = apply(ctx, type(ctx, '05.12 10:15'));
    expect(ctx.state).toEqual({ phase: 'confirm', pendingStartsAt: '2025-12-05T07:15:00.000Z', rescheduling: true });
    expect(states(press(ctx, 'chg'))).toEqual([{ phase: 'date', rescheduling: true }]);
    const ok = press(ctx, 'ok');
    expect(ok[0]).toEqual({ kind: 'createBooking', startsAt: '2025-12-05T07:15:00.000Z', replaces: 7 });
  });

  it('rescheduled to its own start is simply kept', () => {
    const ctx = booked({ state: { phase: 'confirm', pendingStartsAt: THU_14, rescheduling: true } });
    expect(press(ctx, 'ok')).toEqual([
      { kind: 'setBookingState', state: { phase: 'idle' } },
      { kind: 'send', content: { type: 'text', text: texts.kept } },
    ]);
  });

  it('made meanwhile blocks a second booking at confirmation', () => {
    const ctx = booked({ state: { phase: 'confirm', pendingStartsAt: WED_14 } });
    const effects = press(ctx, 'ok');
    expect(kinds(effects)).toEqual(['setBookingState', 'send']);
    expect(textsOf(effects)).toEqual(['У вас уже есть запись: четверг, 4 декабря, 14:00 (МСК).']);
  });

  it('once started no longer blocks a new one', () => {
    const effects = checked(startBooking(booked({ upcoming: { id: 7, startsAt: '2025-12-03T09:00:00.000Z' } })));
    expect(states(effects)).toEqual([{ phase: 'date' }]);
  });

  it('buttons about another booking are out of date; with none at all the lead is told so', () => {
    expect(onBookingButton(booked(), 'cancel.8')).toBeUndefined();
    expect(onBookingButton(booked(), 'resch.8')).toBeUndefined();
    expect(onBookingButton(booked(), 'rcn.8')).toBeUndefined();
    expect(onBookingButton(booked(), 'rok.8')).toBeUndefined();
    for (const id of ['cancel.7', 'resch.7', 'rok.7', 'rcn.7', 'keep']) {
      expect(press(withContact({ state: { phase: 'date' } }), id)).toEqual([{ kind: 'send', content: { type: 'text', text: texts.noBooking } }]);
    }
  });

  it('buttons without an id act on the upcoming booking', () => {
    expect(press(booked(), 'cancel')[0]).toEqual({ kind: 'cancelBooking', id: 7 });
    expect(states(press(booked(), 'resch'))).toEqual([{ phase: 'date', rescheduling: true }]);
  });
});

describe('the reminder', () => {
  const THU_14 = '2025-12-04T11:00:00.000Z';
  const ctx = withContact({ upcoming: { id: 7, startsAt: THU_14 }, nowMs: msk('2025-12-04T13:45') });

  it('names the slot and offers confirm / cancel for that booking', () => {
    expect(reminderMessage(ctx)).toEqual({
      type: 'text',
      text: 'Через 15 минут консультация: четверг, 4 декабря, 14:00 (МСК). Всё в силе?',
      buttons: [
        [
          { text: texts.reminderConfirmButton, data: 'bk:rok.7' },
          { text: texts.reminderCancelButton, data: 'bk:rcn.7' },
        ],
      ],
    });
  });

  it('is null without an upcoming booking or once it has started', () => {
    expect(reminderMessage(withContact())).toBeNull();
    expect(reminderMessage({ ...ctx, nowMs: msk('2025-12-04T14:00') })).toBeNull();
  });

  it('"confirm" is acknowledged and recorded', () => {
    expect(press(ctx, 'rok.7')).toEqual([
      { kind: 'send', content: { type: 'text', text: texts.reminderConfirmed } },
      { kind: 'recordEvent', type: 'reminder_confirmed', payload: { bookingId: 7, startsAt: THU_14 } },
    ]);
  });

  it('"cancel" cancels like the cancel button', () => {
    expect(press(ctx, 'rcn.7')).toEqual(press(ctx, 'cancel.7'));
    expect(kinds(press(ctx, 'rcn.7'))).toEqual(['cancelBooking', 'setBookingState', 'send', 'notifyManagers', 'recordEvent']);
  });

  it('keeps every callback within 64 bytes even with the largest id', () => {
    const big = { ...ctx, upcoming: { id: Number.MAX_SAFE_INTEGER, startsAt: THU_14 } };
    const content = reminderMessage(big);
    for (const b of content?.buttons?.flat() ?? []) {
      if ('data' in b) expect(callbackDataBytes(b.data)).toBeLessThanOrEqual(CALLBACK_DATA_LIMIT);
    }
    checked(startBooking({ ...big, nowMs: WEDNESDAY_1250 }));
    expect(press(big, `rcn.${Number.MAX_SAFE_INTEGER}`)[0]).toEqual({ kind: 'cancelBooking', id: Number.MAX_SAFE_INTEGER });
  });
});

describe('presses and texts that do not fit the phase', () => {
  const phases: Record<string, BookingState> = {
    idle: IDLE,
    date: { phase: 'date' },
    slot: { phase: 'slot', date: '2025-12-03' },
    typed: { phase: 'typed' },
    phone: { phase: 'phone', pendingStartsAt: WED_14 },
    name: { phase: 'name', pendingStartsAt: WED_14 },
    confirm: { phase: 'confirm', pendingStartsAt: WED_14 },
  };

  it.each([
    ['idle', 'd.2025-12-03'],
    ['idle', `s.${WED_14_STAMP}`],
    ['idle', 'type'],
    ['idle', 'back'],
    ['idle', 'ok'],
    ['idle', 'chg'],
    ['date', 'ok'],
    ['date', 'chg'],
    ['date', 'back'],
    ['slot', 'ok'],
    ['slot', 'chg'],
    ['typed', 'type'],
    ['typed', 'ok'],
    ['phone', 'd.2025-12-03'],
    ['phone', `s.${WED_14_STAMP}`],
    ['phone', 'ok'],
    ['name', 'type'],
    ['name', 'ok'],
    ['confirm', 'd.2025-12-03'],
    ['confirm', `s.${WED_14_STAMP}`],
    ['confirm', 'type'],
    ['confirm', 'back'],
  ])('in phase %s, %s is out of date', (phase, buttonId) => {
    expect(onBookingButton(withContact({ state: phases[phase] }), buttonId)).toBeUndefined();
  });

  it.each([
    'd.2025-02-31',
    'd.tomorrow',
    'd.',
    's.20251203110',
    's.202513031100',
    's.2025120311000',
    's.abc',
    'ok.1',
    'keep.7',
    'cancel.x',
    'cancel.',
    'rok.-1',
    'unknown',
    '',
  ])('a malformed %j is out of date', (buttonId) => {
    const ctx = withContact({ state: { phase: 'date' }, upcoming: { id: 7, startsAt: '2025-12-04T11:00:00.000Z' } });
    expect(onBookingButton(ctx, buttonId)).toBeUndefined();
  });

  it('an ok without a chosen start is out of date', () => {
    expect(onBookingButton(withContact({ state: { phase: 'confirm' } }), 'ok')).toBeUndefined();
  });

  it.each(['idle', 'date', 'slot', 'confirm'])('text in phase %s is left to the caller', (phase) => {
    expect(onBookingText(withContact({ state: phases[phase] }), 'завтра 15:00')).toBeUndefined();
  });
});
