import { Composer } from 'grammy';
import type { Logger } from 'pino';
import type { Language } from '../../domain/language';
import type { Role } from '../../domain/staff/roles';
import { parseKnowledgeForm, type KnowledgeDraft } from '../../domain/staff/knowledge-form';
import { splitText } from '../../domain/split-text';
import { countEntries, createEntry, deleteEntry, getEntry, KnowledgeKeyTakenError, listEntries, updateEntry } from '../../db/knowledge';
import { auditStaffCommand } from '../../db/staff';
import { dialogOf, setDialog, takeDialog } from '../../db/staff-dialogs';
import type { BotContext } from '../context';
import { requireRole, type StaffAccessDeps } from '../staff-access';
import { entryView, KNOWLEDGE_TEXTS, knowledgePage } from './knowledge-panel-view';

export interface KnowledgePanelDeps extends StaffAccessDeps {
  logger: Logger;
}

/** The flow name in `staff_dialogs`: an editor writing a new entry or a change to one. */
export const KNOWLEDGE_FLOW = 'knowledge_editor';

/** Kept as JSON in `staff_dialogs`, so a restart between the prompt and the answer loses nothing. */
interface KnowledgeEditorState {
  /** null: a new entry. */
  entryId: number | null;
  language: Language;
}

/** Entries on one page of the panel: with the section's buttons, well under Telegram's 100 and readable. */
export const ENTRIES_PER_PAGE = 30;

/** The knowledge-base page of /admin for a language (`page` from 0). */
export async function knowledgeOverview(deps: { db: StaffAccessDeps['db'] }, language: Language, page = 0): Promise<Parameters<BotContext['reply']>> {
  const [{ entries, total }, counts] = await Promise.all([listEntries(deps.db, language, ENTRIES_PER_PAGE, page * ENTRIES_PER_PAGE), countEntries(deps.db)]);
  const [text, extra] = knowledgePage(language, entries, total, counts, page, ENTRIES_PER_PAGE);
  return [text, extra];
}

/**
 * The knowledge base in /admin (docs/knowledge-base.md), for editors and above: list the entries of a
 * language, open one, add, change (the entry comes back as a message to copy, change and send) or
 * delete it. Every press and every answer re-checks the role; every change is recorded in
 * `staff_audit` with the entry before and after.
 */
