import type { FakeTelegramServer, FakeUser, RecordedCall } from '../../fakes/telegram-server';

/** One thing a lead does: type a text, or press the newest button whose label contains `label`. */
export type Step = { say: string } | { press: string } | { expect: string };

export const say = (text: string): Step => ({ say: text });
export const press = (label: string): Step => ({ press: label });
/** Waits until a message containing `text` arrives (how a journey ends: its last answer). */
export const expectText = (text: string): Step => ({ expect: text });

/** The methods that put a message in a chat (what a lead sees). */
const SEND_METHODS = new Set(['sendMessage', 'sendDocument', 'sendPhoto', 'sendVideo', 'sendAudio', 'sendVoice', 'copyMessage', 'sendInvoice']);

/** The gap before an update that follows another with no answer awaited in between (a person types on). */
const HUMAN_PACE_MS = 2_000;
/**
 * Anti-spam's rules (docs/protection.md, domain/anti-spam.ts: 8 typed messages in 10 s, 20 updates in
 * 60 s) with a margin: a walk stays under them, so a lead is never muted for the walker's speed.
 */
const PACE_RULES = [
  { typedOnly: true, count: 6, windowMs: 11_000 },
  { typedOnly: false, count: 18, windowMs: 61_000 },
];

type Button = { text: string; callback_data?: string };

/** Every message the bot put in `chatId`, in the order the fake received them. */
export function sendsTo(telegram: FakeTelegramServer, chatId: number): RecordedCall[] {
  return telegram.calls.filter((call) => SEND_METHODS.has(call.method) && Number(call.params.chat_id) === chatId && !call.error);
}

/** A send as a lead sees it: the method and its text or caption (what makes two sends "the same"). */
export function describeSend(call: RecordedCall): string {
  return `${call.method}: ${String(call.params.text ?? call.params.caption ?? '')}`;
}

function buttonsOf(call: RecordedCall): Button[] {
  const markup = call.params.reply_markup as { inline_keyboard?: Button[][] } | string | undefined;
  const parsed = typeof markup === 'string' ? (JSON.parse(markup) as { inline_keyboard?: Button[][] }) : markup;
  return parsed?.inline_keyboard?.flat() ?? [];
}

export interface WalkOptions {
  /** Called with each update the lead makes, once the fake has queued it (to redeliver it, or post it to a webhook). */
  afterPush?: (updateId: number) => Promise<void> | void;
}

/**
 * Walks one lead through `steps` on the fake Telegram, the way a person would: each press waits
 * until a message newer than the last one pressed shows the button, then presses it. Resolves when
 * the last step is done; rejects (naming the step) when a step waited longer than `stepTimeoutMs`.
 */
export async function walk(telegram: FakeTelegramServer, lead: FakeUser, steps: Step[], stepTimeoutMs: number, options: WalkOptions = {}): Promise<void> {
  const afterPush = options.afterPush ?? (() => undefined);
  let seen = 0; // sends to this lead already looked at: a press only uses a newer message
  const updates: { at: number; typed: boolean }[] = [];
  let answeredSinceLastUpdate = true;
  // A person's pace: a press right after the answer it presses on, a text typed after another
  // HUMAN_PACE_MS later, and never as many as anti-spam mutes for.
  const pace = async (typed: boolean) => {
    const last = updates.at(-1);
    let until = last && !answeredSinceLastUpdate ? last.at + HUMAN_PACE_MS : 0;
    for (const rule of PACE_RULES) {
      const counted = updates.filter((u) => u.typed || !rule.typedOnly);
      if (counted.length >= rule.count && (typed || !rule.typedOnly)) until = Math.max(until, counted[counted.length - rule.count].at + rule.windowMs);
    }
    const wait = until - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    updates.push({ at: Date.now(), typed });
    answeredSinceLastUpdate = false;
  };
  for (const [index, step] of steps.entries()) {
    const where = `lead ${lead.id}, step ${index + 1} (${JSON.stringify(step)})`;
    if ('say' in step) {
      await pace(true);
      seen = sendsTo(telegram, lead.id).length;
      await afterPush(telegram.pushText(lead, step.say));
      continue;
    }
    let found: { call: RecordedCall; button?: Button } | undefined;
    const look = () => {
      const sends = sendsTo(telegram, lead.id);
      for (let i = sends.length - 1; i >= seen; i -= 1) {
        if ('expect' in step && describeSend(sends[i]).includes(step.expect)) found = { call: sends[i] };
        const button = 'press' in step ? buttonsOf(sends[i]).find((b) => b.text.includes(step.press) && b.callback_data) : undefined;
        if (button) found = { call: sends[i], button };
        if (found) {
          seen = sends.length;
          answeredSinceLastUpdate = true;
          return true;
        }
      }
      return false;
    };
    await telegram.waitFor(look, stepTimeoutMs).catch((error: Error) => {
      const last = sendsTo(telegram, lead.id).slice(-3).map((c) => `${describeSend(c).slice(0, 80)} [${buttonsOf(c).map((b) => b.text).join(', ')}]`);
      throw new Error(`${where} waited in vain ${stepTimeoutMs} ms; the lead's last messages: ${last.join(' / ') || 'none'}`);
    });
    if (found?.button) {
      await pace(false);
      const messageId = (found.call.result as { message_id: number }).message_id;
      await afterPush(telegram.pushCallback(lead, found.button.callback_data as string, { message_id: messageId }));
    }
  }
}

