import type { Knex } from 'knex';

/** The editors' text for a template key, or undefined when the scenario's default stands. */
export async function templateOverride(db: Knex, key: string, language: string): Promise<string | undefined> {
  const row = await db('message_templates').where({ key, language }).first('text');
  return row?.text;
}

/** The editors' text and file for a template key; undefined when the scenario's default stands. */
export async function templateWithDocument(db: Knex, key: string, language: string): Promise<{ text: string; document: string | null } | undefined> {
  const row = await db('message_templates').where({ key, language }).first('text', 'document');
  return row && { text: row.text, document: row.document ?? null };
}

/** Publishes the text; the file changes only when the draft changes it (`document`: null removes it). */
export async function publishTemplate(db: Knex, template: { key: string; language: string; text: string; editor: number; document?: string | null }): Promise<void> {
  const file = template.document === undefined ? {} : { document: template.document };
  await db('message_templates')
    .insert({ key: template.key, language: template.language, text: template.text, updated_by: template.editor, ...file })
    .onConflict(['key', 'language'])
    .merge({ text: template.text, updated_by: template.editor, updated_at: db.fn.now(), ...file });
}

export interface TemplateDraft {
  key: string;
  language: string;
  text: string;
  /** Set when the draft changes the file: a `tg:<file_id>`, or null to remove it. */
  document?: string | null;
  /** The editor was asked to send the file and has not yet. */
  awaitingDocument?: boolean;
}

export async function saveTemplateDraft(db: Knex, draft: TemplateDraft & { editor: number }): Promise<void> {
  const row = {
    key: draft.key,
    language: draft.language,
    text: draft.text,
    document: draft.document ?? null,
    document_change: draft.document !== undefined,
    awaiting_document: draft.awaitingDocument ?? false,
  };
  await db('template_drafts')
    .insert({ editor_telegram_id: draft.editor, ...row })
    .onConflict('editor_telegram_id')
    .merge({ ...row, created_at: db.fn.now() });
}

/** The editor's draft, without taking it. */
export async function peekTemplateDraft(db: Knex, editor: number): Promise<TemplateDraft | undefined> {
  const row = await db('template_drafts').where({ editor_telegram_id: editor }).first();
  return row && toDraft(row);
}

export async function takeTemplateDraft(db: Knex, editor: number): Promise<TemplateDraft | undefined> {
  const [row] = await db('template_drafts').where({ editor_telegram_id: editor }).delete().returning('*');
  return row && toDraft(row);
}

function toDraft(row: { key: string; language: string; text: string; document: string | null; document_change: boolean; awaiting_document: boolean }): TemplateDraft {
  return {
    key: row.key,
    language: row.language,
    text: row.text,
    ...(row.document_change && { document: row.document }),
    awaitingDocument: row.awaiting_document,
  };
}
