import type { Scenario, ScenarioMessage } from './scenario';
import { TELEGRAM_TEXT_LIMIT } from './split-text';

/**
 * Texts editors change from the /admin panel, over the scenario's defaults: the welcome text (the
 * first text message of the start step) and the bonus caption (the caption of the bonus document).
 * Overrides are kept per key and language; the scenario file stays as shipped.
 */
export const CONTENT_KEYS = ['welcome.text', 'bonus.caption'] as const;
export type ContentKey = (typeof CONTENT_KEYS)[number];

export const CONTENT_LIMITS: Record<ContentKey, number> = { 'welcome.text': TELEGRAM_TEXT_LIMIT, 'bonus.caption': 1024 };
/** The greeting is shown before any survey: only the lead's name is known then. */
export const CONTENT_PLACEHOLDERS = ['first_name'];

/** The bonus document itself, replaced by a file an editor sent the bot (stored as `tg:<file_id>`). */
export const BONUS_FILE_KEY = 'bonus.document';
export const TELEGRAM_FILE_PREFIX = 'tg:';

/** A document reference in a scenario that is a Telegram file id rather than a path or URL. */
export function telegramFileId(document: string): string | null {
  return document.startsWith(TELEGRAM_FILE_PREFIX) ? document.slice(TELEGRAM_FILE_PREFIX.length) : null;
}

export function isContentKey(value: string): value is ContentKey {
  return (CONTENT_KEYS as readonly string[]).includes(value);
}

/** Where each key lives in a scenario: the step and the index of the message in it. */
function locate(scenario: Scenario, key: ContentKey): { stepId: string; index: number } | null {
  if (key === 'welcome.text') {
    const index = scenario.steps[scenario.start]?.messages.findIndex((m) => 'text' in m) ?? -1;
    return index >= 0 ? { stepId: scenario.start, index } : null;
  }
  // The bonus is the step named so; a scenario without one has its first document as the bonus.
  const ids = ['bonus', ...Object.keys(scenario.steps).filter((id) => id !== 'bonus')];
  for (const stepId of ids) {
    const index = scenario.steps[stepId]?.messages.findIndex((m) => 'document' in m) ?? -1;
    if (index >= 0) return { stepId, index };
  }
  return null;
}

/** The scenario's own text for a key, or undefined when the scenario has no such message. */
export function contentDefault(scenario: Scenario, key: ContentKey): string | undefined {
  const at = locate(scenario, key);
  if (!at) return undefined;
  const message = scenario.steps[at.stepId].messages[at.index];
  return 'text' in message ? message.text : (message.caption ?? '');
}

/** The bonus document's path in the scenario (for previews), if any. */
export function bonusDocument(scenario: Scenario): string | undefined {
  const at = locate(scenario, 'bonus.caption');
  const message = at && scenario.steps[at.stepId].messages[at.index];
  return message && 'document' in message ? message.document : undefined;
}

/** The scenario with the editors' published texts (and bonus file) in place of the defaults. */
export function withContentOverrides(scenario: Scenario, overrides: Partial<Record<ContentKey | typeof BONUS_FILE_KEY, string>>): Scenario {
  let result = scenario;
  const file = overrides[BONUS_FILE_KEY];
  const bonusAt = file === undefined ? null : locate(result, 'bonus.caption');
  if (bonusAt && file !== undefined) {
    const step = result.steps[bonusAt.stepId];
    const messages = step.messages.map((m, i): ScenarioMessage => (i === bonusAt.index && 'document' in m ? { ...m, document: file } : m));
    result = { ...result, steps: { ...result.steps, [bonusAt.stepId]: { ...step, messages } } };
  }
  for (const key of CONTENT_KEYS) {
    const text = overrides[key];
    const at = text === undefined ? null : locate(result, key);
    if (!at || text === undefined) continue;
    const step = result.steps[at.stepId];
    const messages = step.messages.map((m, i): ScenarioMessage => (i !== at.index || 'mediaFrom' in m ? m : 'text' in m ? { ...m, text } : { ...m, caption: text }));
    result = { ...result, steps: { ...result.steps, [at.stepId]: { ...step, messages } } };
  }
  return result;
}

export type ContentCheck = { ok: true; text: string } | { ok: false; problem: string };

/**
 * What Telegram and the bot accept: not empty, within Telegram's limit for the kind of message
 * (4,096 for a text, 1,024 for a caption), only placeholders the bot can fill, no broken braces.
 */
export function checkContent(key: ContentKey, raw: string): ContentCheck {
  const text = raw.trim();
  if (!text) return { ok: false, problem: 'Текст пустой: Telegram не отправит пустое сообщение.' };
  const limit = CONTENT_LIMITS[key];
  if (text.length > limit) return { ok: false, problem: `Текст длиннее ${limit} символов (${text.length}): Telegram его не пропустит.` };
  const unknown = [...text.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]).filter((name) => !CONTENT_PLACEHOLDERS.includes(name));
  if (unknown.length) return { ok: false, problem: `Неизвестные подстановки: ${unknown.map((n) => `{${n}}`).join(', ')}. Доступно: {first_name}.` };
  if (/[{}]/.test(text.replace(/\{[a-z_]+\}/g, ''))) return { ok: false, problem: 'Непарная фигурная скобка: лид увидел бы её как есть.' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text)) return { ok: false, problem: 'В тексте служебные символы: уберите их.' };
  return { ok: true, text };
}
