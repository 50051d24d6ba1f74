import type { Knex } from 'knex';
import { forgetInUpdate, oncePerUpdate } from './update-scope';

/** Every staff feature asks this of each private message: once per update (db/update-scope.ts). */
const dialogKey = (telegramUserId: number) => `staff_dialog:${telegramUserId}`;

/** Where a staff member stands in an /admin dialog. One dialog per person: a new one replaces the old. */
export type StaffDialog =
  | { kind: 'lead_search' }
  | { kind: 'content_text'; key: string; language: string }
  /** Waiting for a document to replace the file under `key` (the bonus). */
  | { kind: 'content_file'; key: string; language: string }
  | { kind: 'content_preview'; key: string; language: string; text: string }
  /** A longer dialog (the broadcast composer, the product editor): its name and its answers so far. */
  | { kind: 'flow'; flow: string; state: Record<string, unknown> };

export async function dialogOf(db: Knex, telegramUserId: number): Promise<StaffDialog | undefined> {
  return oncePerUpdate(dialogKey(telegramUserId), async () => toDialog(await db('staff_dialogs').where({ telegram_user_id: telegramUserId }).first()));
}

export async function setDialog(db: Knex, telegramUserId: number, dialog: StaffDialog): Promise<void> {
  const fields = {
    kind: dialog.kind,
    key: 'key' in dialog ? dialog.key : 'flow' in dialog ? dialog.flow : null,
    language: 'language' in dialog ? dialog.language : null,
    text: 'text' in dialog ? dialog.text : null,
    state: 'state' in dialog ? JSON.stringify(dialog.state) : null,
  };
  forgetInUpdate(dialogKey(telegramUserId));
  await db('staff_dialogs')
    .insert({ telegram_user_id: telegramUserId, ...fields })
    .onConflict('telegram_user_id')
    .merge({ ...fields, updated_at: db.fn.now() });
  forgetInUpdate(dialogKey(telegramUserId));
}

/** Ends the dialog; returns what it was, so only one of two racing presses acts on it. */
export async function takeDialog(db: Knex, telegramUserId: number): Promise<StaffDialog | undefined> {
  forgetInUpdate(dialogKey(telegramUserId));
  const [row] = await db('staff_dialogs').where({ telegram_user_id: telegramUserId }).delete().returning(['kind', 'key', 'language', 'text', 'state']);
  forgetInUpdate(dialogKey(telegramUserId));
  return toDialog(row);
}

function toDialog(row: { kind: string; key: string; language: string; text: string; state: Record<string, unknown> | null } | undefined): StaffDialog | undefined {
  if (!row) return undefined;
  if (row.kind === 'flow') return { kind: 'flow', flow: row.key, state: row.state ?? {} };
  if (row.kind === 'lead_search') return { kind: 'lead_search' };
  if (row.kind === 'content_text' || row.kind === 'content_file') return { kind: row.kind, key: row.key, language: row.language };
  return { kind: 'content_preview', key: row.key, language: row.language, text: row.text };
}
