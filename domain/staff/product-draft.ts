/**
 * A product as an admin edits it in the Telegram product editor (docs/products-and-matching.md): what each
 * answer of the dialog may be, with a message saying what is wrong when it may not. Pure, so the
 * rules are unit-tested without a bot; the same limits as the seed file and the products table.
 */
import type { ProductDefinition, Segment } from '../product-matching';
import type { Survey } from '../survey';

/** The product being edited: a whole definition, empty where nothing was given yet. Plain JSON (kept in staff_dialogs). */
export type ProductDraft = ProductDefinition;

/** What the editor asks for, one answer each; the button's callback data carries the id. */
export const PRODUCT_FIELDS = ['code', 'name', 'description', 'props', 'price', 'currency', 'links', 'stars', 'landing', 'segments', 'criteria', 'levels', 'media'] as const;
export type ProductField = (typeof PRODUCT_FIELDS)[number];

export function isProductField(value: string): value is ProductField {
  return (PRODUCT_FIELDS as readonly string[]).includes(value);
}

export const SEGMENTS: readonly Segment[] = ['cold', 'warm', 'hot'];
/** "-" clears an optional field. */
export const CLEAR = '-';
/** How the media is kept in `media_url`: a Telegram file id with its kind, so a preview sends it the same way. */
export const MEDIA_PREFIX = { document: 'tg:document:', photo: 'tg:photo:' } as const;
export type MediaKind = keyof typeof MEDIA_PREFIX;

export type FieldResult = { ok: true; draft: ProductDraft } | { ok: false; problem: string };

export function emptyDraft(): ProductDraft {
  return {
    code: '',
    name: '',
    description: '',
    price: 0,
    currency: '',
    valuePropositions: [],
    targetSegments: [],
    paymentLinks: {},
    budgetLevel: 1,
    urgencyLevel: 1,
    active: true,
    criteria: [],
  };
}

const CODE = /^[a-z][a-z0-9_]{0,63}$/;
const LIMITS = { name: 120, description: 1000, prop: 300, props: 10, criteria: 40, weight: 100, reason: 200, stars: 100_000 };

/**
 * Applies one typed answer to the draft. `survey` names the questions and answers criteria may
 * refer to, so a typo never becomes a criterion that can never match.
 */
export function applyField(draft: ProductDraft, field: Exclude<ProductField, 'media'>, input: string, survey: Survey | undefined): FieldResult {
  const text = input.trim();
  const ok = (change: Partial<ProductDraft>): FieldResult => ({ ok: true, draft: { ...draft, ...change } });
  const bad = (problem: string): FieldResult => ({ ok: false, problem });
  switch (field) {
    case 'code': {
      const code = text.toLowerCase();
      return CODE.test(code) ? ok({ code }) : bad('Код — латинские буквы, цифры и _, с буквы, до 64 символов (например crypto_pro).');
    }
    case 'name':
      if (!text) return bad('Название не может быть пустым.');
      return text.length <= LIMITS.name ? ok({ name: text }) : bad(`Название длиннее ${LIMITS.name} символов (${text.length}).`);
    case 'description':
      if (!text) return bad('Описание не может быть пустым.');
      return text.length <= LIMITS.description ? ok({ description: text }) : bad(`Описание длиннее ${LIMITS.description} символов (${text.length}).`);
    case 'props': {
      const props = lines(text).map((line) => line.replace(/^[•\-–*]\s*/, ''));
      if (props.length === 0) return bad('Нужна хотя бы одна ценность: по одной на строку.');
      if (props.length > LIMITS.props) return bad(`Не больше ${LIMITS.props} ценностей (прислано ${props.length}).`);
      const long = props.findIndex((p) => p.length > LIMITS.prop);
      return long === -1 ? ok({ valuePropositions: props }) : bad(`Строка ${long + 1} длиннее ${LIMITS.prop} символов.`);
    }
    case 'price': {
      const price = parsePrice(text);
      return price === null ? bad('Цена — число больше 0, не больше двух знаков после запятой (например 4990 или 49,90).') : ok({ price });
    }
    case 'currency':
      return /^[A-Za-z]{3,5}$/.test(text) ? ok({ currency: text.toUpperCase() }) : bad('Валюта — 3–5 латинских букв, например RUB, USD или USDT.');
    case 'links':
      return parseLinks(text, ok, bad);
    case 'stars': {
      if (text === CLEAR) return ok({ starsPrice: undefined });
      const stars = /^\d+$/.test(text) ? Number(text) : NaN;
      return stars >= 1 && stars <= LIMITS.stars ? ok({ starsPrice: stars }) : bad(`Цена в Stars — целое число от 1 до ${LIMITS.stars}, или «${CLEAR}», чтобы убрать.`);
    }
    case 'landing':
      if (text === CLEAR) return ok({ landingUrl: undefined });
      return webUrl(text, ['http:', 'https:']) ? ok({ landingUrl: text }) : bad('Ссылка на лендинг — адрес http:// или https://, или «-», чтобы убрать.');
    case 'segments': {
      const words = text.toLowerCase().split(/[\s,;]+/).filter(Boolean);
      const unknown = words.filter((w) => !(SEGMENTS as readonly string[]).includes(w));
      if (words.length === 0 || unknown.length > 0) return bad(`Сегменты — cold, warm, hot через пробел или запятую${unknown.length ? `; непонятно: ${unknown.join(', ')}` : ''}.`);
      return ok({ targetSegments: SEGMENTS.filter((s) => words.includes(s)) });
    }
    case 'criteria':
      return parseCriteria(text, survey, ok, bad);
    case 'levels': {
      const match = /^([0-3])\s+([0-3])$/.exec(text);
      return match ? ok({ budgetLevel: Number(match[1]), urgencyLevel: Number(match[2]) }) : bad('Два числа от 0 до 3 через пробел: бюджет и срочность (например 2 1).');
    }
  }
}

