import { GrammyError, InlineKeyboard, InputFile } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { BONUS_FILE_KEY, bonusDocument, checkContent, CONTENT_LIMITS, contentDefault, TELEGRAM_FILE_PREFIX, telegramFileId, type ContentKey } from '../../domain/content';
import type { Language } from '../../domain/language';
import type { Scenario } from '../../domain/scenario';
import { renderTemplate } from '../../domain/template';
import { setDialog, takeDialog, type StaffDialog } from '../../db/staff-dialogs';
import { auditStaffCommand, roleOf } from '../../db/staff';
import { publishTemplate, templateOverride } from '../../db/templates';
import { scenarioFilePath } from '../../scenarios/loader';
import type { BotContext } from '../context';
import type { StaffAccessDeps } from '../staff-access';

export interface ContentEditingDeps extends StaffAccessDeps {
  db: Knex;
  logger: Logger;
  /** The shipped scenario per language: the defaults of the texts editors change, the bonus file. */
  scenario(language: Language): Scenario;
}

const LANGUAGES: Language[] = ['ru', 'en'];
/** What an editor may change: the texts, and the bonus document itself. */
type EditableKey = ContentKey | typeof BONUS_FILE_KEY;
const NAMES: Record<EditableKey, string> = { 'welcome.text': 'Приветствие', 'bonus.caption': 'Подпись бонуса', [BONUS_FILE_KEY]: 'Файл бонуса' };
/** Callback data names the key by a short word: 64 bytes is Telegram's limit. */
export const CONTENT_IDS: Record<string, ContentKey> = { welcome: 'welcome.text', bonus: 'bonus.caption' };
const idOf = (key: ContentKey) => (key === 'welcome.text' ? 'welcome' : 'bonus');

export const CONTENT_TEXTS = {
  overview: (key: ContentKey, current: Record<Language, { text: string; edited: boolean }>) =>
    [
      `${NAMES[key]} (✏️ — изменено в панели):`,
      ...LANGUAGES.map((l) => `\n${l}${current[l].edited ? ' ✏️' : ''}:\n${current[l].text || '—'}`),
    ].join('\n'),
  prompt: (key: ContentKey, language: Language) =>
    `Пришлите новый текст «${NAMES[key]}» (${language}) одним сообщением: до ${CONTENT_LIMITS[key]} символов, {first_name} — имя лида. /cancel — отмена.`,
  tryAgain: 'Пришлите исправленный текст или /cancel.',
  filePrompt: (language: Language) => `Пришлите новый файл бонуса (${language}) документом. /cancel — отмена.`,
  notAFile: 'Нужен файл, отправленный как документ. Пришлите его или /cancel.',
  preview: (key: EditableKey, language: Language) => `👀 Предпросмотр «${NAMES[key]}» (${language}). Так его увидит лид:`,
  refusedByTelegram: (description: string) => `Telegram не принял этот текст: ${description}. Пришлите другой или /cancel.`,
  confirm: 'Опубликовать?',
  publish: '✅ Опубликовать',
  cancel: '✖️ Отменить',
  published: (key: EditableKey, language: Language) => `✅ «${NAMES[key]}» (${language}) опубликовано: новые разговоры начнутся с него.`,
  cancelled: 'Правка отменена, ничего не изменилось.',
  nothing: 'Нет неопубликованной правки.',
};

/** The text as leads get it now: the published override, else the scenario's own. */
async function currentText(deps: ContentEditingDeps, key: ContentKey, language: Language): Promise<{ text: string; edited: boolean }> {
  const override = await templateOverride(deps.db, key, language);
  return override !== undefined ? { text: override, edited: true } : { text: contentDefault(deps.scenario(language), key) ?? '', edited: false };
}

async function currentFile(deps: ContentEditingDeps, language: Language): Promise<{ text: string; edited: boolean }> {
  const override = await templateOverride(deps.db, BONUS_FILE_KEY, language);
  return { text: override ?? bonusDocument(deps.scenario(language)) ?? '', edited: override !== undefined };
}

/** The bonus document leads get now: the file an editor published, else the scenario's. */
async function currentBonusDocument(deps: ContentEditingDeps, language: Language): Promise<string | undefined> {
  return (await templateOverride(deps.db, BONUS_FILE_KEY, language)) ?? bonusDocument(deps.scenario(language));
}

