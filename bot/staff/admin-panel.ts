import { Composer, InlineKeyboard } from 'grammy';
import { adminAction, menuFor, type AdminActionId } from '../../domain/staff/admin-menu';
import { COMPOSER_FLOW } from '../../domain/broadcasts/broadcast-draft';
import { BONUS_FILE_KEY } from '../../domain/content';
import type { Language } from '../../domain/language';
import { auditStaffCommand, listStaff, roleOf } from '../../db/staff';
import { dialogOf, setDialog, takeDialog, type StaffDialog } from '../../db/staff-dialogs';
import { BROADCAST_TEXTS } from '../broadcasts/broadcast-texts';
import type { BotContext } from '../context';
import {
  CONTENT_IDS,
  CONTENT_TEXTS,
  contentOverview,
  publishContent,
  receiveBonusFile,
  receiveContentText,
  startContentEdit,
  startFileReplace,
  type ContentEditingDeps,
} from './content-editing';
import { answerLeadSearch, type LeadCardDeps } from '../handoffs/lead-card';
import { knowledgeOverview } from './knowledge-panel';
import { changeMaterialStatus, materialsOverview } from './materials-panel';
import { productsOverview } from './product-editor';
import { actingRole, requireRole } from '../staff-access';
import { followUpTemplateList } from './template-editing';

export interface AdminPanelDeps extends LeadCardDeps, ContentEditingDeps {
  /** The scenario's follow-up texts by id, per language (the /templates listing). */
  followUpDefaults(language: Language): Record<string, string>;
}

const SCOPE = 'adm';

const TEXTS = {
  refused: '⛔ Панель доступна только команде школы. Попытка записана.',
  menu: (role: string) => `🛠 Панель управления (ваша роль: ${role}). Что сделать?`,
  leadPrompt: 'Пришлите @username, telegram id или телефон лида. /cancel — отмена.',
  stale: 'Эта кнопка устарела: откройте /admin заново.',
  broadcast: 'Новая рассылка: /broadcast',
  staff: (owners: readonly number[], staff: { telegramUserId: number; role: string }[]) =>
    [
      '👥 Команда:',
      ...owners.map((id) => `• ${id} — owner (из настроек)`),
      ...staff.map((s) => `• ${s.telegramUserId} — ${s.role}`),
      '',
      'Изменить: /staff_add <id> <admin|editor|manager>, /staff_remove <id>',
    ].join('\n'),
};

/** A broadcast being composed is not an edit of a text: it says that nothing was kept or sent. */
function cancelledText(dialog: StaffDialog): string {
  return dialog.kind === 'flow' && dialog.flow === COMPOSER_FLOW ? BROADCAST_TEXTS.cancelled : CONTENT_TEXTS.cancelled;
}

/**
 * `/admin`: a menu of what the caller's role allows (docs/people-and-roles.md). Every button re-checks
 * the role when pressed (a role taken away since the menu was shown stops working at once) and
 * every press is recorded. Content editing and lead search continue as durable dialogs.
 */