/** The media answer: a file the admin sent (its Telegram id), or "-" to remove the media. */
export function applyMedia(draft: ProductDraft, media: { kind: MediaKind; fileId: string } | null): ProductDraft {
  const { mediaUrl: _old, ...rest } = draft;
  return media ? { ...rest, mediaUrl: `${MEDIA_PREFIX[media.kind]}${media.fileId}` } : rest;
}

/** The media as a preview sends it: a Telegram file of its kind, or a web address sent as a photo. */
export function productMedia(mediaUrl: string | undefined): { kind: MediaKind; source: string } | null {
  if (!mediaUrl) return null;
  for (const kind of Object.keys(MEDIA_PREFIX) as MediaKind[]) {
    if (mediaUrl.startsWith(MEDIA_PREFIX[kind])) return { kind, source: mediaUrl.slice(MEDIA_PREFIX[kind].length) };
  }
  return { kind: 'photo', source: mediaUrl };
}

/** What still stops a publish, in the editor's words; empty when the draft can be published. */
export function missingForPublish(draft: ProductDraft): string[] {
  const missing: string[] = [];
  if (!draft.code) missing.push('код');
  if (!draft.name) missing.push('название');
  if (!draft.description) missing.push('описание');
  if (!(draft.price > 0)) missing.push('цена');
  if (!draft.currency) missing.push('валюта');
  if (draft.valuePropositions.length === 0) missing.push('ценности');
  if (draft.targetSegments.length === 0) missing.push('сегменты');
  if (!draft.criteria.some((c) => c.weight > 0)) missing.push('критерии (хотя бы один с положительным весом)');
  return missing;
}

/** The fields whose value differs, in editor order (for the record of a publish). */
export function changedFields(before: ProductDraft | null, after: ProductDraft): string[] {
  const pick = (d: ProductDraft | null): Record<string, unknown> => ({
    code: d?.code,
    name: d?.name,
    description: d?.description,
    props: d?.valuePropositions,
    price: d?.price,
    currency: d?.currency,
    links: d?.paymentLinks,
    stars: d?.starsPrice,
    landing: d?.landingUrl,
    segments: d?.targetSegments,
    criteria: d?.criteria,
    levels: d && [d.budgetLevel, d.urgencyLevel],
    media: d?.mediaUrl,
    active: d?.active,
  });
  const [a, b] = [pick(before), pick(after)];
  return Object.keys(b).filter((key) => canonical(a[key]) !== canonical(b[key]));
}

/** JSON with object keys sorted: a draft read back from jsonb has its keys in another order. */
function canonical(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, x]) => [k, sorted(x)]))
        : v;
  return JSON.stringify(sorted(value ?? null));
}

/** The draft as admins read it before publishing: everything a lead sees, then the matching. */
export function renderProductPreview(draft: ProductDraft, productId: number | null): string {
  const or = (value: string | undefined | false) => value || '—';
  const links = Object.entries(draft.paymentLinks).map(([type, url]) => `${type} ${url}`);
  return [
    `🛒 ${productId ? `Продукт №${productId}` : 'Новый продукт'}${draft.active ? '' : ' (скрыт)'}`,
    `Код: ${or(draft.code)}`,
    `Название: ${or(draft.name)}`,
    `Описание: ${or(draft.description)}`,
    `Ценности:${draft.valuePropositions.length ? draft.valuePropositions.map((p) => `\n• ${p}`).join('') : ' —'}`,
    `Цена: ${draft.price > 0 ? `${draft.price} ${or(draft.currency)}` : `— ${draft.currency}`.trim()}`,
    `Оплата: ${links.length ? links.join(', ') : '—'} · Stars: ${draft.starsPrice ?? '—'}`,
    `Лендинг: ${or(draft.landingUrl)}`,
    `Сегменты: ${draft.targetSegments.length ? draft.targetSegments.join(', ') : '—'} · бюджет ${draft.budgetLevel}, срочность ${draft.urgencyLevel}`,
    `Медиа: ${draft.mediaUrl ? (productMedia(draft.mediaUrl)?.kind === 'document' ? 'документ' : 'фото') : '—'}`,
    `Критерии:${draft.criteria.length ? draft.criteria.map((c) => `\n• ${criterionLine(c)}`).join('') : ' —'}`,
  ].join('\n');
}

