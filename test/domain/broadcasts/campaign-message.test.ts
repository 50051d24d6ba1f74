import { callbackDataBytes, CALLBACK_DATA_LIMIT } from '../../../domain/callback-data';
import { campaignMessages, parseClickId, parseSignedClick } from '../../../domain/broadcasts/campaign-message';
import { campaignButtonSchema, campaignContentSchema, normaliseContent, type CampaignContent } from '../../../domain/broadcasts/campaign';

const SECRET = 'a-secret-for-signing-clicks';
const content: CampaignContent = {
  items: [
    { kind: 'photo', file: 'AgACAgIAAxkBAAIB', caption: 'Новый поток' },
    { kind: 'text', text: 'Старт 10 декабря' },
  ],
  buttons: [[{ text: 'Программа', url: 'https://school.example.com/p' }], [{ text: 'Записаться', action: 'command:consult' }, { text: 'Отписаться', action: 'unsubscribe' }]],
};

describe('a broadcast as Telegram messages', () => {
  it('sends the items in order with the buttons on the last one, every button tracked', () => {
    const messages = campaignMessages(content, { deliveryId: 123_456_789_012, publicBaseUrl: 'https://bot.example.com/', secret: SECRET });
    expect(messages.map((m) => m.type)).toEqual(['photo', 'text']);
    expect(messages[0].buttons).toBeUndefined();
    const [[program], [book, stop]] = messages[1].buttons as { text: string; url?: string; data?: string }[][];
    expect(program.url).toMatch(/^https:\/\/bot\.example\.com\/c\/[0-9a-z]+\.0\.[\w-]{10}$/);
    expect(book.data).toBe(`cmp:${(123_456_789_012).toString(36)}.1`);
    expect(stop.data).toBe(`cmp:${(123_456_789_012).toString(36)}.2`);
    expect(callbackDataBytes(book.data as string)).toBeLessThanOrEqual(CALLBACK_DATA_LIMIT);
    expect(parseSignedClick((program.url as string).split('/c/')[1], SECRET)).toEqual({ deliveryId: 123_456_789_012, button: 0 });
    expect(parseClickId((book.data as string).slice(4))).toEqual({ deliveryId: 123_456_789_012, button: 1 });
  });

  it('refuses a forged or altered link', () => {
    const [message] = campaignMessages({ items: [{ kind: 'text', text: 'x' }], buttons: [[{ text: 'Go', url: 'https://e.example/' }]] }, { deliveryId: 5, publicBaseUrl: 'https://bot.example.com', secret: SECRET });
    const link = (message.buttons as { url: string }[][])[0][0].url.split('/c/')[1];
    expect(parseSignedClick(link, SECRET)).toEqual({ deliveryId: 5, button: 0 });
    expect(parseSignedClick(link.replace(/^5\./, '6.'), SECRET)).toBeNull();
    expect(parseSignedClick(link, 'another-secret-entirely')).toBeNull();
    expect(parseSignedClick('garbage', SECRET)).toBeNull();
  });

  it('without a public address URL buttons go straight to their URL', () => {
    const [message] = campaignMessages({ items: [{ kind: 'text', text: 'x' }], buttons: [[{ text: 'Go', url: 'https://e.example/' }]] }, { deliveryId: 5, secret: SECRET });
    expect(message.buttons).toEqual([[{ text: 'Go', url: 'https://e.example/' }]]);
  });

  it('validates what editors and the api send', () => {
    expect(campaignButtonSchema.safeParse({ text: 'x', action: 'format_disk' }).success).toBe(false);
    expect(campaignButtonSchema.safeParse({ text: 'x', url: 'javascript:alert(1)' }).success).toBe(false);
    expect(campaignContentSchema.safeParse({ items: [{ kind: 'text', text: 'я'.repeat(4097) }] }).success).toBe(false);
    expect(campaignContentSchema.safeParse({ items: [] }).success).toBe(false);
    expect(campaignContentSchema.safeParse(content).success).toBe(true);
  });

  it('reads campaigns stored before items existed', () => {
    expect(normaliseContent({ text: 'Старое', buttons: [[{ text: 'a', url: 'https://a.example' }]] })).toEqual({ items: [{ kind: 'text', text: 'Старое' }], buttons: [[{ text: 'a', url: 'https://a.example' }]] });
  });
});
