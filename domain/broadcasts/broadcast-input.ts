import { AB_METRICS, type AbMetric, type CampaignAudience, type CampaignButton, type Segment } from './campaign';
import { SALES_STAGES } from '../llm-reply';
import type { Scenario } from '../scenario';
import { maxScore } from '../survey';
import { DAY_MS, localTime, localToUtc, wallClock } from '../time-zone';

/**
 * What an editor types into the broadcast composer, parsed without I/O: button lines, audience
 * filters, A/B settings and the schedule in Moscow time. Every parser either returns the whole value
 * or every problem it found (in Russian, for the editor), so a bad line never half-applies.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** What the scenario knows, to catch a typo in a command or a survey answer before leads press it. */
export interface ScenarioVocabulary {
  /** Commands a lead may type (the scenario's `commands`): what an action button can do. */
  commands: ReadonlySet<string>;
  /** Survey question id → its answer codes. */
  answers: ReadonlyMap<string, ReadonlySet<string>>;
  /** The highest survey score any scenario gives (13 for the default survey): a score filter above it matches nobody. */
  maxScore?: number;
}

/** The commands and survey answers of every scenario (a button or a tag may serve leads of any language). */
export function scenarioVocabulary(scenarios: Scenario[]): ScenarioVocabulary {
  const answers = new Map<string, Set<string>>();
  for (const question of scenarios.flatMap((s) => s.survey?.questions ?? [])) {
    answers.set(question.id, new Set([...(answers.get(question.id) ?? []), ...question.options.map((o) => o.code)]));
  }
  const surveys = scenarios.flatMap((s) => (s.survey ? [s.survey] : []));
  return {
    commands: new Set(scenarios.flatMap((s) => Object.keys(s.commands))),
    answers,
    ...(surveys.length > 0 && { maxScore: Math.max(...surveys.map(maxScore)) }),
  };
}

const BUTTON_TEXT_LIMIT = 64;
const BUTTONS_PER_ROW = 8;
const ROW_LIMIT = 10;
/** `command:` and the name must fit the action limit of the content model. */
const COMMAND_NAME_LIMIT = 32;
/** Words editors reach for, as the command that does it (`contact` leaves a request for a manager). */
const ACTION_ALIASES: Record<string, string> = { отписка: 'unsubscribe', отписаться: 'unsubscribe', '/stop': 'unsubscribe', manager: 'command:contact', менеджер: 'command:contact' };

/**
 * Buttons, one a line: `Текст | https://адрес`, `Текст | unsubscribe` (отписка), or a command the
 * lead could type, as `Текст | /consult` or `Текст | command:consult` (`manager` / `менеджер` is
 * `/contact`, a request for a manager). Lines next to each other share a row; a blank line starts
 * the next row.
 */
export function parseButtonRows(text: string, vocabulary?: ScenarioVocabulary): Parsed<CampaignButton[][]> {
  const rows: CampaignButton[][] = [[]];
  const problems: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line) {
      if (rows.at(-1)!.length) rows.push([]);
      return;
    }
    const parsed = parseButtonLine(line, vocabulary);
    if (typeof parsed === 'string') problems.push(`Строка ${index + 1} («${clip(line)}»): ${parsed}`);
    else rows.at(-1)!.push(parsed);
  });
  const filled = rows.filter((row) => row.length);
  if (!problems.length && !filled.length) problems.push('Нет ни одной кнопки.');
  if (filled.some((row) => row.length > BUTTONS_PER_ROW)) problems.push(`В одном ряду не больше ${BUTTONS_PER_ROW} кнопок: разделите ряды пустой строкой.`);
  if (filled.length > ROW_LIMIT) problems.push(`Не больше ${ROW_LIMIT} рядов кнопок.`);
  return problems.length ? { ok: false, problems } : { ok: true, value: filled };
}