export function knowledgePanel(deps: KnowledgePanelDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  const stateOf = async (actor: number): Promise<KnowledgeEditorState | undefined> => {
    const dialog = await dialogOf(deps.db, actor);
    return dialog?.kind === 'flow' && dialog.flow === KNOWLEDGE_FLOW ? (dialog.state as unknown as KnowledgeEditorState) : undefined;
  };

  async function reply(ctx: BotContext, [text, extra]: readonly [string, Parameters<BotContext['reply']>[1]?]): Promise<void> {
    const parts = splitText(text);
    for (const [i, part] of parts.entries()) await ctx.reply(part, i === parts.length - 1 ? extra : undefined);
  }

  privateChats.callbackQuery(/^kb:list:(ru|en)(?::(\d{1,4}))?$/, async (ctx) => {
    const language = ctx.match[1] as Language;
    const page = Number(ctx.match[2] ?? 0);
    if (!(await requireRole(deps, ctx, 'editor', 'knowledge_list', { language, page }))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    await reply(ctx, (await knowledgeOverview(deps, language, page)) as [string, Parameters<BotContext['reply']>[1]]);
  });

  privateChats.callbackQuery(/^kb:open:(\d+)$/, async (ctx) => {
    const id = Number(ctx.match[1]);
    if (!(await requireRole(deps, ctx, 'editor', 'knowledge_open', { id }))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    const entry = await getEntry(deps.db, id);
    if (!entry) return void (await ctx.reply(KNOWLEDGE_TEXTS.gone));
    await reply(ctx, entryView(entry));
  });

  privateChats.callbackQuery(/^kb:new:(ru|en)$/, async (ctx) => {
    const language = ctx.match[1] as Language;
    if (!(await requireRole(deps, ctx, 'editor', 'knowledge_new', { language }))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    await setDialog(deps.db, ctx.from.id, { kind: 'flow', flow: KNOWLEDGE_FLOW, state: { entryId: null, language } });
    await ctx.reply(KNOWLEDGE_TEXTS.newPrompt(language));
  });

  privateChats.callbackQuery(/^kb:edit:(\d+)$/, async (ctx) => {
    const id = Number(ctx.match[1]);
    if (!(await requireRole(deps, ctx, 'editor', 'knowledge_edit', { id }))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    const entry = await getEntry(deps.db, id);
    if (!entry) return void (await ctx.reply(KNOWLEDGE_TEXTS.gone));
    await setDialog(deps.db, ctx.from.id, { kind: 'flow', flow: KNOWLEDGE_FLOW, state: { entryId: id, language: entry.language } });
    await reply(ctx, [KNOWLEDGE_TEXTS.editPrompt(entry)]);
  });

  privateChats.callbackQuery(/^kb:del:(\d+)$/, async (ctx) => {
    const id = Number(ctx.match[1]);
    if (!(await requireRole(deps, ctx, 'editor', 'knowledge_delete_ask', { id }))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    const entry = await getEntry(deps.db, id);
    if (!entry) return void (await ctx.reply(KNOWLEDGE_TEXTS.gone));
    await ctx.reply(KNOWLEDGE_TEXTS.deleteAsk(entry), {
      reply_markup: { inline_keyboard: [[{ text: KNOWLEDGE_TEXTS.confirmDelete, callback_data: `kb:delok:${id}` }, { text: KNOWLEDGE_TEXTS.keep, callback_data: `kb:open:${id}` }]] },
    });
  });

  privateChats.callbackQuery(/^kb:delok:(\d+)$/, async (ctx) => {
    const id = Number(ctx.match[1]);
    const role = await requireRole(deps, ctx, 'editor', 'knowledge_delete', { id });
    if (!role) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    const before = await deleteEntry(deps.db, id);
    if (!before) return void (await ctx.reply(KNOWLEDGE_TEXTS.gone));
    await auditStaffCommand(deps.db, { actor: ctx.from.id, actorRole: role, command: 'knowledge_deleted', details: { id, before }, allowed: true });
    deps.logger.info({ editor: ctx.from.id, entry: before.key, language: before.language }, 'knowledge entry deleted');
    await ctx.reply(KNOWLEDGE_TEXTS.deleted(before));
  });

  // The entry: the next text of an editor standing in this dialog. Commands pass by (/cancel).
  privateChats.on('message:text', async (ctx, next) => {
    if (ctx.message.text.startsWith('/')) return next();
    const state = await stateOf(ctx.from.id);
    if (!state) return next();
    const role = await requireRole(deps, ctx, 'editor', 'knowledge_save', { entryId: state.entryId });
    if (!role) return void (await takeDialog(deps.db, ctx.from.id));
    const parsed = parseKnowledgeForm(ctx.message.text);
    if (!parsed.ok) return void (await ctx.reply(KNOWLEDGE_TEXTS.problem(parsed.problem)));
    if (state.entryId !== null && parsed.draft.language && parsed.draft.language !== state.language) return void (await ctx.reply(KNOWLEDGE_TEXTS.languageFixed));
    await save(ctx, ctx.from.id, role, state, parsed.draft);
  });

  async function save(ctx: BotContext, actor: number, role: Role, state: KnowledgeEditorState, draft: KnowledgeDraft): Promise<void> {
    const fields = { ...draft, language: state.language };
    let before = null;
    let saved;
    try {
      if (state.entryId === null) {
        saved = await createEntry(deps.db, fields, actor);
      } else {
        const current = await getEntry(deps.db, state.entryId);
        const changed = current && (await updateEntry(deps.db, state.entryId, { ...fields, key: draft.key ?? current.key }, actor));
        if (!changed) {
          await takeDialog(deps.db, actor);
          return void (await ctx.reply(KNOWLEDGE_TEXTS.gone));
        }
        ({ before, after: saved } = changed);
      }
    } catch (error) {
      if (!(error instanceof KnowledgeKeyTakenError)) throw error;
      return void (await ctx.reply(KNOWLEDGE_TEXTS.keyTaken(error.key, error.language)));
    }
    await takeDialog(deps.db, actor);
    await auditStaffCommand(deps.db, {
      actor,
      actorRole: role,
      command: before ? 'knowledge_changed' : 'knowledge_added',
      details: { id: saved.id, before, after: saved },
      allowed: true,
    });
    deps.logger.info({ editor: actor, entry: saved.key, language: saved.language, created: !before }, 'knowledge entry saved');
    await reply(ctx, [KNOWLEDGE_TEXTS.saved(saved, !before)]);
  }

  return composer;
}