/** A scenario document as grammY sends it: a Telegram file id, a URL, or a shipped file. */
function sendable(document: string): string | InputFile {
  return telegramFileId(document) ?? (/^https?:\/\//.test(document) ? document : new InputFile(scenarioFilePath(document)));
}

/** The panel's page for a text: both languages as they stand, and a button to edit each. */
export async function contentOverview(deps: ContentEditingDeps, key: ContentKey): Promise<Parameters<BotContext['reply']>> {
  const current = { ru: await currentText(deps, key, 'ru'), en: await currentText(deps, key, 'en') };
  const keyboard = new InlineKeyboard();
  for (const language of LANGUAGES) keyboard.text(`✏️ Изменить ${language.toUpperCase()}`, `adm:edit:${idOf(key)}:${language}`);
  if (key === 'bonus.caption') {
    keyboard.row();
    for (const language of LANGUAGES) keyboard.text(`📎 Заменить файл ${language.toUpperCase()}`, `adm:file:bonus:${language}`);
  }
  return [CONTENT_TEXTS.overview(key, current), { reply_markup: keyboard }];
}

/** Step 1: the editor chose a text to change; the next message they send is the new text. */
export async function startContentEdit(deps: ContentEditingDeps, ctx: BotContext, key: ContentKey, language: Language): Promise<void> {
  await setDialog(deps.db, ctx.from?.id as number, { kind: 'content_text', key, language });
  await ctx.reply(CONTENT_TEXTS.prompt(key, language), { reply_markup: new InlineKeyboard().text(CONTENT_TEXTS.cancel, 'adm:cancel') });
}

/**
 * Step 2: the new text arrived (or a replacement while a preview waits). Checked, then shown as the
 * lead would see it; the preview is a real send, so a text Telegram refuses never gets published.
 */
export async function receiveContentText(deps: ContentEditingDeps, ctx: BotContext, dialog: Extract<StaffDialog, { kind: 'content_text' | 'content_preview' }>, raw: string): Promise<void> {
  const key = dialog.key as ContentKey;
  const language = dialog.language as Language;
  const check = checkContent(key, raw);
  if (!check.ok) return void (await ctx.reply(`${check.problem}\n${CONTENT_TEXTS.tryAgain}`));
  const rendered = renderTemplate(check.text, { first_name: ctx.from?.first_name }, deps.scenario(language).placeholderDefaults);
  await ctx.reply(CONTENT_TEXTS.preview(key, language));
  try {
    const document = key === 'bonus.caption' ? await currentBonusDocument(deps, language) : undefined;
    if (document) {
      await ctx.replyWithDocument(sendable(document), { caption: rendered });
    } else {
      await ctx.reply(rendered);
    }
  } catch (error) {
    if (!(error instanceof GrammyError)) throw error;
    await setDialog(deps.db, ctx.from?.id as number, { kind: 'content_text', key, language });
    return void (await ctx.reply(CONTENT_TEXTS.refusedByTelegram(error.description)));
  }
  await setDialog(deps.db, ctx.from?.id as number, { kind: 'content_preview', key, language, text: check.text });
  await ctx.reply(CONTENT_TEXTS.confirm, { reply_markup: new InlineKeyboard().text(CONTENT_TEXTS.publish, 'adm:publish').text(CONTENT_TEXTS.cancel, 'adm:cancel') });
}

/** The bonus file, step 1: the next document the editor sends replaces it (after a preview). */
export async function startFileReplace(deps: ContentEditingDeps, ctx: BotContext, language: Language): Promise<void> {
  await setDialog(deps.db, ctx.from?.id as number, { kind: 'content_file', key: BONUS_FILE_KEY, language });
  await ctx.reply(CONTENT_TEXTS.filePrompt(language), { reply_markup: new InlineKeyboard().text(CONTENT_TEXTS.cancel, 'adm:cancel') });
}

/**
 * The bonus file, step 2: the editor's document, shown with the current caption as the lead will get
 * it. Telegram keeps the file; its id is what gets published.
 */
export async function receiveBonusFile(deps: ContentEditingDeps, ctx: BotContext, language: Language, fileId: string): Promise<void> {
  const caption = (await templateOverride(deps.db, 'bonus.caption', language)) ?? contentDefault(deps.scenario(language), 'bonus.caption') ?? '';
  await ctx.reply(CONTENT_TEXTS.preview(BONUS_FILE_KEY, language));
  await ctx.replyWithDocument(fileId, { caption: renderTemplate(caption, { first_name: ctx.from?.first_name }, deps.scenario(language).placeholderDefaults) });
  await setDialog(deps.db, ctx.from?.id as number, { kind: 'content_preview', key: BONUS_FILE_KEY, language, text: `${TELEGRAM_FILE_PREFIX}${fileId}` });
  await ctx.reply(CONTENT_TEXTS.confirm, { reply_markup: new InlineKeyboard().text(CONTENT_TEXTS.publish, 'adm:publish').text(CONTENT_TEXTS.cancel, 'adm:cancel') });
}

/** Step 3: publish the previewed text; recorded with the text before and after. */
export async function publishContent(deps: ContentEditingDeps, ctx: BotContext): Promise<void> {
  const editor = ctx.from?.id as number;
  const dialog = await takeDialog(deps.db, editor);
  if (dialog?.kind !== 'content_preview') {
    if (dialog) await setDialog(deps.db, editor, dialog); // another dialog stands: leave it as it was
    return void (await ctx.reply(CONTENT_TEXTS.nothing));
  }
  const key = dialog.key as EditableKey;
  const language = dialog.language as Language;
  const before = key === BONUS_FILE_KEY ? await currentFile(deps, language) : await currentText(deps, key, language);
  await publishTemplate(deps.db, { key, language, text: dialog.text, editor });
  await auditStaffCommand(deps.db, {
    actor: editor,
    actorRole: await roleOf(deps.db, editor, deps.owners),
    command: 'content_published',
    details: { key, language, before: before.text, beforeWasEdited: before.edited, after: dialog.text },
    allowed: true,
  });
  deps.logger.info({ key, language, editor }, 'content published');
  await ctx.reply(CONTENT_TEXTS.published(key, language));
}