function parseButtonLine(line: string, vocabulary?: ScenarioVocabulary): CampaignButton | string {
  const bar = line.lastIndexOf('|');
  if (bar < 0) return 'нет «|» между текстом кнопки и ссылкой или действием.';
  const label = line.slice(0, bar).trim();
  const target = line.slice(bar + 1).trim();
  if (!label) return 'нет текста кнопки перед «|».';
  if (label.length > BUTTON_TEXT_LIMIT) return `текст кнопки длиннее ${BUTTON_TEXT_LIMIT} символов.`;
  if (!target) return 'после «|» нужна ссылка https://…, unsubscribe или команда (например /consult).';
  if (/^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      if (!url.hostname.includes('.')) return `«${clip(target)}» — не похоже на адрес сайта.`;
    } catch {
      return `«${clip(target)}» — не похоже на адрес сайта.`;
    }
    return { text: label, url: target };
  }
  if (/^[\w.-]+\.[a-z]{2,}(\/|$)/i.test(target)) return `ссылка должна начинаться с https:// (например https://${clip(target)}).`;
  const lowered = target.toLowerCase();
  const action = ACTION_ALIASES[lowered] ?? lowered.replace(/^(\/|команда:\s*)/, 'command:');
  if (action === 'unsubscribe') return { text: label, action };
  if (/^(step|шаг):/.test(action)) return `переход к шагу сценария задаётся командой, которая к нему ведёт: например /consult${vocabulary ? ` (команды: ${commandList(vocabulary)})` : ''}.`;
  const command = /^command:\s*([a-z0-9_]+)$/.exec(action)?.[1];
  if (command === undefined) return `«${clip(target)}» — не ссылка и не действие. Действия: unsubscribe (отписка) или команда лида, например /consult.`;
  if (command.length > COMMAND_NAME_LIMIT) return `команда длиннее ${COMMAND_NAME_LIMIT} символов.`;
  if (vocabulary && !vocabulary.commands.has(command)) return `в сценарии нет команды /${command}. Есть: ${commandList(vocabulary)}.`;
  return { text: label, action: `command:${command}` };
}

function commandList(vocabulary: ScenarioVocabulary): string {
  return [...vocabulary.commands].map((c) => `/${c}`).join(', ');
}

const SEGMENTS: Segment[] = ['cold', 'warm', 'hot'];
const CLEAR = new Set(['любой', 'любые', 'любая', 'все', 'any', '-', '—']);
type AudienceKey = 'score' | 'stages' | 'tags' | 'active' | 'inactive' | 'segments' | 'sources';
const AUDIENCE_KEYS: Record<string, AudienceKey> = {
  балл: 'score', баллы: 'score', score: 'score',
  этап: 'stages', этапы: 'stages', stage: 'stages', stages: 'stages',
  тег: 'tags', теги: 'tags', tag: 'tags', tags: 'tags',
  активны: 'active', активен: 'active', active: 'active',
  неактивны: 'inactive', неактивен: 'inactive', inactive: 'inactive',
  сегмент: 'segments', сегменты: 'segments', segment: 'segments', segments: 'segments',
  источник: 'sources', источники: 'sources', source: 'sources', sources: 'sources',
};

/**
 * Audience filters, one a line, each replacing the same filter of `current`:
 * `балл 6-10` (or `11+`, `до 5`: the survey's score), `этапы goal, closing`, `теги q1=trading, q3=one_month`,
 * `активны 7` (wrote within 7 days), `неактивны 30` (silent for 30 days or more),
 * `сегменты hot, warm`, `источники ads_vk`; `<фильтр> любой` removes one filter; `все` removes all.
 */
export function parseAudienceLines(text: string, current: CampaignAudience, vocabulary?: ScenarioVocabulary): Parsed<CampaignAudience> {
  let audience: CampaignAudience = { ...current };
  const problems: string[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const [, word = '', rest = ''] = /^([^\s:]+)\s*:?\s*(.*)$/.exec(line) ?? [];
    if (['все', 'всем', 'сбросить', 'all'].includes(word.toLowerCase()) && !rest) {
      audience = {};
      continue;
    }
    const key = AUDIENCE_KEYS[word.toLowerCase()];
    const applied = key ? applyFilter(audience, key, rest.trim(), vocabulary) : `не знаю фильтра «${clip(word)}». Есть: балл, этапы, теги, активны, неактивны, сегменты, источники.`;
    if (typeof applied === 'string') problems.push(`Строка ${index + 1} («${clip(line)}»): ${applied}`);
    else audience = applied;
  }
  if (!problems.length && audience.scoreMin !== undefined && audience.scoreMax !== undefined && audience.scoreMin > audience.scoreMax) {
    problems.push(`Нижняя граница балла (${audience.scoreMin}) больше верхней (${audience.scoreMax}).`);
  }
  return problems.length ? { ok: false, problems } : { ok: true, value: audience };
}

