import { Composer, InlineKeyboard } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { Language } from '../../domain/language';
import { TELEGRAM_TEXT_LIMIT } from '../../domain/split-text';
import { renderTemplate } from '../../domain/template';
import { auditStaffCommand, roleOf } from '../../db/staff';
import { peekTemplateDraft, publishTemplate, saveTemplateDraft, takeTemplateDraft, templateOverride, templateWithDocument } from '../../db/templates';
import type { BotContext } from '../context';
import { checkStaffAction, type StaffAccessDeps } from '../staff-access';

export interface TemplateEditingDeps extends StaffAccessDeps {
  db: Knex;
  logger: Logger;
  /** The scenario's follow-up texts by id, per language: the defaults editors start from. */
  followUpDefaults(language: Language): Record<string, string>;
}

/** Placeholders a template may use; anything else would reach a lead as an empty gap. */
const PLACEHOLDERS = ['first_name'];
const SCOPE = 'tpl';

const TEXTS = {
  refused: '⛔ Менять тексты могут редакторы и выше. Попытка записана.',
  usage: 'Как изменить: /template <id> [ru|en] <новый текст>\nНапример: /template h24 {first_name}, как вам гайд?',
  unknown: (id: string, ids: string[]) => `Нет шаблона «${id}». Есть: ${ids.join(', ')}.`,
  tooLong: `Текст длиннее ${TELEGRAM_TEXT_LIMIT} символов: Telegram его не пропустит.`,
  badPlaceholder: (names: string[]) => `Неизвестные подстановки: ${names.map((n) => `{${n}}`).join(', ')}. Доступно: {first_name}.`,
  preview: (key: string, language: string) => `👀 Предпросмотр «${key}» (${language}). Так его увидит лид:`,
  publish: '✅ Опубликовать',
  cancel: '✖️ Отменить',
  published: (key: string) => `✅ «${key}» опубликован: следующие напоминания пойдут с новым текстом.`,
  cancelled: 'Правка отменена, ничего не изменилось.',
  nothing: 'Нет неопубликованной правки.',
  usageFile: 'Как приложить файл: /template_file <id> [ru|en], затем пришлите файл документом. Убрать файл: /template_file <id> [ru|en] none',
  sendFile: (key: string) => `Пришлите файл для «${key}» документом (📎 → Файл). Текст шаблона станет подписью. /cancel — отменить.`,
  notDocument: 'Нужен файл-документ (📎 → Файл), не фото и не видео. /cancel — отменить.',
  captionTooLong: 'С файлом текст становится подписью, а Telegram принимает подписи до 1024 символов. Сократите текст (/template) или уберите файл.',
  filePreview: (key: string, language: string) => `👀 Предпросмотр «${key}» (${language}) с файлом. Так его увидит лид:`,
  fileRemoved: (key: string, language: string) => `👀 «${key}» (${language}) без файла. Так его увидит лид:`,
};

/** Telegram's limit for a caption: a template with a file must fit it. */
const CAPTION_LIMIT = 1024;

/** The follow-up templates as they stand now (✏️ marks an edited one), with how to change them. */
export async function followUpTemplateList(deps: Pick<TemplateEditingDeps, 'db' | 'followUpDefaults'>): Promise<string> {
  const lines: string[] = [];
  for (const language of ['ru', 'en'] as const) {
    for (const [id, text] of Object.entries(deps.followUpDefaults(language))) {
      const current = (await templateOverride(deps.db, `follow_up.${id}`, language)) ?? text;
      lines.push(`• ${id} (${language})${current === text ? '' : ' ✏️'}: ${current.slice(0, 120)}${current.length > 120 ? '…' : ''}`);
    }
  }
  return `Шаблоны напоминаний (✏️ — изменён):\n\n${lines.join('\n')}\n\n${TEXTS.usage}`;
}

/**
 * Follow-up templates edited from Telegram by editors: /templates lists them, /template <id> [lang]
 * <text> shows a preview with Publish / Cancel; /cancel drops the draft. The draft lives in Postgres,
 * so a restart in the middle keeps it. The role is checked on every step, every change recorded.
 */
