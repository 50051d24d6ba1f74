import { Composer, GrammyError, InlineKeyboard } from 'grammy';
import type { Logger } from 'pino';
import { splitText } from '../../domain/split-text';
import {
  DuplicateMaterialKeyError,
  EmptyMaterialsImportError,
  MaterialKeyOutsideScopeError,
  MaterialsFileError,
  readMaterialsFile,
  syncMaterials,
  type ImportReport,
  type ImportRowError,
} from '../../db/materials-import';
import { auditStaffCommand } from '../../db/staff';
import { dialogOf, setDialog, takeDialog } from '../../db/staff-dialogs';
import type { BotContext } from '../context';
import { requireRole, type StaffAccessDeps } from '../staff-access';
import { TelegramDownloadError, type DownloadFile } from '../telegram-files';

export interface MaterialsImportDeps extends StaffAccessDeps {
  logger: Logger;
  /** Fetches a file the editor sent, by its Telegram file path. */
  download: DownloadFile;
}

/** The flow name in `staff_dialogs`: waiting for the catalogue file. */
export const MATERIALS_IMPORT_FLOW = 'materials_import';
/** A catalogue of thousands of rows is well under this; anything bigger is not a materials sheet. */
const MAX_FILE_BYTES = 2 * 1024 * 1024;

export const IMPORT_TEXTS = {
  button: '📥 Импорт из файла (Excel/CSV/JSON)',
  prompt: [
    'Пришлите файл каталога документом: .xlsx (Excel: первый лист, в первой строке названия столбцов), .csv или .json (как для npm run materials:import).',
    'Новые строки добавятся, изменённые станут новой версией, а материалы, которых нет в файле, уйдут в архив.',
    'Если файл — только часть каталога, напишите в подписи к файлу префикс его ключей (например ru-): тогда архивируются только материалы с этим префиксом.',
    '/cancel — отмена.',
  ].join('\n'),
  notAFile: 'Нужен файл .xlsx, .csv или .json, отправленный документом. Пришлите его или /cancel.',
  wrongType: (name: string) => `«${name}» — не .xlsx, не .csv и не .json. Пришлите файл каталога или /cancel.`,
  tooBig: (bytes: number) => `Файл слишком большой (${Math.ceil(bytes / 1024)} КБ, можно до ${MAX_FILE_BYTES / 1024 / 1024} МБ).`,
  downloadFailed: 'Не удалось получить файл у Telegram. Пришлите его ещё раз или /cancel.',
  apply: '✅ Применить',
  cancel: '✖️ Отменить',
  cancelled: 'Импорт отменён, каталог не изменился.',
  stale: 'Этой проверки больше нет: пришлите файл заново.',
  broken: (why: string) => `❌ Файл не импортирован, каталог не изменился.\n${why}\nИсправьте файл и пришлите снова или /cancel.`,
};

/**
 * The materials importer from Telegram (docs/materials-and-content.md): an editor presses the button in the
 * materials section and sends the sheet as a document; the same delta sync as the command line
 * runs on it, in one transaction, and the editor gets the report. A file that cannot be read
 * changes nothing and the dialog waits for a corrected one.
 */
