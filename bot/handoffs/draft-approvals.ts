import { Composer } from 'grammy';
import type { Logger } from 'pino';
import { decodeButton } from '../../domain/callback-data';
import { STAFF_TEXTS } from '../../domain/staff/staff-texts';
import { DRAFT_SCOPE, type DraftDecision } from '../../workflows/lead-conversation/contract';
import type { BotContext } from '../context';
import { checkStaffAction, type StaffAccessDeps } from '../staff-access';

/** What the approval feature needs: where drafts are, and how to reach a lead's conversation. */
export interface DraftApprovalDeps {
  managersChatId: number;
  findDraft(id: number): Promise<{ telegramUserId: number; pending: boolean } | undefined>;
  findDraftByMessage(chatId: number, messageId: number): Promise<{ id: number; telegramUserId: number } | undefined>;
  decide(telegramUserId: number, decision: DraftDecision): Promise<void>;
  /** Who may decide on drafts: a manager or above, checked on every press and reply, refusals recorded. */
  access: StaffAccessDeps;
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
    if (!(await checkStaffAction(deps.access, ctx, 'manager', 'draft_decision', { draftId: id, verdict }, { recordAllowed: false })).allowed) {
      deps.logger.warn({ by: ctx.from.id, draftId: id }, 'draft decision refused: not staff');
      await ctx.answerCallbackQuery({ text: STAFF_TEXTS.notAllowed }).catch(() => undefined);
      return;
    }
    const draft = await deps.findDraft(Number(id));
    // The answer is a courtesy to the manager: a failed one must not undo the decision.
    const answer = (text: string) => ctx.answerCallbackQuery({ text }).catch((error: unknown) => deps.logger.warn({ err: String(error) }, 'answerCallbackQuery failed'));
    if (!draft?.pending || (verdict !== 'ok' && verdict !== 'no')) {
      await answer(STAFF_TEXTS.draftClosed);
      return;
    }
    // The workflow keeps the first decision it receives; the card loses its buttons so others see it is decided.
    const delivered = await deps
      .decide(draft.telegramUserId, { draftId: Number(id), decision: verdict === 'ok' ? 'approve' : 'reject', by: ctx.from.id })
      .then(() => true)
      .catch((error: unknown) => {
        deps.logger.error({ draftId: Number(id), err: String(error) }, 'draft decision not delivered');
        return false;
      });
    await answer(!delivered ? STAFF_TEXTS.notDelivered : verdict === 'ok' ? STAFF_TEXTS.approved : STAFF_TEXTS.rejected);
    if (!delivered) return;
    await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } }).catch(() => undefined);
  });

  managersChat.on('message:text', async (ctx, next) => {
    const repliedTo = ctx.message.reply_to_message?.message_id;
    const draft = repliedTo ? await deps.findDraftByMessage(ctx.chat.id, repliedTo) : undefined;
    if (!draft) return next();
    if (!(await checkStaffAction(deps.access, ctx, 'manager', 'draft_edit', { draftId: draft.id }, { recordAllowed: false })).allowed) {
      await ctx.reply(STAFF_TEXTS.notAllowed, { reply_parameters: { message_id: ctx.message.message_id } });
      return;
    }
    const delivered = await deps
      .decide(draft.telegramUserId, { draftId: draft.id, decision: 'edit', text: ctx.message.text, by: ctx.from.id })
      .then(() => true)
      .catch((error: unknown) => {
        deps.logger.error({ draftId: draft.id, err: String(error) }, 'draft edit not delivered');
        return false;
      });
    deps.logger.info({ draftId: draft.id, by: ctx.from.id, delivered }, 'draft replaced by a manager');
    await ctx.reply(delivered ? STAFF_TEXTS.edited : STAFF_TEXTS.notDelivered, { reply_parameters: { message_id: ctx.message.message_id } });
  });

  return composer;
}
