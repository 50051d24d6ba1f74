import { Composer } from 'grammy';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { BotContext } from './context';

/**
 * Installed first: every feature after it may trust the fields Telegram always sends. An update
 * without a sender or a chat where Telegram always puts one, with a text that is not a string, or
 * of no kind Telegram knows (a forged webhook post, a broken proxy) is refused with the reason in
 * the log, instead of throwing deep inside a feature (found by the fault suite's fuzzed updates,
 * docs/protection.md). Texts are made storable: Postgres keeps neither NUL nor lone surrogates.
 */
export function wellFormedUpdates(logger: Logger): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.use((ctx, next) => {
    const reason = refusalReason(ctx.update as unknown as Record<string, unknown>);
    if (reason) {
      logger.warn({ updateId: ctx.update.update_id, reason }, 'update refused');
      return;
    }
    makeTextsStorable(ctx.update as unknown as Record<string, unknown>);
    return next();
  });
  return composer;
}

/** Telegram's update kinds (Bot API 9): an update carries exactly one of them. */
const UPDATE_KINDS = [
  'message', 'edited_message', 'channel_post', 'edited_channel_post', 'business_connection', 'business_message',
  'edited_business_message', 'deleted_business_messages', 'message_reaction', 'message_reaction_count', 'inline_query',
  'chosen_inline_result', 'callback_query', 'shipping_query', 'pre_checkout_query', 'purchased_paid_media', 'poll',
  'poll_answer', 'my_chat_member', 'chat_member', 'chat_join_request', 'chat_boost', 'removed_chat_boost',
] as const;

const user = z.looseObject({ id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER), is_bot: z.boolean(), first_name: z.string() });
const chat = z.looseObject({ id: z.number().int().refine((id) => id !== 0), type: z.enum(['private', 'group', 'supergroup', 'channel']) });
const message = z
  .looseObject({ message_id: z.number().int(), date: z.number().int(), chat, from: user.optional(), text: z.string().optional(), caption: z.string().optional() })
  // Only channel posts come without a sender.
  .refine((m) => m.from !== undefined || m.chat.type === 'channel', 'no sender');
const shapes: Partial<Record<(typeof UPDATE_KINDS)[number], z.ZodType>> = {
  message,
  edited_message: message,
  channel_post: message,
  edited_channel_post: message,
  callback_query: z.looseObject({ id: z.string().min(1), from: user, data: z.string().optional(), message: z.looseObject({ message_id: z.number().int(), chat }).optional() }),
  pre_checkout_query: z.looseObject({ id: z.string().min(1), from: user, currency: z.string(), total_amount: z.number().int(), invoice_payload: z.string() }),
  my_chat_member: z.looseObject({ chat, from: user }),
  chat_member: z.looseObject({ chat, from: user }),
};

/** Why the update is refused, or null when it is well formed. */
export function refusalReason(update: Record<string, unknown>): string | null {
  const kinds = UPDATE_KINDS.filter((kind) => update[kind] !== undefined);
  if (kinds.length !== 1) return kinds.length === 0 ? 'no update kind Telegram knows' : `several update kinds at once: ${kinds.join(', ')}`;
  const shape = shapes[kinds[0]];
  if (!shape) return null;
  const parsed = shape.safeParse(update[kinds[0]]);
  if (parsed.success) return null;
  const issue = parsed.error.issues[0];
  return `${kinds[0]}: ${issue.path.join('.') || 'value'}: ${issue.message}`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** NUL dropped, a lone surrogate replaced by U+FFFD: what Postgres text and jsonb can store. */
export function storableText(text: string): string {
  return text.replaceAll(String.fromCharCode(0), '').replace(LONE_SURROGATE, '\uFFFD');
}

function makeTextsStorable(update: Record<string, unknown>): void {
  for (const kind of ['message', 'edited_message', 'channel_post', 'edited_channel_post', 'callback_query'] as const) {
    const body = update[kind] as Record<string, unknown> | undefined;
    if (!body) continue;
    for (const field of ['text', 'caption', 'data'] as const) {
      if (typeof body[field] === 'string') body[field] = storableText(body[field]);
    }
  }
}