export function adminPanel(deps: AdminPanelDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  privateChats.command('admin', async (ctx) => {
    const actor = ctx.from.id;
    const { role, why } = await actingRole(deps, ctx.from, ctx.chat.id);
    const actions = menuFor(role);
    await auditStaffCommand(deps.db, { actor, actorRole: role, command: 'admin', details: { shown: actions.map((a) => a.id) }, allowed: actions.length > 0, reason: role ? undefined : (why ?? 'not staff') });
    if (!role) return void (await ctx.reply(TEXTS.refused));
    const keyboard = new InlineKeyboard();
    for (const action of actions) keyboard.text(action.label, 'data' in action ? action.data : `${SCOPE}:${action.id}`).row();
    await ctx.reply(TEXTS.menu(role), { reply_markup: keyboard });
  });

  /** An ended dialog is recorded like every other staff action (a broadcast draft thrown away, say). */
  async function recordCancel(actor: number, dialog: StaffDialog): Promise<void> {
    const details = dialog.kind === 'flow' ? { kind: dialog.kind, flow: dialog.flow } : { kind: dialog.kind };
    await auditStaffCommand(deps.db, { actor, actorRole: await roleOf(deps.db, actor, deps.owners), command: 'dialog_cancelled', details, allowed: true });
  }

  /** What each panel button answers with. */
  async function open(id: AdminActionId, actor: number): Promise<Parameters<BotContext['reply']>> {
    switch (id) {
      case 'lead':
        await setDialog(deps.db, actor, { kind: 'lead_search' });
        return [TEXTS.leadPrompt, { reply_markup: new InlineKeyboard().text('✖️ Отмена', `${SCOPE}:cancel`) }];
      case 'welcome':
        return contentOverview(deps, 'welcome.text');
      case 'bonus':
        return contentOverview(deps, 'bonus.caption');
      case 'templates':
        return [await followUpTemplateList(deps)];
      case 'materials':
        return materialsOverview(deps.db);
      case 'knowledge': // its button carries the knowledge panel's own data; this answers a hand-typed adm:knowledge
        return knowledgeOverview(deps, 'ru');
      case 'products':
        return productsOverview(deps);
      case 'staff':
        return [TEXTS.staff(deps.owners, await listStaff(deps.db))];
      case 'broadcast': // its button carries the composer's own data; this answers a hand-typed adm:broadcast
        return [TEXTS.broadcast];
    }
  }

  privateChats.callbackQuery(/^adm:edit:([a-z]+):(ru|en)$/, async (ctx) => {
    const key = CONTENT_IDS[ctx.match[1]];
    const language = ctx.match[2] as Language;
    if (!key) return void (await ctx.answerCallbackQuery({ text: TEXTS.stale }).catch(() => undefined));
    if (!(await requireRole(deps, ctx, 'editor', 'content_edit', { key, language }))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    await startContentEdit(deps, ctx, key, language);
  });

  privateChats.callbackQuery(/^adm:file:bonus:(ru|en)$/, async (ctx) => {
    const language = ctx.match[1] as Language;
    if (!(await requireRole(deps, ctx, 'editor', 'content_file', { language }))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    await startFileReplace(deps, ctx, language);
  });

  privateChats.callbackQuery(/^adm:mat:(\d+):(ready|archived)$/, async (ctx) => {
    const [id, status] = [Number(ctx.match[1]), ctx.match[2] as 'ready' | 'archived'];
    if (!(await requireRole(deps, ctx, 'editor', 'material_status', { id, status }))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    await changeMaterialStatus(deps, ctx, id, status);
  });

  privateChats.callbackQuery('adm:publish', async (ctx) => {
    if (!(await requireRole(deps, ctx, 'editor', 'content_publish'))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    await publishContent(deps, ctx);
  });

  privateChats.callbackQuery('adm:cancel', async (ctx) => {
    await ctx.answerCallbackQuery().catch(() => undefined);
    const taken = await takeDialog(deps.db, ctx.from.id);
    if (taken) await recordCancel(ctx.from.id, taken);
    await ctx.reply(taken ? cancelledText(taken) : CONTENT_TEXTS.nothing);
  });

  privateChats.command('cancel', async (ctx, next) => {
    const taken = await takeDialog(deps.db, ctx.from.id);
    if (!taken) return next(); // perhaps a follow-up template draft
    await recordCancel(ctx.from.id, taken);
    await ctx.reply(cancelledText(taken));
  });

  // After publish and cancel, which this pattern would also match.
  privateChats.callbackQuery(/^adm:([a-z]+)$/, async (ctx) => {
    const action = adminAction(ctx.match[1]);
    if (!action) return void (await ctx.answerCallbackQuery({ text: TEXTS.stale }).catch(() => undefined));
    if (!(await requireRole(deps, ctx, action.role, `admin:${action.id}`))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    await ctx.reply(...(await open(action.id, ctx.from.id)));
  });

  // The next step of a dialog: a text from someone who stands in one. Commands pass by, so
  // /cancel and the rest keep working in the middle of a dialog.
  privateChats.on('message:text', async (ctx, next) => {
    if (ctx.message.text.startsWith('/')) return next();
    const dialog = await dialogOf(deps.db, ctx.from.id);
    if (!dialog || dialog.kind === 'flow') return next(); // flows answer in their own composers
    if (dialog.kind === 'lead_search') {
      const query = ctx.message.text.trim();
      if (!(await requireRole(deps, ctx, 'manager', 'lead', { query }))) return void (await takeDialog(deps.db, ctx.from.id));
      await takeDialog(deps.db, ctx.from.id);
      return answerLeadSearch(deps, ctx, query);
    }
    if (!(await requireRole(deps, ctx, 'editor', 'content_draft', { key: dialog.key, language: dialog.language }))) return void (await takeDialog(deps.db, ctx.from.id));
    if (dialog.kind === 'content_file' || dialog.key === BONUS_FILE_KEY) return void (await ctx.reply(CONTENT_TEXTS.notAFile));
    await receiveContentText(deps, ctx, dialog, ctx.message.text);
  });

  // The bonus file: a document from an editor who was asked for one.
  privateChats.on('message:document', async (ctx, next) => {
    const dialog = await dialogOf(deps.db, ctx.from.id);
    if (dialog?.kind !== 'content_file') return next();
    if (!(await requireRole(deps, ctx, 'editor', 'content_file_sent', { language: dialog.language }))) return void (await takeDialog(deps.db, ctx.from.id));
    await receiveBonusFile(deps, ctx, dialog.language as Language, ctx.message.document.file_id);
  });

  return composer;
}