function applyFilter(audience: CampaignAudience, key: AudienceKey, value: string, vocabulary?: ScenarioVocabulary): CampaignAudience | string {
  const next = { ...audience };
  const fields: Record<AudienceKey, (keyof CampaignAudience)[]> = {
    score: ['scoreMin', 'scoreMax'], stages: ['stages'], tags: ['tags'], active: ['activeWithinDays'], inactive: ['inactiveForDays'], segments: ['segments'], sources: ['sources'],
  };
  for (const field of fields[key]) delete next[field];
  if (CLEAR.has(value.toLowerCase())) return next;
  if (!value) return 'нужно значение после названия фильтра.';
  const list = value.split(/[\s,;]+/).filter(Boolean);
  switch (key) {
    case 'score': {
      const range = parseScoreRange(value, vocabulary?.maxScore ?? SCORE_LIMIT);
      return typeof range === 'string' ? range : { ...next, ...range };
    }
    case 'stages': {
      const unknown = list.filter((s) => !(SALES_STAGES as readonly string[]).includes(s));
      return unknown.length ? `нет этапов ${unknown.map((s) => `«${clip(s)}»`).join(', ')}. Этапы: ${SALES_STAGES.join(', ')}.` : { ...next, stages: unique(list) };
    }
    case 'tags': {
      for (const tag of list) {
        const [question, answer] = tag.split('=');
        if (!question || !answer || tag.split('=').length !== 2) return `«${clip(tag)}» — тег пишется как вопрос=ответ, например q1=trading.`;
        const known = vocabulary?.answers.get(question);
        if (vocabulary && !known) return `в опросе нет вопроса «${question}». Есть: ${[...vocabulary.answers.keys()].join(', ')}.`;
        if (known && !known.has(answer)) return `у вопроса ${question} нет ответа «${answer}». Есть: ${[...known].join(', ')}.`;
      }
      return { ...next, tags: unique(list) };
    }
    case 'active':
    case 'inactive': {
      const days = /^(\d{1,4})(\s*(д|дн|дней|дня|день|days?|d))?$/i.exec(value)?.[1];
      if (!days || Number(days) < 1 || Number(days) > 3650) return 'нужно число дней от 1 до 3650, например 7.';
      return key === 'active' ? { ...next, activeWithinDays: Number(days) } : { ...next, inactiveForDays: Number(days) };
    }
    case 'segments': {
      const unknown = list.filter((s) => !(SEGMENTS as string[]).includes(s));
      return unknown.length ? `сегменты — cold, warm, hot (не ${unknown.map((s) => `«${clip(s)}»`).join(', ')}).` : { ...next, segments: unique(list) as Segment[] };
    }
    case 'sources':
      return list.some((s) => s.length > 64) ? 'источник — до 64 символов.' : { ...next, sources: unique(list) };
  }
}

/** What the api accepts without a scenario at hand (the campaign schema's bound). */
const SCORE_LIMIT = 100;

function parseScoreRange(value: string, highest: number): Pick<CampaignAudience, 'scoreMin' | 'scoreMax'> | string {
  const bad = `балл пишется как 6-10, 11+ или до 5 (от 0 до ${highest}: столько баллов даёт опрос).`;
  const inRange = (n: number) => Number.isInteger(n) && n >= 0 && n <= highest;
  let match = /^(\d{1,3})\s*[-–—]\s*(\d{1,3})$/.exec(value);
  if (match) {
    const [min, max] = [Number(match[1]), Number(match[2])];
    if (!inRange(min) || !inRange(max)) return bad;
    return min <= max ? { scoreMin: min, scoreMax: max } : `нижняя граница (${min}) больше верхней (${max}).`;
  }
  match = /^(?:(\d{1,3})\s*\+|(?:от|>=|≥)\s*(\d{1,3}))$/i.exec(value);
  if (match) return inRange(Number(match[1] ?? match[2])) ? { scoreMin: Number(match[1] ?? match[2]) } : bad;
  match = /^(?:до|<=|≤)\s*(\d{1,3})$/i.exec(value);
  if (match) return inRange(Number(match[1])) ? { scoreMax: Number(match[1]) } : bad;
  return bad;
}

export interface AbSettingsChange {
  weights?: number[];
  pilotShare?: number;
  metric?: AbMetric;
  windowHours?: 12 | 18 | 24;
}

const METRIC_ALIASES: Record<string, AbMetric> = { клики: 'click_rate', ответы: 'reply_rate', заявки: 'lead_conversion', оплаты: 'payment_conversion' };

