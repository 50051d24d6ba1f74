import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FakeUser } from './telegram-server';

/** The sandbox's bot token (the bot's id is its first part); not a secret, it opens nothing real. */
export const SANDBOX_BOT_TOKEN = '7000000001:sandbox-bot-token-not-a-real-one';
/** The first visitor acts as this owner (ADMIN_TELEGRAM_IDS of the sandbox). */
export const SANDBOX_OWNER: SandboxUser = { id: 1001, first_name: 'Olga', last_name: '(owner)', username: 'sandbox_owner', language_code: 'ru' };
/** A manager, a member of the managers' chat with the manager role. */
export const SANDBOX_MANAGER: SandboxUser = { id: 1002, first_name: 'Maria', last_name: '(manager)', username: 'sandbox_manager', language_code: 'ru' };
/** MANAGERS_CHAT_ID of the sandbox. */
export const SANDBOX_MANAGERS_CHAT = { id: -1001000000001, title: 'Managers' };
/** Leads the page creates get ids from here on. */
const FIRST_LEAD_ID = 5001;

export interface SandboxUser extends FakeUser {
  first_name: string;
}

/**
 * Who exists in the sandbox's Telegram: the seeded owner and manager, and the leads a person creates
 * on the page, kept in a JSON file beside the embedded data, so a lead is the same Telegram user
 * (and the same lead in Postgres) after a restart.
 */
export class SandboxPeople {
  private readonly users: SandboxUser[];

  constructor(private readonly file?: string) {
    const saved = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SandboxUser[]) : [];
    this.users = [SANDBOX_OWNER, SANDBOX_MANAGER, ...saved.filter((u) => u.id !== SANDBOX_OWNER.id && u.id !== SANDBOX_MANAGER.id)];
  }

  list(): SandboxUser[] {
    return [...this.users];
  }

  find(id: number): SandboxUser | undefined {
    return this.users.find((user) => user.id === id);
  }

  add(person: { first_name: string; username?: string; language_code?: string }): SandboxUser {
    const id = Math.max(FIRST_LEAD_ID - 1, ...this.users.map((u) => u.id)) + 1;
    const user: SandboxUser = {
      id,
      first_name: person.first_name.trim().slice(0, 64) || `Lead ${id}`,
      ...(person.username?.trim() && { username: person.username.trim().replace(/^@/, '').slice(0, 32) }),
      language_code: person.language_code === 'en' ? 'en' : 'ru',
    };
    this.users.push(user);
    if (this.file) {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(this.file, JSON.stringify(this.users.slice(2), null, 2));
    }
    return user;
  }
}