/**
 * What a lead got compared with what it should have got (a reference lead's sends, walked with no
 * faults): missing sends are lost, extra copies of a send are duplicated.
 */
export function compareSends(expected: string[], got: string[]): { lost: number; duplicated: number; extra: string[]; missing: string[]; inOrder: boolean } {
  const counts = new Map<string, number>();
  for (const send of expected) counts.set(send, (counts.get(send) ?? 0) + 1);
  const extra: string[] = [];
  for (const send of got) {
    const left = counts.get(send) ?? 0;
    if (left > 0) counts.set(send, left - 1);
    else extra.push(send);
  }
  const missing = [...counts.entries()].flatMap(([send, n]) => Array<string>(n).fill(send));
  // In order: what arrived (extras aside) follows the reference's order.
  const arrived = new Set(got);
  const firstSeen = got.filter((send, i) => got.indexOf(send) === i);
  const inOrder = JSON.stringify(firstSeen.filter((send) => expected.includes(send))) === JSON.stringify(expected.filter((send, i) => arrived.has(send) && expected.indexOf(send) === i));
  return { lost: missing.length, duplicated: extra.length, extra, missing, inOrder };
}

/**
 * The suite's figures for a group of leads held to one reference: delivered, lost, duplicated, and
 * which. `resent` (per chat, the texts the message log marks as sent again after a kill mid-send):
 * a second copy of one of those is counted as duplicated but explained, not a shortfall.
 */
export function measureLeads(telegram: FakeTelegramServer, expected: string[], leads: FakeUser[], resent = new Map<number, string[]>()) {
  const figures = leads.map((l) => {
    const compared = compareSends(expected, sendsTo(telegram, l.id).map(describeSend));
    const mayRepeat = [...(resent.get(l.id) ?? [])];
    const unexplained = compared.extra.filter((send) => {
      const at = mayRepeat.indexOf(send.slice(send.indexOf(': ') + 2));
      if (at >= 0) mayRepeat.splice(at, 1);
      return at < 0;
    });
    return { lead: l.id, ...compared, extra: unexplained, resentTwice: compared.extra.length - unexplained.length };
  });
  const lost = figures.reduce((sum, f) => sum + f.lost, 0);
  const resentTwice = figures.reduce((sum, f) => sum + f.resentTwice, 0);
  const duplicated = figures.reduce((sum, f) => sum + f.duplicated, 0);
  const delivered = leads.reduce((sum, l) => sum + sendsTo(telegram, l.id).length, 0);
  const outOfOrder = figures.filter((f) => !f.inOrder).map((f) => f.lead);
  const shortfalls = [
    ...(outOfOrder.length ? [`${outOfOrder.length} leads got their messages out of order: ${outOfOrder.slice(0, 5).join(', ')}`] : []),
    ...(lost ? [`${lost} messages lost: ${JSON.stringify(figures.filter((f) => f.lost).map((f) => ({ lead: f.lead, missing: f.missing })))}`.slice(0, 2000)] : []),
    ...(duplicated > resentTwice ? [`${duplicated - resentTwice} duplicated: ${JSON.stringify(figures.filter((f) => f.extra.length).map((f) => ({ lead: f.lead, extra: f.extra })))}`.slice(0, 2000)] : []),
  ];
  return { lost, duplicated, resentTwice, delivered, shortfalls };
}

/** Walks every lead at once (each a little after the previous); the failures, one line per stuck lead. */
export async function walkAll(telegram: FakeTelegramServer, leads: FakeUser[], steps: Step[], stepTimeoutMs: number, options: WalkOptions & { staggerMs?: number } = {}): Promise<string[]> {
  const failures = await Promise.all(
    leads.map(async (lead, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * (options.staggerMs ?? 300)));
      return walk(telegram, lead, steps, stepTimeoutMs, options).then(
        () => undefined,
        (error: Error) => error.message,
      );
    }),
  );
  return failures.filter((failure): failure is string => !!failure);
}

/**
 * Waits (up to `timeoutMs`) until every lead has at least `count` sends: a walk ends at the first
 * message of its last answer, and the rest of that answer may still be on its way.
 */
export async function settled(telegram: FakeTelegramServer, leads: FakeUser[], count: number, timeoutMs = 30_000): Promise<void> {
  await telegram.waitFor(() => leads.every((l) => sendsTo(telegram, l.id).length >= count), timeoutMs).catch(() => undefined);
}