export function materialsImport(deps: MaterialsImportDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');
  const waiting = async (actor: number) => {
    const dialog = await dialogOf(deps.db, actor);
    return dialog?.kind === 'flow' && dialog.flow === MATERIALS_IMPORT_FLOW;
  };

  privateChats.callbackQuery('mi:start', async (ctx) => {
    if (!(await requireRole(deps, ctx, 'editor', 'materials_import_start'))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    await setDialog(deps.db, ctx.from.id, { kind: 'flow', flow: MATERIALS_IMPORT_FLOW, state: {} });
    await ctx.reply(IMPORT_TEXTS.prompt, { reply_markup: new InlineKeyboard().text('✖️ Отменить', 'adm:cancel') });
  });

  privateChats.on('message:text', async (ctx, next) => {
    if (ctx.message.text.startsWith('/') || !(await waiting(ctx.from.id))) return next();
    await ctx.reply(IMPORT_TEXTS.notAFile);
  });

  privateChats.on('message:document', async (ctx, next) => {
    if (!(await waiting(ctx.from.id))) return next();
    const { file_name: name = '', file_size: size = 0 } = ctx.message.document;
    const scope = ctx.message.caption?.trim() ?? '';
    const role = await requireRole(deps, ctx, 'editor', 'materials_import_file', { name, scope });
    if (!role) return void (await takeDialog(deps.db, ctx.from.id));
    if (!/\.(csv|xlsx|json)$/i.test(name)) return void (await ctx.reply(IMPORT_TEXTS.wrongType(name || 'без имени')));
    if (size > MAX_FILE_BYTES) return void (await ctx.reply(IMPORT_TEXTS.tooBig(size)));
    let content: Buffer;
    try {
      const file = await ctx.getFile();
      content = await deps.download(file.file_path ?? '');
    } catch (error) {
      if (!(error instanceof GrammyError || error instanceof TelegramDownloadError)) throw error;
      deps.logger.warn({ editor: ctx.from.id, file: name, err: error.message }, 'materials file download failed');
      return void (await ctx.reply(IMPORT_TEXTS.downloadFailed));
    }

    // First a dry run: the editor sees what would change, and only Apply changes the catalogue.
    const report = await importOrRefuse(ctx, name, scope, content, true);
    if (!report) return;
    await setDialog(deps.db, ctx.from.id, { kind: 'flow', flow: MATERIALS_IMPORT_FLOW, state: { fileId: ctx.message.document.file_id, name, scope } });
    const parts = splitText(importReportText(name, scope, report, true));
    for (const [i, part] of parts.entries()) {
      await ctx.reply(part, i === parts.length - 1 ? { reply_markup: new InlineKeyboard().text(IMPORT_TEXTS.apply, 'mi:apply').text(IMPORT_TEXTS.cancel, 'mi:cancel') } : {});
    }
  });

  privateChats.callbackQuery('mi:cancel', async (ctx) => {
    const role = await requireRole(deps, ctx, 'editor', 'materials_import_cancel');
    if (!role) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    await takeDialog(deps.db, ctx.from.id);
    await ctx.reply(IMPORT_TEXTS.cancelled);
  });

  privateChats.callbackQuery('mi:apply', async (ctx) => {
    const dialog = await dialogOf(deps.db, ctx.from.id);
    const pending = dialog?.kind === 'flow' && dialog.flow === MATERIALS_IMPORT_FLOW ? (dialog.state as { fileId?: string; name?: string; scope?: string }) : undefined;
    const role = await requireRole(deps, ctx, 'editor', 'materials_import_apply', { name: pending?.name });
    if (!role) return void (await takeDialog(deps.db, ctx.from.id));
    await ctx.answerCallbackQuery().catch(() => undefined);
    if (!pending?.fileId) return void (await ctx.reply(IMPORT_TEXTS.stale));
    const { fileId, name = '', scope = '' } = pending;
    let content: Buffer;
    try {
      const file = await ctx.api.getFile(fileId);
      content = await deps.download(file.file_path ?? '');
    } catch (error) {
      if (!(error instanceof GrammyError || error instanceof TelegramDownloadError)) throw error;
      deps.logger.warn({ editor: ctx.from.id, file: name, err: error.message }, 'materials file download failed');
      return void (await ctx.reply(IMPORT_TEXTS.downloadFailed));
    }
    const report = await importOrRefuse(ctx, name, scope, content, false);
    if (!report) return;
    await takeDialog(deps.db, ctx.from.id);
    await auditStaffCommand(deps.db, {
      actor: ctx.from.id,
      actorRole: role,
      command: 'materials_imported',
      details: { file: name, scope, added: report.added, updated: report.updated, archived: report.archived, unchanged: report.unchanged, errors: report.errors.length },
      allowed: true,
    });
    deps.logger.info({ editor: ctx.from.id, file: name, added: report.added.length, updated: report.updated.length, archived: report.archived.length, errors: report.errors.length }, 'materials imported');
    for (const part of splitText(importReportText(name, scope, report))) await ctx.reply(part);
  });

  /** Parses and syncs (or only previews); a file that cannot be imported is explained and null returned. */
  async function importOrRefuse(ctx: BotContext, name: string, scope: string, content: Buffer, dryRun: boolean): Promise<ImportReport | null> {
    let rowErrors: ImportRowError[] = [];
    try {
      const { rows, errors } = await readMaterialsFile(name, content);
      rowErrors = errors;
      return await syncMaterials(deps.db, rows, { source: `telegram:${name}`, scope, errors, dryRun });
    } catch (error) {
      const why = whyRefused(error);
      if (why === null) throw error;
      deps.logger.info({ editor: ctx.from?.id, file: name, reason: why }, 'materials import refused');
      const text = IMPORT_TEXTS.broken([why, ...rowErrors.map(errorLine)].join('\n'));
      for (const part of splitText(text)) await ctx.reply(part);
      return null;
    }
  }

  return composer;
}

/** The import report as editors read it; rows counted as the spreadsheet does, with the file line when it differs. */
export function importReportText(name: string, scope: string, report: ImportReport, preview = false): string {
  const list = (keys: string[]) => (keys.length ? keys.join(', ') : '—');
  return [
    preview
      ? `🔎 Проверка «${name}»${scope ? ` (префикс ${scope})` : ''}: каталог ещё не изменён. Вот что сделает импорт — «Применить» или «Отменить»:`
      : `📥 Импорт «${name}»${scope ? ` (префикс ${scope})` : ''} выполнен:`,
    `Добавлено (${report.added.length}): ${list(report.added)}`,
    `Обновлено, новая версия (${report.updated.length}): ${list(report.updated)}`,
    `В архив (${report.archived.length}): ${list(report.archived)}`,
    `Без изменений: ${report.unchanged}`,
    ...(report.errors.length
      ? [
          `Ошибки (${report.errors.length}) — эти строки пропущены, их материалы не тронуты:`,
          ...report.errors.map(errorLine),
        ]
      : ['Ошибок нет.']),
  ].join('\n');
}

function errorLine(e: ImportRowError): string {
  return `• строка ${e.row}${e.line !== undefined && e.line !== e.row ? ` (в файле строка ${e.line})` : ''}${e.key ? `, ${e.key}` : ''}: ${e.reason}`;
}

/** Why the importer refused the whole file, in words an editor can act on; null for an unexpected failure. */
function whyRefused(error: unknown): string | null {
  if (error instanceof MaterialsFileError) return `${error.line === undefined ? '' : `Строка ${error.line}: `}${error.reason}`;
  if (error instanceof EmptyMaterialsImportError) return `Ни одной годной строки (отклонено ${error.rejectedRows}): импорт такого файла отправил бы в архив весь каталог.`;
  if (error instanceof MaterialKeyOutsideScopeError) return `Ключ «${error.key}» не начинается с префикса «${error.scope}» из подписи.`;
  if (error instanceof DuplicateMaterialKeyError) return `Ключ «${error.key}» встречается дважды.`;
  return null;
}
