import type { Knex } from 'knex';

/** A note longer than this is cut: the card shows notes among other sections. */
export const NOTE_MAX = 1000;

export interface LeadNote {
  authorName: string;
  text: string;
  createdAt: Date;
}

/** Adds a note once per `sourceKey` (the update that wrote it); false when it was added already. */
export async function addLeadNote(db: Knex, note: { leadId: number; authorId: number; authorName: string; text: string; sourceKey: string }): Promise<boolean> {
  const rows = await db('lead_notes')
    .insert({ lead_id: note.leadId, author_telegram_id: note.authorId, author_name: note.authorName, text: note.text.slice(0, NOTE_MAX), source_key: note.sourceKey })
    .onConflict('source_key')
    .ignore()
    .returning('id');
  return rows.length > 0;
}

/** The lead's latest notes, newest first. */
export async function notesOf(db: Knex, leadId: number, limit = 10): Promise<LeadNote[]> {
  const rows = await db('lead_notes').where({ lead_id: leadId }).orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit).select('author_name', 'text', 'created_at');
  return rows.map((r) => ({ authorName: r.author_name, text: r.text, createdAt: new Date(r.created_at) }));
}
