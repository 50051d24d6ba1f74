import { Composer } from 'grammy';
import { auditStaffCommand } from '../../db/staff';
import type { Role } from '../../domain/staff/roles';
import { dialogOf, setDialog, takeDialog } from '../../db/staff-dialogs';
import type { BotContext } from '../context';
import { requireRole, type StaffAccessDeps } from '../staff-access';

/** The flow name in `staff_dialogs`: waiting for the file of one material. */
export const MATERIAL_FILE_FLOW = 'material_file';

export const MATERIAL_FILE_TEXTS = {
  usage: 'Как приложить файл к материалу: /material_file <ключ>, затем пришлите файл документом. Убрать файл: /material_file <ключ> none',
  unknown: (key: string) => `Материала с ключом «${key}» нет. Ключи — в таблице материалов (колонка key).`,
  sendFile: (title: string) => `Пришлите файл для «${title}» документом: лиды получат его файлом вместе с подборкой. /cancel — отмена.`,
  notDocument: 'Нужен файл, отправленный документом (не фото). Пришлите его или /cancel.',
  attached: (title: string) => `📎 Файл приложен к «${title}»: в подборке лид получит его файлом.`,
  removed: (title: string) => `Файл убран из «${title}»: в подборке снова только ссылка.`,
};

/**
 * `/material_file <key>`: an editor attaches a document to a material, which leads then get as the
 * file after the materials list (docs/materials-and-content.md); `none` removes it. The role is
 * checked on the command and again on the file; every change is recorded with the file before.
 */
export function materialFile(deps: StaffAccessDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');
  const findMaterial = (key: string) => deps.db('materials').where({ key }).first<{ key: string; title: string; file_id: string | null } | undefined>('key', 'title', 'file_id');
  const record = (actor: number, role: Role, details: Record<string, unknown>) =>
    auditStaffCommand(deps.db, { actor, actorRole: role, command: 'material_file_changed', details, allowed: true });

  privateChats.command('material_file', async (ctx) => {
    const [key = '', option = ''] = ctx.match.trim().split(/ +/);
    const role = await requireRole(deps, ctx, 'editor', 'material_file', { key, option });
    if (!role) return;
    if (!key) return void (await ctx.reply(MATERIAL_FILE_TEXTS.usage));
    const material = await findMaterial(key);
    if (!material) return void (await ctx.reply(MATERIAL_FILE_TEXTS.unknown(key.slice(0, 64))));
    if (option === 'none') {
      await deps.db('materials').where({ key }).update({ file_id: null, updated_at: deps.db.fn.now() });
      await record(ctx.from.id, role, { key, before: material.file_id, after: null });
      return void (await ctx.reply(MATERIAL_FILE_TEXTS.removed(material.title)));
    }
    await setDialog(deps.db, ctx.from.id, { kind: 'flow', flow: MATERIAL_FILE_FLOW, state: { key } });
    await ctx.reply(MATERIAL_FILE_TEXTS.sendFile(material.title));
  });

  privateChats.on('message', async (ctx, next) => {
    // Commands pass by before any look-up (/cancel, the panel's, ends this dialog like any other).
    if (ctx.message.text?.startsWith('/')) return next();
    const dialog = await dialogOf(deps.db, ctx.from.id);
    if (dialog?.kind !== 'flow' || dialog.flow !== MATERIAL_FILE_FLOW) return next();
    const key = String(dialog.state.key ?? '');
    // A role taken away meanwhile ends the dialog: nothing changes.
    const role = await requireRole(deps, ctx, 'editor', 'material_file_sent', { key });
    if (!role) return void (await takeDialog(deps.db, ctx.from.id));
    const document = ctx.message.document;
    if (!document) return void (await ctx.reply(MATERIAL_FILE_TEXTS.notDocument));
    const material = await findMaterial(key);
    await takeDialog(deps.db, ctx.from.id);
    if (!material) return void (await ctx.reply(MATERIAL_FILE_TEXTS.unknown(key)));
    await deps.db('materials').where({ key }).update({ file_id: document.file_id, updated_at: deps.db.fn.now() });
    await record(ctx.from.id, role, { key, before: material.file_id, after: document.file_id, name: document.file_name ?? null });
    await ctx.reply(MATERIAL_FILE_TEXTS.attached(material.title));
  });

  return composer;
}
