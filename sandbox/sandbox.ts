import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Config } from '../config';
import type { Db } from '../db/knex';
import { setStaffRole } from '../db/staff';
import { SANDBOX_BOT_TOKEN, SANDBOX_MANAGER, SANDBOX_MANAGERS_CHAT, SANDBOX_OWNER, SandboxPeople } from './sandbox-world';
import { FakeTelegramServer } from './telegram-server';

export interface Sandbox {
  telegram: FakeTelegramServer;
  people: SandboxPeople;
  /** The configuration with the bot pointed at the sandbox's Telegram, long polling, its owner and managers' chat. */
  config: Config;
  stop(): Promise<void>;
}

/** `npm start` without TELEGRAM_BOT_TOKEN, or with SANDBOX=1. */
export const wantsSandbox = (config: Config): boolean => config.SANDBOX || !config.TELEGRAM_BOT_TOKEN;

/**
 * The sandbox's Telegram: a local Bot API server (the one the tests use) that the unchanged bot,
 * workflows and activities talk to. Seeded so the first visitor is an owner (ADMIN_TELEGRAM_IDS,
 * unless set) and the managers' chat exists (MANAGERS_CHAT_ID, unless set) with the owner and a
 * manager in it. Ids start from the clock so a restart on the same database is never mistaken for
 * updates the leads' conversations already handled.
 */
export async function startSandbox(config: Config): Promise<Sandbox> {
  const telegram = await FakeTelegramServer.start({
    token: SANDBOX_BOT_TOKEN,
    botUser: { first_name: 'School Bot', username: 'sandbox_school_bot' },
    firstUpdateId: Date.now(),
    firstMessageId: Math.floor((Date.now() - Date.UTC(2025, 0, 1)) / 1000),
  });
  const managersChatId = config.MANAGERS_CHAT_ID ?? SANDBOX_MANAGERS_CHAT.id;
  telegram.addGroup(managersChatId, SANDBOX_MANAGERS_CHAT.title);
  telegram.addChatMember(managersChatId, SANDBOX_OWNER.id, 'creator');
  telegram.addChatMember(managersChatId, SANDBOX_MANAGER.id, 'member');
  return {
    telegram,
    people: new SandboxPeople(join(resolve(config.DATA_DIR), 'sandbox-users.json')),
    config: {
      ...config,
      TELEGRAM_BOT_TOKEN: SANDBOX_BOT_TOKEN,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_WEBHOOK_URL: undefined,
      ADMIN_TELEGRAM_IDS: config.ADMIN_TELEGRAM_IDS.length ? config.ADMIN_TELEGRAM_IDS : [SANDBOX_OWNER.id],
      MANAGERS_CHAT_ID: managersChatId,
      // The page pays test payment links through the payment webhook, signed with this.
      PAYMENT_WEBHOOK_SECRET: config.PAYMENT_WEBHOOK_SECRET ?? randomBytes(24).toString('hex'),
    },
    stop: () => telegram.stop(),
  };
}

/** The seeded manager gets the manager role (once the database is migrated). */
export async function seedSandboxStaff(db: Db, owners: readonly number[]): Promise<void> {
  await setStaffRole(db, SANDBOX_MANAGER.id, 'manager', owners[0] ?? SANDBOX_OWNER.id);
}
