import type { Update } from 'grammy/types';
import pino from 'pino';
import { createBot } from '../../bot/bot';
import type { Db } from '../../db/knex';
import { setStaffRole } from '../../db/staff';
import type { Role } from '../../domain/staff/roles';
import { defaultScenarioPath, loadScenarioFile } from '../../scenarios/loader';
import type { FakeTelegramServer } from '../fakes/telegram-server';
import { uniqueUserId } from './db';
import { textUpdate } from './updates';

export const STAFF_BOT_TOKEN = '123456:TEST-token-for-the-fake-server';
const silent = pino({ level: 'silent' });

/**
 * Drives the /admin panel the way a staff member does, through a new bot instance for every
 * update: a dialog must survive a restart, so nothing may live in memory between two updates.
 */
export function staffBot(fake: FakeTelegramServer, db: Db, owner: number) {
  const delivered: unknown[] = [];
  async function freshBot() {
    const bot = createBot({
      token: STAFF_BOT_TOKEN,
      apiRoot: fake.apiRoot,
      logger: silent,
      conversations: { deliver: async (event) => void delivered.push(event) },
      panel: {
        db,
        owners: [owner],
        logger: silent,
        timeZone: 'Europe/Moscow',
        followUpDefaults: () => ({}),
        scenario: (language) => loadScenarioFile(defaultScenarioPath(language)),
      },
    });
    await bot.init();
    return bot;
  }
  const user = (id: number) => ({ id, first_name: 'Ольга' });
  const sent = (to: number) => fake.callsTo('sendMessage', to);
  return {
    delivered,
    async staffMember(role: Exclude<Role, 'owner'>): Promise<number> {
      const id = uniqueUserId();
      await setStaffRole(db, id, role, owner);
      return id;
    },
    async say(from: number, text: string): Promise<void> {
      await (await freshBot()).handleUpdate(textUpdate(user(from), text) as unknown as Update);
    },
    /** A message with a document or photo instead of text. */
    async send(from: number, content: Record<string, unknown>): Promise<void> {
      const message = textUpdate(user(from), 'x');
      const { text: _text, ...withoutText } = message.message;
      await (await freshBot()).handleUpdate({ update_id: message.update_id, message: { ...withoutText, ...content } } as unknown as Update);
    },
    /** A button press through the fake, so it knows the query and accepts one answer, like Telegram. */
    async press(from: number, data: string): Promise<void> {
      const bot = await freshBot();
      const updateId = fake.pushCallback(user(from), data, { message_id: 1 });
      const [update] = await bot.api.getUpdates({ offset: updateId, limit: 1, timeout: 0 });
      await bot.handleUpdate(update);
    },
    sent,
    lastText: (to: number) => String(sent(to).at(-1)?.params.text),
    /** Texts sent to `to` after the first `from` messages. */
    textsSince: (to: number, from: number) => sent(to).slice(from).map((c) => String(c.params.text)),
    /** The buttons of the last message with a keyboard sent to `to`. */
    buttons(to: number): { text: string; callback_data: string }[] {
      const markup = sent(to).filter((c) => c.params.reply_markup).at(-1)?.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] } | undefined;
      return markup?.inline_keyboard.flat() ?? [];
    },
  };
}
