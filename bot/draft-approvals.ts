import { Composer } from 'grammy';
import type { Logger } from 'pino';
import { decodeButton } from '../domain/callback-data';
import { STAFF_TEXTS } from '../domain/staff-texts';
import { DRAFT_SCOPE, type DraftDecision } from '../workflows/lead-conversation/contract';
import type { BotContext } from './context';

/** What the approval feature needs: where drafts are, and how to reach a lead's conversation. */
export interface DraftApprovalDeps {
  managersChatId: number;
  findDraft(id: number): Promise<{ telegramUserId: number; pending: boolean } | undefined>;
  findDraftByMessage(chatId: number, messageId: number): Promise<{ id: number; telegramUserId: number } | undefined>;
  decide(telegramUserId: number, decision: DraftDecision): Promise<void>;
  logger: Logger;
}

/**
 * Approval mode in the managers' chat: the draft's buttons approve or reject it; a reply to the
 * draft card with text sends that text instead. Only the managers' chat counts.
 */
export function draftApprovals(deps: DraftApprovalDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const managersChat = composer.filter((ctx) => ctx.chat?.id === deps.managersChatId);

  managersChat.on('callback_query:data', async (ctx, next) => {
    const press = decodeButton(ctx.callbackQuery.data);
    if (press?.scope !== DRAFT_SCOPE) return next();
    const [id, verdict] = press.buttonId.split('.');
    const draft = await deps.findDraft(Number(id));
    // The answer is a courtesy to the manager: a failed one must not undo the decision.
    const answer = (text: string) => ctx.answerCallbackQuery({ text }).catch((error: unknown) => deps.logger.warn({ err: String(error) }, 'answerCallbackQuery failed'));
    if (!draft?.pending || (verdict !== 'ok' && verdict !== 'no')) {
      await answer(STAFF_TEXTS.draftClosed);
      return;
    }
    await deps.decide(draft.telegramUserId, { draftId: Number(id), decision: verdict === 'ok' ? 'approve' : 'reject', by: ctx.from.id });
    await answer(verdict === 'ok' ? STAFF_TEXTS.approved : STAFF_TEXTS.rejected);
    await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } }).catch(() => undefined);
  });

  managersChat.on('message:text', async (ctx, next) => {
    const repliedTo = ctx.message.reply_to_message?.message_id;
    const draft = repliedTo ? await deps.findDraftByMessage(ctx.chat.id, repliedTo) : undefined;
    if (!draft) return next();
    await deps.decide(draft.telegramUserId, { draftId: draft.id, decision: 'edit', text: ctx.message.text, by: ctx.from.id });
    deps.logger.info({ draftId: draft.id, by: ctx.from.id }, 'draft replaced by a manager');
    await ctx.reply(STAFF_TEXTS.edited, { reply_parameters: { message_id: ctx.message.message_id } });
  });

  return composer;
}
