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

// Each test file counts from its own random start (files do not share this module); starts 100,000
// apart among ten million keep one file's ids off another's even when it makes thousands of leads
// (starts 10 apart collided in a full run: a lead already there).
let nextUser = 100_000 + Math.floor(Math.random() * 10_000_000) * 100_000;
/** A Telegram user id no other test in this run uses, so tests never share rows or workflows. */
export function uniqueUserId(): number {
  nextUser += 1;
  return nextUser;
}
