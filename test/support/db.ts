import { createDb, type Db } from '../../db/knex';
import { TEST_DATABASE_URL } from './paths';

export function testDb(): Db {
  return createDb(TEST_DATABASE_URL);
}

/** Rows of a lead, for assertions. */
export async function leadRows(db: Db, telegramUserId: number) {
  const lead = await db('leads').where({ telegram_user_id: telegramUserId }).first();
  if (!lead) return { lead: undefined, messages: [], events: [] };
  const messages = await db('messages').where({ lead_id: lead.id }).orderBy('id');
  const events = await db('events').where({ lead_id: lead.id }).orderBy('id');
  return { lead, messages, events };
}

let nextUser = 100_000 + Math.floor(Math.random() * 1_000_000) * 10;
/** A Telegram user id no other test in this run uses, so tests never share rows or workflows. */
export function uniqueUserId(): number {
  nextUser += 1;
  return nextUser;
}
