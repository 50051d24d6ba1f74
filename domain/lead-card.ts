/**
 * The lead card staff read in Telegram (`/lead`): a header and sections, each a title and lines.
 * Pure rendering; `db/lead-card.ts` gathers the data. A new kind of history (orders, campaigns
 * received) is a new section, nothing else changes.
 */

export interface LeadCardSection {
  title: string;
  /** Shown as "—" when empty, so staff can tell "nothing" from "not shown". */
  lines: string[];
}

export interface LeadCardProfile {
  telegramUserId: number;
  name: string;
  username: string | null;
  phone: string | null;
  email: string | null;
  languageCode: string | null;
  source: string | null;
  segment: string | null;
  score: number | null;
  stage: string;
  mode: string;
  optedOut: boolean;
  blocked: boolean;
  /** ISO time the current anti-spam mute ends, if muted now. */
  mutedUntil: string | null;
  createdAt: string;
  lastInboundAt: string | null;
}

export const SURVEY_MAX_SCORE = 13;

export function renderLeadCard(profile: LeadCardProfile, sections: LeadCardSection[], formatTime: (iso: string) => string): string {
  const yesNo = (value: boolean) => (value ? 'да' : 'нет');
  const header = [
    `👤 ${profile.name}${profile.username ? ` (@${profile.username})` : ''} · id ${profile.telegramUserId}`,
    `📞 ${profile.phone ?? '—'} · ✉️ ${profile.email ?? '—'} · язык ${profile.languageCode ?? '—'} · источник ${profile.source ?? '—'}`,
    `Сегмент: ${profile.segment ?? '—'} · балл: ${profile.score === null ? '—' : `${profile.score}/${SURVEY_MAX_SCORE}`} · стадия: ${profile.stage} · режим: ${profile.mode}`,
    `Отписан: ${yesNo(profile.optedOut)} · заблокировал бота: ${yesNo(profile.blocked)} · ограничен: ${profile.mutedUntil ? `до ${formatTime(profile.mutedUntil)}` : 'нет'}`,
    `С нами с ${formatTime(profile.createdAt)}; последнее сообщение: ${profile.lastInboundAt ? formatTime(profile.lastInboundAt) : '—'}`,
  ];
  const body = sections.map((section) => [`\n${section.title}:`, ...(section.lines.length ? section.lines : ['—'])].join('\n'));
  return [...header, ...body].join('\n');
}

/** One line of the message log: who spoke, when, the text cut to fit a card. */
export function messageLine(direction: string, at: string, text: string | null, formatTime: (iso: string) => string): string {
  const arrow = direction === 'in' ? '←' : direction === 'out' ? '→' : '👔';
  const body = (text ?? '').replace(/\s+/g, ' ').trim();
  return `${arrow} ${formatTime(at)} ${body.length > 120 ? `${body.slice(0, 119)}…` : body}`;
}
