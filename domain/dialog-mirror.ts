/**
 * The live dialogs' rules (docs/manager-handoff.md#live-dialogs), pure: which of a lead's unmirrored
 * messages are ready to post, how a batch reads, what the topic is called.
 */

export interface MirrorMessage {
  id: number;
  direction: 'in' | 'out' | 'manager';
  text: string | null;
  payload: Record<string, unknown> | null;
  status: string;
  /** The message in the lead's chat, when Telegram took it: media is copied from there. */
  telegramMessageId?: number | null;
  /** The lead's chat the message is in. */
  chatId?: number;
  /** How old the message is (ms). */
  ageMs: number;
  settled: boolean;
}

export interface MirrorTiming {
  /** A lead's messages within this window of their first unposted one go out as one post. */
  batchWindowMs: number;
  /** A send still `sending` after this long is taken as settled (its record was cut off). */
  stuckSendingMs: number;
}

/** Telegram's limit for one message's text; a batch stops before it. */
const POST_LIMIT = 4000;
/** One long message never fills a post alone. */
const LINE_LIMIT = 1500;

/**
 * The messages that can go out now, oldest first: the run before the first one that may still change
 * or be joined by an older one (not settled, or a send whose outcome is not recorded yet).
 */
export function readyRun(messages: MirrorMessage[], timing: MirrorTiming): MirrorMessage[] {
  const run: MirrorMessage[] = [];
  for (const message of messages) {
    if (!message.settled) break;
    if (message.status === 'sending' && message.ageMs < timing.stuckSendingMs) break;
    run.push(message);
  }
  return run;
}

/** How long until the run is due (<= 0: now): its first message's window has passed, so later messages of the window join it. */
export function dueInMs(run: MirrorMessage[], timing: MirrorTiming): number | null {
  return run.length === 0 ? null : timing.batchWindowMs - run[0].ageMs;
}

/** Who wrote a line, as the topic shows it. */
export function authorOf(message: Pick<MirrorMessage, 'direction'>, leadName: string): string {
  if (message.direction === 'in') return `👤 ${leadName}`;
  if (message.direction === 'manager') return '👔 Менеджер';
  return '🤖 Бот';
}

/** One message as a line of the post: its author, what it was (media named), and a failed send said so. */
export function mirrorLine(message: MirrorMessage, leadName: string): string {
  const content = message.payload?.content as { type?: string } | undefined;
  const media = message.direction !== 'in' && content?.type && content.type !== 'text' ? `[${content.type}] ` : '';
  const copied = message.direction !== 'in' && message.payload?.copiedFrom && !message.text ? '[медиа]' : '';
  const body = `${media}${copied}${(message.text ?? '').trim()}`.trim() || '[без текста]';
  const failed = message.status === 'failed' ? ' ⚠️ не доставлено' : message.status === 'unknown' ? ' ❔ доставка неизвестна' : '';
  const text = body.length > LINE_LIMIT ? `${body.slice(0, LINE_LIMIT - 1)}…` : body;
  return `${authorOf(message, leadName)}${failed}:\n${text}`;
}

/** A photo, document, voice note… in the lead's chat: copied into the topic as it is, under its line as the caption. */
export function isCopyable(message: MirrorMessage): boolean {
  if (!message.telegramMessageId || message.status === 'failed') return false;
  if (message.direction === 'in') return message.payload?.kind === 'media' || message.payload?.kind === 'voice';
  const content = message.payload?.content as { type?: string } | undefined;
  return (content?.type !== undefined && content.type !== 'text') || message.payload?.copiedFrom !== undefined;
}

/** What one post carries: lines of text, or one media message copied with its line as the caption. */
export type MirrorBatch = { through: number; text: string; copy?: { messageId: number } };

/**
 * The batch a post carries: as many of the run's messages as fit in one Telegram message, up to the
 * next media message, which goes as a copy of its own. Messages a manager wrote in the topic itself
 * are already there: they are passed over (never posted again).
 */
export function batchOf(run: MirrorMessage[], leadName: string, skip: (message: MirrorMessage) => boolean): MirrorBatch | null {
  if (run.length === 0) return null;
  const lines: string[] = [];
  let length = 0;
  let through = run[0].id;
  for (const message of run) {
    if (skip(message)) {
      through = message.id;
      continue;
    }
    if (isCopyable(message)) {
      if (lines.length > 0) break;
      const caption = mirrorLine(message, leadName);
      return { through: message.id, text: caption.length > 1024 ? `${caption.slice(0, 1023)}…` : caption, copy: { messageId: message.telegramMessageId as number } };
    }
    const line = mirrorLine(message, leadName);
    if (lines.length > 0 && length + line.length + 2 > POST_LIMIT) break;
    lines.push(line);
    length += line.length + 2;
    through = message.id;
  }
  return { through, text: lines.join('\n\n') };
}

/** The topic's name: the lead as staff know them, with the id that /lead and /r take (at most 128 characters). */
export function topicName(lead: { id: number; firstName: string | null; lastName: string | null; username: string | null }): string {
  const name = [lead.firstName, lead.lastName].filter(Boolean).join(' ').trim() || 'Лид';
  const tail = `${lead.username ? ` @${lead.username}` : ''} #${lead.id}`;
  return `${name.slice(0, 128 - tail.length)}${tail}`;
}
