import fc from 'fast-check';

/**
 * Generated Telegram updates, from plausible to malformed (property-based, fast-check): texts of
 * every size and odd Unicode, forged callback data, someone else's contact, edited messages,
 * channel posts, group chats, unknown update kinds, and fields missing or of the wrong type.
 * `update_id` is left out: the fake or the suite numbers them.
 */
const FIRST_FUZZ_USER = 5_300_000_000;
const userId = fc.integer({ min: FIRST_FUZZ_USER, max: FIRST_FUZZ_USER + 49 });
const user = userId.map((id) => ({ id, is_bot: false, first_name: 'Fuzz', language_code: 'ru' }));

/** Plain, huge, odd Unicode (lone surrogates, RTL marks, zero-width joiners, NUL), commands, deep links. */
const text = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', minLength: 3_000, maxLength: 5_000 }),
  fc.constantFrom('\u0000', '\uD800', '\u202Eevil', 'a\u200Db', '/start', '/start ' + 'x'.repeat(100), '/start ../../etc', '/reset', '/survey', '/contact', '/unknown_cmd', 'менеджер', 'хочу купить', 'это пирамида', '  '),
);

const privateChat = (id: number) => ({ id, type: 'private', first_name: 'Fuzz' });
const date = fc.integer({ min: 0, max: 2_000_000_000 });

const message = fc.record({
  message_id: fc.integer({ min: 1, max: 1_000_000 }),
  date,
  from: user,
  text,
}).map((m) => ({ ...m, chat: privateChat(m.from.id) }));

const contactOfOther = fc.tuple(user, fc.integer({ min: 1, max: 9_999_999_999 }), fc.string({ maxLength: 20 })).map(([from, other, phone]) => ({
  message_id: 1,
  date: 1_700_000_000,
  from,
  chat: privateChat(from.id),
  contact: { phone_number: phone, first_name: 'Someone', user_id: other },
}));

const callbackQuery = fc.tuple(user, fc.oneof(fc.string({ maxLength: 64 }), fc.string({ unit: 'binary', maxLength: 100 }), fc.constantFrom('b:bonus', 'pay:1:full', 'handoff:take:1', 'survey:q1:trading', 'staff:ban:1', '')), fc.option(fc.integer({ min: 1, max: 100 }))).map(
  ([from, data, messageId]) => ({
    id: `fuzz-${from.id}-${data.length}`,
    from,
    chat_instance: '1',
    data,
    ...(messageId !== null && { message: { message_id: messageId, date: 1_700_000_000, chat: privateChat(from.id) } }),
  }),
);

const groupMessage = fc.tuple(user, text, fc.integer({ min: -1_009_999_999_999, max: -1 })).map(([from, body, chatId]) => ({
  message_id: 1,
  date: 1_700_000_000,
  from,
  chat: { id: chatId, type: chatId < -1_000_000_000_000 ? 'supergroup' : 'group', title: 'Fuzz group' },
  text: body,
}));

const channelPost = fc.tuple(text, fc.integer({ min: -1_009_999_999_999, max: -1_000_000_000_000 })).map(([body, chatId]) => ({
  message_id: 1,
  date: 1_700_000_000,
  chat: { id: chatId, type: 'channel', title: 'Fuzz channel' },
  text: body,
}));

const media = user.map((from) => ({
  message_id: 1,
  date: 1_700_000_000,
  from,
  chat: privateChat(from.id),
  sticker: { file_id: 'x', file_unique_id: 'y', type: 'regular', width: 1, height: 1, is_animated: false, is_video: false },
}));

/** Any JSON where a field should be: missing objects, wrong types, nulls, arrays. */
const junk = fc.oneof(fc.constant(null), fc.constant({}), fc.jsonValue({ maxDepth: 2 }));
const brokenMessage = fc.tuple(message, fc.constantFrom('from', 'chat', 'message_id', 'date', 'text'), junk).map(([m, field, value]) => {
  const broken: Record<string, unknown> = { ...m };
  if (value === null) delete broken[field];
  else broken[field] = value;
  return broken;
});

export const fuzzedUpdate: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  message.map((m) => ({ message: m })),
  brokenMessage.map((m) => ({ message: m })),
  contactOfOther.map((m) => ({ message: m })),
  media.map((m) => ({ message: m })),
  callbackQuery.map((q) => ({ callback_query: q })),
  message.map((m) => ({ edited_message: m })),
  groupMessage.map((m) => ({ message: m })),
  channelPost.map((m) => ({ channel_post: m })),
  fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), junk).map(([kind, value]) => ({ [`fuzz_${kind}`]: value })),
  fc.constant({}),
);

/** `count` updates from a fixed seed, so a failing run can be repeated exactly. */
export function sampleUpdates(count: number, seed: number): Record<string, unknown>[] {
  return fc.sample(fuzzedUpdate, { numRuns: count, seed });
}
