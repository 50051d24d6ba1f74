import { InlineKeyboard } from 'grammy';
import type { Knex } from 'knex';
import type { MaterialStatus } from '../../domain/materials';
import { setMaterialStatus } from '../../db/materials';
import { auditStaffCommand, roleOf } from '../../db/staff';
import type { BotContext } from '../context';
import { IMPORT_TEXTS } from './materials-import-panel';

/** The most a panel page lists (Telegram allows 100 buttons; a page of 40 stays readable). */
const LISTED = 40;
const ICONS: Record<MaterialStatus, string> = { ready: '✅', draft: '📝', archived: '🗄' };

export const MATERIAL_TEXTS = {
  overview: (counts: { language: string; status: string; count: number }[], listed: number, total: number) =>
    [
      '📚 Материалы по статусам:',
      ...(counts.length ? counts.map((r) => `• ${r.language} ${r.status}: ${r.count}`) : ['—']),
      '',
      `Кнопка публикует (✅) или архивирует (🗄) материал${total > listed ? ` (показаны ${listed} из ${total}, свежие первыми)` : ''}.`,
      'Импорт таблицы: кнопка «Импорт из файла» (пришлите CSV или JSON) или npm run materials:import -- sheet.csv [префикс ключей] на сервере.',
    ].join('\n'),
  changed: (title: string, before: string, after: string) => `«${title}»: ${before} → ${after}.`,
  unknown: 'Такого материала больше нет: откройте «Материалы» заново.',
};

/** The catalogue by status, and a button per material that publishes or archives it. */
export async function materialsOverview(db: Knex): Promise<Parameters<BotContext['reply']>> {
  const counts: { language: string; status: string; count: string }[] = await db('materials')
    .select('language', 'status', db.raw('count(*) as count'))
    .groupBy('language', 'status')
    .orderBy(['language', 'status']);
  const rows: { id: number; title: string; language: string; status: MaterialStatus }[] = await db('materials')
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(LISTED)
    .select('id', 'title', 'language', 'status');
  const total = counts.reduce((sum, r) => sum + Number(r.count), 0);
  const keyboard = new InlineKeyboard().text(IMPORT_TEXTS.button, 'mi:start').row();
  for (const m of rows) {
    const target: MaterialStatus = m.status === 'ready' ? 'archived' : 'ready';
    const action = target === 'ready' ? '✅ Опубликовать' : '🗄 В архив';
    keyboard.text(`${ICONS[m.status]} ${m.title.slice(0, 40)} (${m.language}) — ${action}`, `adm:mat:${m.id}:${target}`).row();
  }
  return [MATERIAL_TEXTS.overview(counts.map((r) => ({ ...r, count: Number(r.count) })), rows.length, total), { reply_markup: keyboard }];
}

/**
 * Publishes or archives one material (the role is checked by the caller). The button names the
 * status to set, not "toggle": a press on an old message never flips a material back by surprise.
 */
export async function changeMaterialStatus(deps: { db: Knex; owners: readonly number[] }, ctx: BotContext, id: number, status: MaterialStatus): Promise<void> {
  const editor = ctx.from?.id as number;
  const row: { key: string; title: string; status: MaterialStatus } | undefined = await deps.db('materials').where({ id }).first('key', 'title', 'status');
  if (!row) return void (await ctx.reply(MATERIAL_TEXTS.unknown));
  await setMaterialStatus(deps.db, row.key, status);
  await auditStaffCommand(deps.db, {
    actor: editor,
    actorRole: await roleOf(deps.db, editor, deps.owners),
    command: 'material_status_changed',
    details: { key: row.key, before: row.status, after: status },
    allowed: true,
  });
  await ctx.reply(MATERIAL_TEXTS.changed(row.title, row.status, status));
}
