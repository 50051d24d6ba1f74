import { outsideQuietHours } from './follow-ups';
import type { HandoffTrigger } from './lead-priority';
import { localDate } from './time-zone';

/** An untaken lead is re-announced and escalated after this long. */
export const TAKE_SLA_MS = 15 * 60_000;
/** A dialog (or an untaken lead) with no message either way for this long closes itself. */
export const SILENCE_CLOSE_MS = 24 * 60 * 60_000;
/** Callback data of the card's buttons: `ho:<lead id>-<n>.take|open|script|pass`. */
export const HANDOFF_SCOPE = 'ho';
export const CARD_ACTIONS = ['take', 'open', 'script', 'pass'] as const;
export type CardAction = (typeof CARD_ACTIONS)[number];
export const CLOSE_OUTCOMES = ['done', 'paid', 'cancelled'] as const;
export type CloseOutcome = (typeof CLOSE_OUTCOMES)[number];
/** How a dialog ended: by the manager, or by itself after the silence. */
export type HandoffOutcome = CloseOutcome | 'timeout';
/** The managers' working hours in the school's time zone; outside them the lead is told when to expect an answer. */
export const WORKING_HOURS = { from: '10:00', to: '19:00' } as const;

/** Everything the lead card shows (docs/manager-handoff.md#the-lead-card). */
export interface LeadCardFacts {
  who: string;
  phone: string | null;
  email: string | null;
  segment: string | null;
  score: number | null;
  stage: string | null;
  trigger: HandoffTrigger;
  priority: number;
  summary: string;
  lastMessages: { direction: 'in' | 'out' | 'manager'; text: string }[];
  product: string | null;
  headline?: string;
  /** What the bot learned about the lead (domain/lead-profile.ts `profileLines`); absent or empty: not shown. */
  learned?: string[];
}

const TRIGGER_NAMES: Record<HandoffTrigger, string> = {
  manager_requested: 'просит менеджера',
  purchase_intent: 'хочет купить',
  payment_started: 'начал оплату',
  discount_request: 'просит скидку',
  contact_form: 'оставил заявку',
  model_escalation: 'бот передал менеджеру',
  manager_took: 'менеджер открыл диалог сам',
};

/** Why the lead reached the managers, as staff read it. */
export function triggerName(trigger: string): string {
  return (TRIGGER_NAMES as Record<string, string>)[trigger] ?? trigger;
}

const SPEAKER = { in: '👤', out: '🤖', manager: '🧑‍💼' } as const;

/** The card's text: who, how to reach them, where they are, what was said. */
export function leadCardText(card: LeadCardFacts): string {
  const profile = card.segment ? `${card.segment}${card.score !== null ? `, ${card.score}/13` : ''}` : 'не пройден';
  const lines = [
    `${card.who}: ${card.headline ?? `🔔 ${TRIGGER_NAMES[card.trigger]}`}`,
    `Приоритет: ${card.priority} · ${TRIGGER_NAMES[card.trigger]}`,
    `Телефон: ${card.phone ?? '—'} · E-mail: ${card.email ?? '—'}`,
    `Сегмент: ${profile} · Этап: ${card.stage ?? '—'}`,
    `Рекомендуем: ${card.product ?? '—'}`,
    ...learnedBlock(card.learned),
    '',
    `Кратко: ${card.summary || '—'}`,
  ];
  if (card.lastMessages.length) {
    lines.push('', 'Последние сообщения:');
    for (const m of card.lastMessages) lines.push(`${SPEAKER[m.direction]} ${clip(m.text, 200)}`);
  }
  return lines.join('\n');
}

/** The profile the bot learned, as a block of the card (nothing when nothing was learned). */
function learnedBlock(lines: string[] | undefined): string[] {
  return lines?.length ? ['', '🧠 Что бот узнал:', ...lines] : [];
}

