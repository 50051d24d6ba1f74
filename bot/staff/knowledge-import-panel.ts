import { Composer, GrammyError, InlineKeyboard } from 'grammy';
import type { Logger } from 'pino';
import { splitText } from '../../domain/split-text';
import { importKnowledge, readKnowledgeSheet, type KnowledgeImportReport } from '../../db/knowledge-import';
import { MaterialsFileError, type ImportRowError } from '../../db/materials-import';
import { auditStaffCommand } from '../../db/staff';
import { dialogOf, setDialog, takeDialog } from '../../db/staff-dialogs';
import type { BotContext } from '../context';
import { requireRole, type StaffAccessDeps } from '../staff-access';
import { TelegramDownloadError, type DownloadFile } from '../telegram-files';
import { errorLine, KNOWLEDGE_TEXTS, knowledgeReportText } from './knowledge-panel-view';

export interface KnowledgeImportDeps extends StaffAccessDeps {
  logger: Logger;
  /** Fetches a file the editor sent, by its Telegram file path. */
  download: DownloadFile;
}

/** The flow name in `staff_dialogs`: waiting for the sheet, then for Apply. */
export const KNOWLEDGE_IMPORT_FLOW = 'knowledge_import';
const MAX_FILE_BYTES = 2 * 1024 * 1024;

/**
 * The knowledge base's sheet import (CSV or .xlsx) from Telegram (docs/knowledge-base.md), shaped like the materials
 * importer: an editor sends the sheet, sees a dry run's report, and Apply imports the same file.
 */
export function knowledgeImport(deps: KnowledgeImportDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');
  const pendingOf = async (actor: number) => {
    const dialog = await dialogOf(deps.db, actor);
    return dialog?.kind === 'flow' && dialog.flow === KNOWLEDGE_IMPORT_FLOW ? (dialog.state as { fileId?: string; name?: string }) : undefined;
  };

  privateChats.callbackQuery('kb:import', async (ctx) => {
    if (!(await requireRole(deps, ctx, 'editor', 'knowledge_import_start'))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    await setDialog(deps.db, ctx.from.id, { kind: 'flow', flow: KNOWLEDGE_IMPORT_FLOW, state: {} });
    await ctx.reply(KNOWLEDGE_TEXTS.importPrompt, { reply_markup: new InlineKeyboard().text(KNOWLEDGE_TEXTS.cancel, 'adm:cancel') });
  });

  privateChats.on('message:text', async (ctx, next) => {
    if (ctx.message.text.startsWith('/') || !(await pendingOf(ctx.from.id))) return next();
    await ctx.reply(KNOWLEDGE_TEXTS.notAFile);
  });

  privateChats.on('message:document', async (ctx, next) => {
    if (!(await pendingOf(ctx.from.id))) return next();
    const { file_name: name = '', file_size: size = 0, file_id: fileId } = ctx.message.document;
    if (!(await requireRole(deps, ctx, 'editor', 'knowledge_import_file', { name }))) return void (await takeDialog(deps.db, ctx.from.id));
    if (!/\.(csv|xlsx)$/i.test(name)) return void (await ctx.reply(KNOWLEDGE_TEXTS.wrongType(name || 'без имени')));
    if (size > MAX_FILE_BYTES) return void (await ctx.reply(KNOWLEDGE_TEXTS.tooBig));
    const report = await run(ctx, fileId, name, true);
    if (!report) return;
    await setDialog(deps.db, ctx.from.id, { kind: 'flow', flow: KNOWLEDGE_IMPORT_FLOW, state: { fileId, name } });
    const parts = splitText(knowledgeReportText(name, report, true));
    for (const [i, part] of parts.entries()) {
      await ctx.reply(part, i === parts.length - 1 ? { reply_markup: new InlineKeyboard().text(KNOWLEDGE_TEXTS.apply, 'kb:apply').text(KNOWLEDGE_TEXTS.cancel, 'adm:cancel') } : {});
    }
  });

  privateChats.callbackQuery('kb:apply', async (ctx) => {
    const pending = await pendingOf(ctx.from.id);
    const role = await requireRole(deps, ctx, 'editor', 'knowledge_import_apply', { name: pending?.name });
    if (!role) return void (await takeDialog(deps.db, ctx.from.id));
    await ctx.answerCallbackQuery().catch(() => undefined);
    if (!pending?.fileId) return void (await ctx.reply(KNOWLEDGE_TEXTS.stale));
    const name = pending.name ?? '';
    const report = await run(ctx, pending.fileId, name, false);
    if (!report) return;
    await takeDialog(deps.db, ctx.from.id);
    await auditStaffCommand(deps.db, {
      actor: ctx.from.id,
      actorRole: role,
      command: 'knowledge_imported',
      details: { file: name, added: report.added, updated: report.updated, unchanged: report.unchanged, errors: report.errors.length },
      allowed: true,
    });
    deps.logger.info({ editor: ctx.from.id, file: name, added: report.added.length, updated: report.updated.length, errors: report.errors.length }, 'knowledge imported');
    for (const part of splitText(knowledgeReportText(name, report, false))) await ctx.reply(part);
  });

  /** Downloads, parses and imports (or previews); a file that cannot be used is explained and null returned. */
  async function run(ctx: BotContext, fileId: string, name: string, dryRun: boolean): Promise<KnowledgeImportReport | null> {
    let content: Buffer;
    try {
      const file = await ctx.api.getFile(fileId);
      content = await deps.download(file.file_path ?? '');
    } catch (error) {
      if (!(error instanceof GrammyError || error instanceof TelegramDownloadError)) throw error;
      deps.logger.warn({ editor: ctx.from?.id, file: name, err: error.message }, 'knowledge file download failed');
      await ctx.reply(KNOWLEDGE_TEXTS.downloadFailed);
      return null;
    }
    let rowErrors: ImportRowError[] = [];
    try {
      const { rows, errors } = await readKnowledgeSheet(name, content);
      rowErrors = errors;
      if (rows.length === 0) throw new MaterialsFileError(name, `no usable row (${errors.length} rejected)`);
      return await importKnowledge(deps.db, rows, { source: 'csv', errors, dryRun });
    } catch (error) {
      if (!(error instanceof MaterialsFileError)) throw error;
      const why = `${error.line === undefined ? '' : `Строка ${error.line}: `}${error.reason}`;
      for (const part of splitText(KNOWLEDGE_TEXTS.broken([why, ...rowErrors.map(errorLine)].join('\n')))) await ctx.reply(part);
      return null;
    }
  }

  return composer;
}
