import type { Knex } from 'knex';

/** The editors' text for a template key, or undefined when the scenario's default stands. */
export async function templateOverride(db: Knex, key: string, language: string): Promise<string | undefined> {
  const row = await db('message_templates').where({ key, language }).first('text');
  return row?.text;
}

export async function publishTemplate(db: Knex, template: { key: string; language: string; text: string; editor: number }): Promise<void> {
  await db('message_templates')
    .insert({ key: template.key, language: template.language, text: template.text, updated_by: template.editor })
    .onConflict(['key', 'language'])
    .merge({ text: template.text, updated_by: template.editor, updated_at: db.fn.now() });
}

export async function saveTemplateDraft(db: Knex, draft: { editor: number; key: string; language: string; text: string }): Promise<void> {
  await db('template_drafts')
    .insert({ editor_telegram_id: draft.editor, key: draft.key, language: draft.language, text: draft.text })
    .onConflict('editor_telegram_id')
    .merge({ key: draft.key, language: draft.language, text: draft.text, created_at: db.fn.now() });
}

export async function takeTemplateDraft(db: Knex, editor: number): Promise<{ key: string; language: string; text: string } | undefined> {
  const [row] = await db('template_drafts').where({ editor_telegram_id: editor }).delete().returning(['key', 'language', 'text']);
  return row;
}
