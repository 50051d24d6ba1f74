import { InlineKeyboard } from 'grammy';
import type { KnowledgeEntry } from '../../domain/knowledge';
import type { Language } from '../../domain/language';
import { knowledgeFormText } from '../../domain/staff/knowledge-form';
import type { KnowledgeImportReport } from '../../db/knowledge-import';
import type { ImportRowError } from '../../db/materials-import';

/** What the knowledge-base section of /admin says (docs/knowledge-base.md). */
export const KNOWLEDGE_TEXTS = {
  overview: (language: Language, shown: { from: number; to: number }, total: number, counts: { language: string; active: boolean; count: number }[]) =>
    [
      `📖 База знаний (${language}): записей ${total}${total > shown.to - shown.from + 1 ? `, показаны ${shown.from}–${shown.to} по ключу` : ''}.`,
      `Всего: ${counts.length ? counts.map((c) => `${c.language} ${c.active ? 'активных' : 'выключенных'} ${c.count}`).join(', ') : '—'}.`,
      'Из этих записей ассистент берёт факты для ответов; без ключа OpenAI уверенное совпадение уходит лиду как есть.',
      'Нажмите запись, чтобы посмотреть, изменить или удалить её.',
    ].join('\n'),
  newButton: (language: Language) => `➕ Новая запись (${language})`,
  otherLanguage: (language: Language) => `🌐 Записи ${language}`,
  importButton: '📥 Импорт из CSV/Excel',
  editButton: '✏️ Изменить',
  deleteButton: '🗑 Удалить',
  confirmDelete: '🗑 Да, удалить',
  keep: '✖️ Не удалять',
  backButton: '⬅️ К списку',
  previous: '◀️ Назад',
  next: 'Дальше ▶️',
  entry: (entry: KnowledgeEntry) => [`📖 Запись #${entry.id}`, '', knowledgeFormText(entry)].join('\n'),
  newPrompt: (language: Language) =>
    [
      `Новая запись (${language}). Пришлите её одним сообщением в таком виде (Ключ, Варианты, Теги, Ссылки — по желанию; списки через «;»):`,
      '',
      'Вопрос: Можно ли вернуть деньги?',
      'Варианты: возврат; верните деньги',
      'Ответ: Да, в течение 14 дней…',
      'Теги: возврат; оплата',
      'Ссылки: https://school.example.com/offer',
      '',
      '/cancel — отмена.',
    ].join('\n'),
  editPrompt: (entry: KnowledgeEntry) =>
    [`Изменение записи #${entry.id}. Скопируйте текст ниже, поправьте и пришлите целиком (/cancel — отмена):`, '', knowledgeFormText(entry)].join('\n'),
  problem: (why: string) => `${why}\nИсправьте и пришлите снова или /cancel.`,
  saved: (entry: KnowledgeEntry, created: boolean) => [`✅ Запись #${entry.id} ${created ? 'добавлена' : 'сохранена'}.`, '', knowledgeFormText(entry)].join('\n'),
  deleteAsk: (entry: KnowledgeEntry) => `Удалить запись #${entry.id} «${entry.question}»? Это нельзя отменить.`,
  deleted: (entry: KnowledgeEntry) => `🗑 Запись #${entry.id} «${entry.question}» удалена.`,
  gone: 'Такой записи больше нет: откройте базу знаний заново.',
  keyTaken: (key: string, language: string) => `Ключ «${key}» (${language}) уже занят другой записью. Поменяйте строку «Ключ:» и пришлите снова или /cancel.`,
  languageFixed: 'Язык записи меняется только новой записью: уберите строку «Язык:» или пришлите новую запись.',
  importPrompt: [
    'Пришлите таблицу базы знаний документом .csv или .xlsx (Excel: первый лист, в первой строке названия столбцов): столбцы key, language, question, variants, answer, tags, links, active',
    '(обязательны key, question, answer; списки — через «;»). Новые ключи добавятся, изменённые строки обновят записи,',
    'записи, которых нет в файле, останутся как есть. /cancel — отмена.',
  ].join('\n'),
  notAFile: 'Нужен файл .csv или .xlsx, отправленный документом. Пришлите его или /cancel.',
  wrongType: (name: string) => `«${name}» — не .csv и не .xlsx. Пришлите таблицу или /cancel.`,
  tooBig: 'Файл больше 2 МБ — это не таблица базы знаний.',
  downloadFailed: 'Не удалось получить файл у Telegram. Пришлите его ещё раз или /cancel.',
  apply: '✅ Применить',
  cancel: '✖️ Отменить',
  stale: 'Этой проверки больше нет: пришлите файл заново.',
  broken: (why: string) => `❌ Файл не импортирован, база знаний не изменилась.\n${why}\nИсправьте файл и пришлите снова или /cancel.`,
};

