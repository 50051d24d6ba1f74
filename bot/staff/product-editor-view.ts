import { InlineKeyboard } from 'grammy';
import { CLEAR, criterionLine, PRODUCT_FIELDS, renderProductPreview, type ProductDraft, type ProductField } from '../../domain/staff/product-draft';
import type { Survey } from '../../domain/survey';

/**
 * What the product editor shows: the draft with its buttons, the question for each field. Callback
 * data is `pe:<action>[:<arg>]`, at most 20 bytes (a product id included), far inside Telegram's 64.
 */
export const PRODUCT_SCOPE = 'pe';

export const FIELD_LABELS: Record<ProductField, string> = {
  code: 'Код',
  name: 'Название',
  description: 'Описание',
  props: 'Ценности',
  price: 'Цена',
  currency: 'Валюта',
  links: 'Ссылки оплаты',
  stars: 'Цена в Stars',
  landing: 'Лендинг',
  segments: 'Сегменты',
  criteria: 'Критерии',
  levels: 'Бюджет и срочность',
  media: 'Медиа',
};

export const PRODUCT_TEXTS = {
  list: (rows: { code: string; name: string; price: number; currency: string; active: boolean }[]) =>
    ['🛒 Продукты:', ...(rows.length ? rows.map((p) => `• ${p.code} — ${p.name}: ${p.price} ${p.currency}${p.active ? '' : ' (скрыт)'}`) : ['—'])].join('\n'),
  newProduct: 'Новый продукт. Отвечайте по шагам; необязательные поля — потом, кнопками. /cancel — отмена.',
  chooseField: 'Выберите, что изменить, кнопкой под черновиком.',
  tryAgain: 'Пришлите исправленный ответ или /cancel.',
  notMedia: 'Нужен документ или фото (или «-», чтобы убрать медиа).',
  noDraft: 'Нет открытого черновика продукта: откройте /admin → «Продукты».',
  unknownProduct: 'Такого продукта больше нет: откройте «Продукты» заново.',
  stale: 'Эта кнопка устарела: откройте /admin → «Продукты».',
  missing: (fields: string[]) => `Пока нельзя опубликовать, не хватает: ${fields.join(', ')}.`,
  codeTaken: (code: string) => `Код «${code}» уже занят другим продуктом: выберите другой (кнопка «Код»).`,
  unchanged: 'Изменений нет: публиковать нечего.',
  changedMeanwhile: (fields: string[]) =>
    `⚠️ Пока вы редактировали, продукт опубликовал кто-то ещё (изменено: ${fields.join(', ')}). Ваш черновик сохранён; «Опубликовать» ещё раз заменит и эти поля.`,
  published: (name: string, code: string, created: boolean) =>
    `✅ Продукт «${name}» (${code}) ${created ? 'создан' : 'обновлён'}: подбор для новых ответов анкеты уже учитывает его.`,
  mediaPreview: 'Медиа продукта — так его увидит лид:',
  probePrompt: 'Проверка подбора на лиде: пришлите @username, telegram id или телефон лида. Считается по черновику, до публикации.',
};

