import { batchOf, dueInMs, mirrorLine, readyRun, topicName, type MirrorMessage } from '../../domain/dialog-mirror';

const timing = { batchWindowMs: 3000, stuckSendingMs: 60_000 };
let nextId = 100;
const message = (fields: Partial<MirrorMessage> = {}): MirrorMessage => ({ id: ++nextId, direction: 'in', text: 'привет', payload: null, status: 'received', ageMs: 5000, settled: true, ...fields });

describe('the live dialogs rules', () => {
  it('a run stops before a message that has not settled or whose send is not recorded yet', () => {
    const [a, b, c] = [message(), message({ direction: 'out', status: 'sending', ageMs: 2000 }), message()];
    expect(readyRun([a, b, c], timing)).toEqual([a]);
    expect(readyRun([a, message({ settled: false }), c], timing)).toEqual([a]);
    // A send stuck longer than any attempt takes is taken as it is.
    const stuck = message({ direction: 'out', status: 'sending', ageMs: 61_000 });
    expect(readyRun([a, stuck, c], timing)).toEqual([a, stuck, c]);
  });

  it("a run is due once its first message's window has passed", () => {
    expect(dueInMs([], timing)).toBeNull();
    expect(dueInMs([message({ ageMs: 1000 }), message({ ageMs: 0 })], timing)).toBe(2000);
    expect(dueInMs([message({ ageMs: 4000 })], timing)).toBeLessThanOrEqual(0);
  });

  it('says who wrote each line, what media was, and a send Telegram refused', () => {
    expect(mirrorLine(message({ text: 'Хочу на курс' }), 'Анна')).toBe('👤 Анна:\nХочу на курс');
    expect(mirrorLine(message({ direction: 'out', text: 'Гайд', payload: { content: { type: 'document' } } }), 'Анна')).toBe('🤖 Бот:\n[document] Гайд');
    expect(mirrorLine(message({ direction: 'manager', text: 'Звоню', status: 'failed' }), 'Анна')).toBe('👔 Менеджер ⚠️ не доставлено:\nЗвоню');
    expect(mirrorLine(message({ text: '[photo] чек' }), 'Анна')).toBe('👤 Анна:\n[photo] чек');
  });

  it('a batch fits one Telegram message; what does not fit waits for the next post; skipped messages are passed over', () => {
    const long = Array.from({ length: 5 }, () => message({ text: 'х'.repeat(1400) }));
    const first = batchOf(long, 'Анна', () => false)!;
    expect(first.text.length).toBeLessThanOrEqual(4096);
    expect(first.through).toBe(long[1].id);
    const fromTopic = message({ direction: 'manager', text: 'уже в теме' });
    const batch = batchOf([message({ text: 'a' }), fromTopic], 'Анна', (m) => m === fromTopic)!;
    expect(batch).toEqual({ through: fromTopic.id, text: '👤 Анна:\na' });
    expect(batchOf([fromTopic], 'Анна', () => true)).toEqual({ through: fromTopic.id, text: '' });
  });

  it("names the topic after the lead with the number staff commands take, within Telegram's 128 characters", () => {
    expect(topicName({ id: 42, firstName: 'Анна', lastName: 'Петрова', username: 'anna' })).toBe('Анна Петрова @anna #42');
    expect(topicName({ id: 7, firstName: null, lastName: null, username: null })).toBe('Лид #7');
    expect(topicName({ id: 7, firstName: 'Я'.repeat(300), lastName: null, username: 'u' }).length).toBe(128);
  });
});

describe('media in the live dialogs', () => {
  it("a text batch stops before media; media goes alone as a copy of the lead's message with its line as the caption", () => {
    const photo = message({ text: '[photo] чек', payload: { kind: 'media', messageType: 'photo' }, telegramMessageId: 77 });
    const before = message({ text: 'вот' });
    expect(batchOf([before, photo], 'Анна', () => false)).toEqual({ through: before.id, text: '👤 Анна:\nвот' });
    expect(batchOf([photo, message()], 'Анна', () => false)).toEqual({ through: photo.id, text: '👤 Анна:\n[photo] чек', copy: { messageId: 77 } });
    // Without the message in the chat (never taken by Telegram) there is nothing to copy: it is a line.
    expect(batchOf([message({ direction: 'out', payload: { content: { type: 'document' } }, status: 'failed', telegramMessageId: null })], 'Анна', () => false)?.copy).toBeUndefined();
  });
});