/** The list of one language's entries, a button each, and the section's actions. */
export function knowledgePage(language: Language, entries: KnowledgeEntry[], total: number, counts: { language: string; active: boolean; count: number }[], page = 0, perPage = entries.length) {
  const other: Language = language === 'ru' ? 'en' : 'ru';
  const keyboard = new InlineKeyboard()
    .text(KNOWLEDGE_TEXTS.newButton(language), `kb:new:${language}`)
    .text(KNOWLEDGE_TEXTS.otherLanguage(other), `kb:list:${other}`)
    .row()
    .text(KNOWLEDGE_TEXTS.importButton, 'kb:import')
    .row();
  for (const entry of entries) keyboard.text(`${entry.active ? '📖' : '💤'} ${entry.key} — ${entry.question}`.slice(0, 60), `kb:open:${entry.id}`).row();
  if (page > 0) keyboard.text(KNOWLEDGE_TEXTS.previous, `kb:list:${language}:${page - 1}`);
  if ((page + 1) * perPage < total) keyboard.text(KNOWLEDGE_TEXTS.next, `kb:list:${language}:${page + 1}`);
  const from = page * perPage + 1;
  return [KNOWLEDGE_TEXTS.overview(language, { from, to: from + entries.length - 1 }, total, counts), { reply_markup: keyboard }] as const;
}

/** One entry with its edit and delete buttons. */
export function entryView(entry: KnowledgeEntry) {
  const keyboard = new InlineKeyboard()
    .text(KNOWLEDGE_TEXTS.editButton, `kb:edit:${entry.id}`)
    .text(KNOWLEDGE_TEXTS.deleteButton, `kb:del:${entry.id}`)
    .row()
    .text(KNOWLEDGE_TEXTS.backButton, `kb:list:${entry.language}`);
  return [KNOWLEDGE_TEXTS.entry(entry), { reply_markup: keyboard }] as const;
}

/** The import report as editors read it. */
export function knowledgeReportText(name: string, report: KnowledgeImportReport, preview: boolean): string {
  const list = (keys: string[]) => (keys.length ? keys.join(', ') : '—');
  return [
    preview ? `🔎 Проверка «${name}»: база ещё не изменена. Вот что сделает импорт — «Применить» или «Отменить»:` : `📥 Импорт «${name}» выполнен:`,
    `Добавлено (${report.added.length}): ${list(report.added)}`,
    `Обновлено (${report.updated.length}): ${list(report.updated)}`,
    `Без изменений: ${report.unchanged}`,
    ...(report.errors.length ? [`Ошибки (${report.errors.length}) — эти строки пропущены:`, ...report.errors.map(errorLine)] : ['Ошибок нет.']),
  ].join('\n');
}

export function errorLine(e: ImportRowError): string {
  return `• строка ${e.row}${e.line !== undefined && e.line !== e.row ? ` (в файле строка ${e.line})` : ''}${e.key ? `, ${e.key}` : ''}: ${e.reason}`;
}