const PROMPTS: Record<ProductField, (draft: ProductDraft, survey: Survey | undefined) => string> = {
  code: (d) => `Код продукта: латиница, цифры и _, например crypto_pro.${now(d.code)}`,
  name: (d) => `Название продукта, как его увидит лид.${now(d.name)}`,
  description: (d) => `Короткое описание (до 1000 символов).${now(d.description)}`,
  props: (d) => `Ценности для лида, по одной на строку.${now(d.valuePropositions.join('\n'))}`,
  price: (d) => `Цена — число больше 0, например 4990 или 49,90.${now(d.price > 0 ? String(d.price) : '')}`,
  currency: (d) => `Валюта — 3–5 латинских букв: RUB, USD, USDT…${now(d.currency)}`,
  links: (d) =>
    `Ссылки на оплату по строкам: «full https://…» (полная оплата) и «instalment https://…» (рассрочка); «${CLEAR}» — убрать все.${now(
      Object.entries(d.paymentLinks).map(([type, url]) => `${type} ${url}`).join('\n'),
    )}`,
  stars: (d) => `Цена в Telegram Stars — целое число; «${CLEAR}» — без оплаты в Stars.${now(d.starsPrice === undefined ? '' : String(d.starsPrice))}`,
  landing: (d) => `Ссылка на лендинг (http:// или https://); «${CLEAR}» — убрать.${now(d.landingUrl ?? '')}`,
  segments: (d) => `Сегменты, для которых продукт: cold, warm, hot через пробел.${now(d.targetSegments.join(' '))}`,
  criteria: (d, survey) =>
    [
      'Критерии подбора, по одному на строку: «вопрос ответ вес причина». Вес со знаком минус — «против»; причину увидит лид.',
      'Например: q1 no_experience 3 Курс начинается с нуля',
      ...(survey ? ['', 'Вопросы и ответы анкеты:', ...survey.questions.map((q) => `${q.id}: ${q.options.map((o) => o.code).join(', ')}`)] : []),
      'Присланный список заменит весь текущий.',
    ].join('\n') + now(d.criteria.map(criterionLine).join('\n')),
  levels: (d) => `Бюджет и срочность лида, которому продукт подходит: два числа 0–3 через пробел (решают только при равном совпадении).${now(`${d.budgetLevel} ${d.urgencyLevel}`)}`,
  media: (d) => `Медиа: пришлите картинку (фото) или файл (документом) для карточки продукта; «${CLEAR}» — убрать.${d.mediaUrl ? '\n\nСейчас медиа есть.' : ''}`,
};

function now(value: string): string {
  return value ? `\n\nСейчас:\n${value}` : '';
}

/** The question for one field, with its current value; `step` while a new product is walked through. */
export function fieldPrompt(field: ProductField, draft: ProductDraft, survey: Survey | undefined, step?: { n: number; of: number }): [string, { reply_markup: InlineKeyboard }] {
  const keyboard = new InlineKeyboard().text('↩️ К черновику', `${PRODUCT_SCOPE}:menu`).text('✖️ Отменить', 'adm:cancel');
  return [`${step ? `Шаг ${step.n} из ${step.of}. ` : ''}${PROMPTS[field](draft, survey)}`, { reply_markup: keyboard }];
}

/** The draft and every action on it: a button per field, show/hide, the probe, publish, cancel. */
export function editorView(draft: ProductDraft, productId: number | null): [string, { reply_markup: InlineKeyboard }] {
  const keyboard = new InlineKeyboard();
  PRODUCT_FIELDS.forEach((field, i) => {
    keyboard.text(`✏️ ${FIELD_LABELS[field]}`, `${PRODUCT_SCOPE}:set:${field}`);
    if (i % 3 === 2) keyboard.row();
  });
  keyboard
    .row()
    .text(draft.active ? '🙈 Скрыть от лидов' : '👁 Показывать лидам', `${PRODUCT_SCOPE}:active`)
    .text('🧪 Проверить на лиде', `${PRODUCT_SCOPE}:probe`)
    .row()
    .text('✅ Опубликовать', `${PRODUCT_SCOPE}:publish`)
    .text('✖️ Отменить', 'adm:cancel');
  return [`${renderProductPreview(draft, productId)}\n\nПредпросмотр черновика: лиды его не видят, пока вы не опубликуете.`, { reply_markup: keyboard }];
}

/** The /admin products page: the catalogue, a button to edit each product and one to add a product. */
export function productsPage(rows: { id: number; code: string; name: string; price: number; currency: string; active: boolean }[]): [string, { reply_markup: InlineKeyboard }] {
  const keyboard = new InlineKeyboard();
  for (const p of rows) keyboard.text(`✏️ ${p.code}`, `${PRODUCT_SCOPE}:open:${p.id}`).row();
  keyboard.text('➕ Новый продукт', `${PRODUCT_SCOPE}:new`);
  return [PRODUCT_TEXTS.list(rows), { reply_markup: keyboard }];
}

export function probeKeyboard(): InlineKeyboard {
  return new InlineKeyboard()
    .text('🧪 Другой лид', `${PRODUCT_SCOPE}:probe`)
    .text('↩️ К черновику', `${PRODUCT_SCOPE}:menu`)
    .row()
    .text('✅ Опубликовать', `${PRODUCT_SCOPE}:publish`)
    .text('✖️ Отменить', 'adm:cancel');
}