/** A/B settings typed as `веса 50/25/25`, `пилот 15`, `метрика reply_rate` (клики, ответы, заявки, оплаты), `окно 12`. */
export function parseAbSettings(text: string, variantCount: number): Parsed<AbSettingsChange> {
  const change: AbSettingsChange = {};
  const problems: string[] = [];
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const [, word = '', rest = ''] = /^([^\s:]+)\s*:?\s*(.*)$/.exec(line) ?? [];
    const value = rest.trim().toLowerCase();
    const problem = (() => {
      switch (word.toLowerCase()) {
        case 'веса':
        case 'weights': {
          const weights = value.split(/\s*[/,\s]\s*/).filter(Boolean).map(Number);
          if (weights.length !== variantCount) return `нужно ${variantCount} веса через «/», по одному на вариант (A/B${variantCount === 3 ? '/C' : ''}), например ${variantCount === 3 ? '50/25/25' : '70/30'}.`;
          if (weights.some((w) => !Number.isInteger(w) || w < 1 || w > 100)) return 'вес — целое число от 1 до 100.';
          change.weights = weights;
          return null;
        }
        case 'пилот':
        case 'pilot': {
          const share = Number(value.replace('%', '').trim());
          if (!Number.isInteger(share) || share < 10 || share > 50) return 'доля пилота — от 10 до 50 %.';
          change.pilotShare = share;
          return null;
        }
        case 'метрика':
        case 'metric': {
          const metric = METRIC_ALIASES[value] ?? (AB_METRICS as readonly string[]).find((m) => m === value);
          if (!metric) return `метрика — клики (click_rate), ответы (reply_rate), заявки (lead_conversion) или оплаты (payment_conversion).`;
          change.metric = metric as AbMetric;
          return null;
        }
        case 'окно':
        case 'window': {
          const hours = Number(value.replace(/\s*(ч|час|часа|часов|h)$/, ''));
          if (hours !== 12 && hours !== 18 && hours !== 24) return 'окно наблюдения — 12, 18 или 24 часа.';
          change.windowHours = hours;
          return null;
        }
        default:
          return `не понимаю «${clip(word)}». Можно: веса 50/50, пилот 20, метрика ответы, окно 12.`;
      }
    })();
    if (problem) problems.push(`Строка ${index + 1}: ${problem}`);
  }
  if (!problems.length && !Object.keys(change).length) problems.push('Пришлите настройку, например: пилот 20.');
  return problems.length ? { ok: false, problems } : { ok: true, value: change };
}

/** A schedule further than this is a typo more often than a plan. */
const SCHEDULE_HORIZON_DAYS = 366;

/**
 * The sending time, typed in the school's zone (TZ_DEFAULT, domain/time-zone.ts): `24.12 10:00`,
 * `24.12.2026 10:00`, `2026-12-24 10:00`, or `сейчас` / `now` (null). Without a year it is this year,
 * or the next when the month has passed (`10.01` typed in December); a moment already past is
 * refused, never moved.
 */
export function parseSchedule(text: string, now: Date, zone = 'Europe/Moscow'): Parsed<Date | null> {
  const value = text.trim().toLowerCase();
  if (['сейчас', 'now', 'немедленно', 'сразу'].includes(value)) return { ok: true, value: null };
  const fail = (problem: string): Parsed<Date | null> => ({ ok: false, problems: [problem] });
  const today = wallClock(now.getTime(), zone);
  let parts: { year?: number; month: number; day: number; hour: number; minute: number } | undefined;
  let match = /^(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?\s+(\d{1,2})[:.](\d{2})$/.exec(value);
  if (match) {
    const year = match[3] === undefined ? undefined : Number(match[3].length === 2 ? `20${match[3]}` : match[3]);
    parts = { year, month: Number(match[2]), day: Number(match[1]), hour: Number(match[4]), minute: Number(match[5]) };
  }
  match = /^(\d{4})-(\d{1,2})-(\d{1,2})[\sT]+(\d{1,2}):(\d{2})$/.exec(value);
  if (match) parts = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]), hour: Number(match[4]), minute: Number(match[5]) };
  if (!parts) return fail(`Не понимаю время. Пишите по времени школы (${zoneName(zone)}): 24.12 10:00, 24.12.2026 10:00 или 2026-12-24 10:00 — или «сейчас».`);
  const year = parts.year ?? (parts.month < today.month ? today.year + 1 : today.year);
  const local = new Date(Date.UTC(year, parts.month - 1, parts.day));
  const real = local.getUTCFullYear() === year && local.getUTCMonth() === parts.month - 1 && local.getUTCDate() === parts.day && parts.hour < 24 && parts.minute < 60;
  if (!real) return fail(`Такой даты или времени нет: «${clip(text.trim())}».`);
  const at = new Date(localToUtc(local.getTime() / DAY_MS, parts.hour * 60 + parts.minute, zone));
  const shown = (d: Date) => formatScheduleTime(d, zone);
  if (at.getTime() <= now.getTime()) return fail(`${shown(at)} уже прошло (сейчас ${shown(now)}). Укажите время в будущем или «сейчас».`);
  if (at.getTime() - now.getTime() > SCHEDULE_HORIZON_DAYS * DAY_MS) return fail(`${shown(at)} — больше чем через год. Проверьте дату.`);
  return { ok: true, value: at };
}

/** `24.12.2026 10:00 МСК` (another zone by its IANA name: `24.12.2026 10:00 Asia/Yekaterinburg`). */
export function formatScheduleTime(at: Date, zone = 'Europe/Moscow'): string {
  const local = wallClock(at.getTime(), zone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(local.dayOfMonth)}.${two(local.month)}.${local.year} ${localTime(at.getTime(), zone)} ${zoneName(zone)}`;
}

/** How staff read the zone: МСК for Moscow, else its IANA name. */
export function zoneName(zone: string): string {
  return zone === 'Europe/Moscow' ? 'МСК' : zone;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function clip(value: string, length = 40): string {
  return value.length > length ? `${value.slice(0, length)}…` : value;
}
