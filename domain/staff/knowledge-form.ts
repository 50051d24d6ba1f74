/**
 * A knowledge entry as an editor types it in one Telegram message (docs/knowledge-base.md):
 *
 *   Вопрос: Можно ли вернуть деньги?
 *   Варианты: возврат; верните деньги; refund
 *   Ответ: Да, в течение 14 дней…
 *   Теги: возврат; оплата
 *   Ссылки: https://school.example.com/offer
 *
 * A field starts with its label (Russian or English) and runs to the next label, so an answer may
 * span lines. The panel shows an entry in the same form, so editing is copy, change, send.
 */
import type { Language } from '../language';
import { KNOWLEDGE_LIMITS, type KnowledgeEntry } from '../knowledge';

/** What the form sets; the id and the language come from the panel. */
export type KnowledgeDraft = Pick<KnowledgeEntry, 'question' | 'variants' | 'answer' | 'tags' | 'links' | 'active'> & { key?: string; language?: Language };

type Field = 'key' | 'language' | 'question' | 'variants' | 'answer' | 'tags' | 'links' | 'active';

const LABELS: Record<string, Field> = {
  ключ: 'key',
  key: 'key',
  язык: 'language',
  language: 'language',
  вопрос: 'question',
  question: 'question',
  варианты: 'variants',
  variants: 'variants',
  ответ: 'answer',
  answer: 'answer',
  теги: 'tags',
  tags: 'tags',
  ссылки: 'links',
  links: 'links',
  активна: 'active',
  active: 'active',
};

const LABEL_LINE = /^\s*([A-Za-zА-Яа-яЁё]+)\s*:\s?(.*)$/;
const KEY = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,199}$/;

export type FormResult = { ok: true; draft: KnowledgeDraft } | { ok: false; problem: string };

/** Reads the editor's message; every problem is named so the editor can fix it and send again. */
export function parseKnowledgeForm(text: string): FormResult {
  const fields = new Map<Field, string[]>();
  let current: Field | undefined;
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    const labelled = LABEL_LINE.exec(line);
    const field = labelled ? LABELS[labelled[1].toLowerCase()] : undefined;
    if (labelled && field) {
      if (fields.has(field)) return { ok: false, problem: `Поле «${labelled[1]}» встречается дважды.` };
      current = field;
      fields.set(field, [labelled[2]]);
    } else if (current) {
      fields.get(current)?.push(line);
    } else if (line.trim() !== '') {
      return { ok: false, problem: 'Сообщение должно начинаться с поля, например «Вопрос: …».' };
    }
  }
  const value = (field: Field) => (fields.get(field) ?? []).join('\n').trim();
  const list = (field: Field) =>
    [...new Set(value(field).split(/[;\n]/).map((item) => item.replace(/^\s*[-•]\s*/, '').trim()).filter((item) => item !== ''))];

  const question = value('question');
  const answer = value('answer');
  if (!question) return { ok: false, problem: 'Нет вопроса: добавьте строку «Вопрос: …».' };
  if (!answer) return { ok: false, problem: 'Нет ответа: добавьте строку «Ответ: …».' };
  if (question.length > KNOWLEDGE_LIMITS.question) return { ok: false, problem: `Вопрос длиннее ${KNOWLEDGE_LIMITS.question} символов.` };
  if (answer.length > KNOWLEDGE_LIMITS.answer) return { ok: false, problem: `Ответ длиннее ${KNOWLEDGE_LIMITS.answer} символов.` };
  const variants = list('variants');
  if (variants.length > KNOWLEDGE_LIMITS.variants) return { ok: false, problem: `Вариантов больше ${KNOWLEDGE_LIMITS.variants}.` };
  if (variants.some((v) => v.length > KNOWLEDGE_LIMITS.variant)) return { ok: false, problem: `Вариант длиннее ${KNOWLEDGE_LIMITS.variant} символов.` };
  const tags = list('tags').map((tag) => tag.toLowerCase());
  if (tags.length > KNOWLEDGE_LIMITS.tags || tags.some((tag) => tag.length > KNOWLEDGE_LIMITS.tag)) {
    return { ok: false, problem: `Тегов можно до ${KNOWLEDGE_LIMITS.tags}, каждый до ${KNOWLEDGE_LIMITS.tag} символов.` };
  }
  const links = list('links');
  const badLink = links.find((link) => !isHttpLink(link));
  if (badLink) return { ok: false, problem: `«${badLink}» — не ссылка http(s).` };
  if (links.length > KNOWLEDGE_LIMITS.links) return { ok: false, problem: `Ссылок можно до ${KNOWLEDGE_LIMITS.links}.` };
  const key = value('key');
  if (key && !KEY.test(key)) return { ok: false, problem: 'Ключ: латинские буквы, цифры и _ . : / - (до 200 символов).' };
  const language = value('language').toLowerCase();
  if (language && language !== 'ru' && language !== 'en') return { ok: false, problem: 'Язык: ru или en.' };
  const active = value('active').toLowerCase();
  if (active && !YES.includes(active) && !NO.includes(active)) return { ok: false, problem: 'Активна: да или нет.' };
  return {
    ok: true,
    draft: {
      question,
      variants,
      answer,
      tags,
      links,
      active: !NO.includes(active),
      ...(key ? { key } : {}),
      ...(language ? { language: language as Language } : {}),
    },
  };
}

const YES = ['да', 'yes', 'true', '1'];
const NO = ['нет', 'no', 'false', '0'];

/** An entry written out in the form the parser reads back. */
export function knowledgeFormText(entry: Pick<KnowledgeEntry, 'key' | 'language' | 'question' | 'variants' | 'answer' | 'tags' | 'links' | 'active'>): string {
  return [
    `Ключ: ${entry.key}`,
    `Язык: ${entry.language}`,
    `Вопрос: ${entry.question}`,
    `Варианты: ${entry.variants.join('; ')}`,
    `Ответ: ${entry.answer}`,
    `Теги: ${entry.tags.join('; ')}`,
    `Ссылки: ${entry.links.join('; ')}`,
    `Активна: ${entry.active ? 'да' : 'нет'}`,
  ].join('\n');
}

export function isHttpLink(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && text.length <= KNOWLEDGE_LIMITS.link;
  } catch {
    return false;
  }
}
