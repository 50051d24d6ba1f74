import type { Knex } from 'knex';

export type DraftStatus = 'pending' | 'approved' | 'edited' | 'rejected' | 'expired';

export interface DraftRow {
  id: number;
  lead_id: number;
  telegram_user_id: number;
  draft: string;
  chat_id: number;
  chat_message_id: number | null;
  status: DraftStatus;
  final_text: string | null;
  decided_by: number | null;
}

/** Stores a draft for approval once per idempotency key; returns its id. */
export async function createDraft(
  db: Knex,
  draft: { leadId: number; telegramUserId: number; text: string; chatId: number; idempotencyKey: string },
): Promise<number> {
  const [inserted] = await db('llm_drafts')
    .insert({ lead_id: draft.leadId, telegram_user_id: draft.telegramUserId, draft: draft.text, chat_id: draft.chatId, idempotency_key: draft.idempotencyKey })
    .onConflict('idempotency_key')
    .ignore()
    .returning('id');
  if (inserted) return Number(inserted.id);
  const existing = await db('llm_drafts').where({ idempotency_key: draft.idempotencyKey }).first('id');
  return Number(existing.id);
}

export async function setDraftMessage(db: Knex, draftId: number, chatMessageId: number): Promise<void> {
  await db('llm_drafts').where({ id: draftId }).update({ chat_message_id: chatMessageId, updated_at: db.fn.now() });
}

export async function settleDraft(db: Knex, draftId: number, outcome: { status: DraftStatus; finalText?: string; decidedBy?: number }): Promise<void> {
  await db('llm_drafts')
    .where({ id: draftId, status: 'pending' })
    .update({ status: outcome.status, final_text: outcome.finalText ?? null, decided_by: outcome.decidedBy ?? null, updated_at: db.fn.now() });
}

export async function findDraft(db: Knex, id: number): Promise<DraftRow | undefined> {
  return db<DraftRow>('llm_drafts').where({ id }).first();
}

/** The pending draft a manager replied to in the managers' chat. */
export async function findPendingDraftByMessage(db: Knex, chatId: number, chatMessageId: number): Promise<DraftRow | undefined> {
  return db<DraftRow>('llm_drafts').where({ chat_id: chatId, chat_message_id: chatMessageId, status: 'pending' }).first();
}
