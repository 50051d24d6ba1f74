import { Bot } from 'grammy';
import type { Logger } from 'pino';
import type { BotContext } from './context';
import { dashboard, type DashboardDeps } from './dashboard';
import type { LeadConversations } from './lead-conversations';
import { draftApprovals, type DraftApprovalDeps } from './draft-approvals';
import { leadUpdates } from './lead-updates';
import { staffCommands, type StaffDeps } from './staff-commands';
import { templateEditing, type TemplateEditingDeps } from './template-editing';

export interface BotDeps {
  token: string;
  apiRoot: string;
  conversations: Pick<LeadConversations, 'deliver'>;
  logger: Logger;
  /** Approval of low-confidence drafts in the managers' chat, when configured. */
  approvals?: DraftApprovalDeps;
  /** Staff commands (/staff, /staff_add, /staff_remove) with role checks. */
  staff?: StaffDeps;
  /** Editors change follow-up templates from Telegram. */
  templates?: TemplateEditingDeps;
  /** /dashboard: the analytics summary for managers and above. */
  dashboard?: DashboardDeps;
}

/**
 * The bot with every feature installed. With long polling, a failed update reaches bot.catch
 * (logged; polling goes on). On a webhook grammY skips bot.catch and the request fails, so
 * Telegram delivers the update again.
 */
export function createBot({ token, apiRoot, conversations, logger, approvals, staff, templates, dashboard: dashboardDeps }: BotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(token, { client: { apiRoot } });
  if (staff) bot.use(staffCommands(staff));
  if (templates) bot.use(templateEditing(templates));
  if (dashboardDeps) bot.use(dashboard(dashboardDeps));
  if (approvals) bot.use(draftApprovals(approvals));
  bot.use(leadUpdates(conversations, logger));
  bot.on('message', (ctx) => logger.info({ updateId: ctx.update.update_id, chatType: ctx.chat.type }, 'update not for any feature'));
  bot.catch((error) => {
    logger.error({ updateId: error.ctx.update.update_id, err: String(error.error) }, 'update handling failed');
  });
  return bot;
}