/** A summary of at most 400 characters: the lead's own words, newest last, with the profile first. */
export function conversationSummary(facts: { segment: string | null; score: number | null; leadTexts: string[] }): string {
  const profile = facts.segment ? `Сегмент ${facts.segment} (${facts.score ?? '?'}/13). ` : '';
  const words = facts.leadTexts.filter((t) => t && !t.startsWith('[button]') && !t.startsWith('/'));
  const said = words.length ? `Лид писал: ${words.map((t) => `«${clip(t, 120)}»`).join(' ')}` : 'Лид общался кнопками.';
  return clip(profile + said, 400);
}

/** What the bot remembers of a closed dialog (≤ 400 characters), so it resumes with context. */
export function dialogSummary(d: {
  manager: string | null;
  outcome: HandoffOutcome;
  reason: string | null;
  /** The latest texts of each side (the last one is quoted); the counts, when only the latest are kept. */
  leadTexts: string[];
  managerTexts: string[];
  leadCount?: number;
  managerCount?: number;
}): string {
  const head = d.outcome === 'timeout' ? 'Диалог закрыт после 24 ч тишины' : `Итог: ${d.outcome}${d.reason ? ` (${d.reason})` : ''}`;
  const who = d.manager ? `Менеджер ${d.manager}. ` : 'Менеджер не подключился. ';
  const lastLead = d.leadTexts.at(-1);
  const lastManager = d.managerTexts.at(-1);
  const tail = [lastLead && `лид: «${clip(lastLead, 100)}»`, lastManager && `менеджер: «${clip(lastManager, 100)}»`].filter(Boolean).join('; ');
  return clip(`${head}. ${who}Сообщений: лид ${d.leadCount ?? d.leadTexts.length}, менеджер ${d.managerCount ?? d.managerTexts.length}.${tail ? ` Последнее — ${tail}.` : ''}`, 400);
}

/**
 * What the lead is told when nobody took them within the SLA: the honest wait. Inside working hours
 * the queue is short; outside them the lead learns when the managers are back.
 */
export function honestWait(nowMs: number, timeZone: string, language: 'ru' | 'en'): string {
  const reopens = outsideQuietHours(nowMs, { from: WORKING_HOURS.to, to: WORKING_HOURS.from }, timeZone);
  if (reopens === nowMs) {
    return language === 'en'
      ? 'All our managers are busy right now, sorry for the wait. You are in the queue: a manager will write here within the next hour.'
      : 'Все менеджеры сейчас заняты, простите за ожидание. Вы в очереди: менеджер напишет здесь в течение часа.';
  }
  const sameDay = localDate(reopens, timeZone) === localDate(nowMs, timeZone);
  if (language === 'en') return `Our managers work from ${WORKING_HOURS.from} to ${WORKING_HOURS.to} Moscow time. A manager will write here ${sameDay ? 'today' : 'tomorrow'} after ${WORKING_HOURS.from}. Meanwhile I can answer your questions.`;
  return `Менеджеры работают с ${WORKING_HOURS.from} до ${WORKING_HOURS.to} по Москве. Менеджер напишет здесь ${sameDay ? 'сегодня' : 'завтра'} после ${WORKING_HOURS.from}. А пока я могу ответить на ваши вопросы.`;
}

/** `/close` arguments: an outcome, then a reason of at least a few characters. */
export function parseClose(args: string): { outcome: CloseOutcome; reason: string } | { error: string } {
  const [word = '', ...rest] = args.trim().split(/\s+/);
  const outcome = word.toLowerCase();
  if (!(CLOSE_OUTCOMES as readonly string[]).includes(outcome)) return { error: `итог должен быть одним из: ${CLOSE_OUTCOMES.join(', ')}` };
  const reason = rest.join(' ').trim();
  if (reason.length < 3) return { error: 'укажите причину (хотя бы 3 символа)' };
  return { outcome: outcome as CloseOutcome, reason: clip(reason, 300) };
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