export function criterionLine(c: ProductDraft['criteria'][number]): string {
  return `${c.question} ${c.answer} ${c.weight > 0 ? '+' : ''}${c.weight}${c.reason ? ` ${c.reason}` : ''}`;
}

// ---------------------------------------------------------------------------------------------

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** "4 990", "4990.5", "49,90": whole cents, above 0 and below what numeric(12,2) holds. */
function parsePrice(text: string): number | null {
  const normal = text.replace(/[\s\u00a0]/g, '').replace(',', '.');
  if (!/^\d+(\.\d{1,2})?$/.test(normal)) return null;
  const price = Number(normal);
  return price > 0 && price < 1e10 ? price : null;
}

function webUrl(text: string, protocols: string[]): boolean {
  if (/\s/.test(text)) return false;
  try {
    const url = new URL(text);
    return protocols.includes(url.protocol) && url.hostname.includes('.');
  } catch {
    return false;
  }
}

/** "full https://…" / "instalment https://…", a line each; pages that take money are https only (as in the seed file). */
function parseLinks(text: string, ok: (c: Partial<ProductDraft>) => FieldResult, bad: (p: string) => FieldResult): FieldResult {
  if (text === CLEAR) return ok({ paymentLinks: {} });
  const links: { full?: string; instalment?: string } = {};
  for (const [i, line] of lines(text).entries()) {
    const [type, url, ...rest] = line.split(/\s+/);
    if ((type !== 'full' && type !== 'instalment') || !url || rest.length) {
      return bad(`Строка ${i + 1}: нужно «full <ссылка>» или «instalment <ссылка>».`);
    }
    if (!webUrl(url, ['https:'])) return bad(`Строка ${i + 1}: «${url}» — не адрес https:// (страница оплаты только по https).`);
    links[type] = url;
  }
  return ok({ paymentLinks: links });
}

/** "q1 no_experience 3 Причина", a line each; weights non-zero (negative: an anti-signal). */
function parseCriteria(text: string, survey: Survey | undefined, ok: (c: Partial<ProductDraft>) => FieldResult, bad: (p: string) => FieldResult): FieldResult {
  const criteria: ProductDraft['criteria'] = [];
  const all = lines(text);
  if (all.length === 0) return bad('Нужен хотя бы один критерий: «вопрос ответ вес [причина]».');
  if (all.length > LIMITS.criteria) return bad(`Не больше ${LIMITS.criteria} критериев (прислано ${all.length}).`);
  for (const [i, line] of all.entries()) {
    const at = `Строка ${i + 1}`;
    const match = /^(\S+)\s+(\S+)\s+(\S+)(?:\s+(.+))?$/.exec(line);
    if (!match) return bad(`${at}: нужно «вопрос ответ вес [причина]», например «q1 no_experience 3 Курс с нуля».`);
    const [, question, answer, rawWeight, reason] = match;
    const weight = Number(rawWeight.replace(',', '.').replace('−', '-'));
    if (survey) {
      const q = survey.questions.find((x) => x.id === question);
      if (!q) return bad(`${at}: в анкете нет вопроса «${question}» (есть ${survey.questions.map((x) => x.id).join(', ')}).`);
      if (!q.options.some((o) => o.code === answer)) return bad(`${at}: у вопроса ${question} нет ответа «${answer}» (есть ${q.options.map((o) => o.code).join(', ')}).`);
    }
    if (!Number.isFinite(weight) || weight === 0 || Math.abs(weight) > LIMITS.weight) {
      return bad(`${at}: вес — число от −${LIMITS.weight} до ${LIMITS.weight}, не 0 (отрицательный — «против»).`);
    }
    if (criteria.some((c) => c.question === question && c.answer === answer)) return bad(`${at}: критерий ${question} ${answer} уже был выше.`);
    if (reason && reason.length > LIMITS.reason) return bad(`${at}: причина длиннее ${LIMITS.reason} символов.`);
    criteria.push({ question, answer, weight, ...(reason && { reason: reason.trim() }) });
  }
  if (!criteria.some((c) => c.weight > 0)) return bad('Нужен хотя бы один критерий с положительным весом: иначе продукт всегда наберёт 0%.');
  return ok({ criteria });
}