export function templateEditing(deps: TemplateEditingDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  const allowed = async (ctx: BotContext, command: string, details: Record<string, unknown> = {}) => {
    const check = await checkStaffAction(deps, ctx, 'editor', command, details);
    if (!check.allowed) await ctx.reply(TEXTS.refused);
    return check.allowed;
  };

  privateChats.command('templates', async (ctx) => {
    if (!(await allowed(ctx, 'templates'))) return;
    await ctx.reply(await followUpTemplateList(deps));
  });

  privateChats.command('template', async (ctx) => {
    const [id = '', maybeLanguage = '', ...rest] = ctx.match.trim().split(/ +/);
    const language: Language = maybeLanguage === 'en' ? 'en' : 'ru';
    const text = (maybeLanguage === 'en' || maybeLanguage === 'ru' ? rest.join(' ') : [maybeLanguage, ...rest].join(' ')).trim();
    if (!(await allowed(ctx, 'template', { id, language }))) return;
    const ids = Object.keys(deps.followUpDefaults(language));
    if (!id || !text) return void (await ctx.reply(TEXTS.usage));
    if (!ids.includes(id)) return void (await ctx.reply(TEXTS.unknown(id, ids)));
    if (text.length > TELEGRAM_TEXT_LIMIT) return void (await ctx.reply(TEXTS.tooLong));
    const unknown = [...text.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]).filter((name) => !PLACEHOLDERS.includes(name));
    if (unknown.length) return void (await ctx.reply(TEXTS.badPlaceholder(unknown)));
    const key = `follow_up.${id}`;
    const current = await templateWithDocument(deps.db, key, language);
    if (current?.document && text.length > CAPTION_LIMIT) return void (await ctx.reply(TEXTS.captionTooLong));
    await saveTemplateDraft(deps.db, { editor: ctx.from.id, key, language, text });
    await ctx.reply(TEXTS.preview(key, language));
    await ctx.reply(renderTemplate(text, { first_name: ctx.from.first_name }), { reply_markup: publishButtons() });
  });

  privateChats.callbackQuery([`${SCOPE}:publish`, `${SCOPE}:cancel`], async (ctx) => {
    await ctx.answerCallbackQuery().catch(() => undefined);
    const publishing = ctx.callbackQuery.data === `${SCOPE}:publish`;
    if (!(await allowed(ctx, publishing ? 'template_publish' : 'template_cancel'))) return;
    const draft = await takeTemplateDraft(deps.db, ctx.from.id);
    if (!draft) return void (await ctx.reply(TEXTS.nothing));
    if (!publishing) return void (await ctx.reply(TEXTS.cancelled));
    if (draft.awaitingDocument) return void (await ctx.reply(TEXTS.nothing));
    const before = await templateWithDocument(deps.db, draft.key, draft.language);
    await publishTemplate(deps.db, { key: draft.key, language: draft.language, text: draft.text, document: draft.document, editor: ctx.from.id });
    await auditStaffCommand(deps.db, {
      actor: ctx.from.id,
      actorRole: await roleOf(deps.db, ctx.from.id, deps.owners),
      command: 'template_published',
      details: {
        key: draft.key,
        language: draft.language,
        before: before?.text ?? null,
        after: draft.text,
        ...(draft.document !== undefined && { documentBefore: before?.document ?? null, documentAfter: draft.document }),
      },
      allowed: true,
    });
    deps.logger.info({ key: draft.key, language: draft.language, editor: ctx.from.id }, 'template published');
    await ctx.reply(TEXTS.published(draft.key));
  });

  privateChats.command('template_file', async (ctx) => {
    const [id = '', ...rest] = ctx.match.trim().split(/ +/);
    const language: Language = rest[0] === 'en' ? 'en' : 'ru';
    const remove = rest.includes('none');
    if (!(await allowed(ctx, 'template_file', { id, language, remove }))) return;
    const defaults = deps.followUpDefaults(language);
    if (!id) return void (await ctx.reply(TEXTS.usageFile));
    if (!(id in defaults)) return void (await ctx.reply(TEXTS.unknown(id, Object.keys(defaults))));
    const key = `follow_up.${id}`;
    const text = (await templateWithDocument(deps.db, key, language))?.text ?? defaults[id];
    if (remove) {
      await saveTemplateDraft(deps.db, { editor: ctx.from.id, key, language, text, document: null });
      await ctx.reply(TEXTS.fileRemoved(key, language));
      return void (await ctx.reply(renderTemplate(text, { first_name: ctx.from.first_name }), { reply_markup: publishButtons() }));
    }
    if (text.length > CAPTION_LIMIT) return void (await ctx.reply(TEXTS.captionTooLong));
    await saveTemplateDraft(deps.db, { editor: ctx.from.id, key, language, text, awaitingDocument: true });
    await ctx.reply(TEXTS.sendFile(key));
  });

  // The file the editor was asked for: a document, previewed with the template's text as its caption.
  privateChats.on('message', async (ctx, next) => {
    const draft = await peekTemplateDraft(deps.db, ctx.from.id);
    if (!draft?.awaitingDocument || ctx.message.text?.startsWith('/')) return next();
    if (!(await allowed(ctx, 'template_file_sent', { key: draft.key }))) return;
    const document = ctx.message.document;
    if (!document) return void (await ctx.reply(TEXTS.notDocument));
    const file = `tg:${document.file_id}`;
    await saveTemplateDraft(deps.db, { editor: ctx.from.id, key: draft.key, language: draft.language, text: draft.text, document: file });
    await ctx.reply(TEXTS.filePreview(draft.key, draft.language));
    await ctx.replyWithDocument(document.file_id, { caption: renderTemplate(draft.text, { first_name: ctx.from.first_name }), reply_markup: publishButtons() });
  });

  privateChats.command('cancel', async (ctx, next) => {
    const draft = await takeTemplateDraft(deps.db, ctx.from.id);
    if (!draft) return next();
    await ctx.reply(TEXTS.cancelled);
  });

  return composer;
}

function publishButtons(): InlineKeyboard {
  return new InlineKeyboard().text(TEXTS.publish, `${SCOPE}:publish`).text(TEXTS.cancel, `${SCOPE}:cancel`);
}
