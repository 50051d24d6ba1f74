import { Bot } from 'grammy';
import type { Logger } from 'pino';
import { adminPanel, type AdminPanelDeps } from './staff/admin-panel';
import { antiSpam, type AntiSpamDeps } from './anti-spam';
import { broadcastComposer, type BroadcastComposerDeps } from './broadcasts/broadcast-composer';
import { campaignButtons } from './broadcasts/campaign-buttons';
import { campaignDesk, type CampaignDeskDeps } from './broadcasts/campaign-desk';
import type { BotContext } from './context';
import { withUpdateScope } from '../db/update-scope';
import { leadCard, type LeadCardDeps } from './handoffs/lead-card';
import { dashboard, type DashboardDeps } from './staff/dashboard';
import type { LeadConversations } from './leads/lead-conversations';
import { draftApprovals, type DraftApprovalDeps } from './handoffs/draft-approvals';
import { groupMembership } from './group-membership';
import { handoffDesk } from './handoffs/handoff-desk';
import type { Handoffs } from './handoffs/handoffs';
import { managerDialogs } from './handoffs/manager-dialogs';
import { sendTo } from './handoffs/send-to';
import { deskCommands } from './handoffs/desk-commands';
import { dialogTopics } from './handoffs/dialog-topics';
import { leadDesk } from './handoffs/lead-desk';
import { sendToReplies } from './handoffs/sendto-replies';
import { leadNotes } from './handoffs/lead-notes';
import { leadUpdates } from './leads/lead-updates';
import { knowledgeImport } from './staff/knowledge-import-panel';
import { knowledgePanel } from './staff/knowledge-panel';
import { materialFile } from './staff/material-file';
import { materialsImport } from './staff/materials-import-panel';
import { productEditor } from './staff/product-editor';
import { telegramFileDownloader } from './telegram-files';
import { wellFormedUpdates } from './well-formed-updates';
import { paymentCommands, type PaymentCommandsDeps } from './payments/payments';
import { invoicePayments } from './payments/invoice-payments';
import { refreshStaffMenu } from './command-menus';
import { staffAreNotLeads, staffHelp } from './staff/staff-help';
import { staffCommands, type StaffDeps } from './staff/staff-commands';
import { templateEditing, type TemplateEditingDeps } from './staff/template-editing';
import { whoami, type WhoamiDeps } from './whoami';

export interface BotDeps {
  token: string;
  apiRoot: string;
  conversations: Pick<LeadConversations, 'deliver'>;
  logger: Logger;
  /** Approval of low-confidence drafts in the managers' chat, when configured. */
  approvals?: DraftApprovalDeps;
  /**
   * Staff commands (/staff, /staff_add, /staff_remove) with role checks; also who may add the bot to
   * a group. Its managersChatId is where staff act while no owners are configured (see staff-access.ts).
   */
  staff?: StaffDeps;
  /** Editors change follow-up templates from Telegram. */
  templates?: TemplateEditingDeps;
  /** Manager handoffs: the card's buttons, the dialogs in private, /sendto (needs `staff` for the roles). */
  handoffs?: Handoffs;
  /** Flooding leads are muted before any feature sees their updates; /unmute for staff. */
  antiSpam?: AntiSpamDeps;
  /** /lead: search a lead and read the card (managers and above). */
  leadCard?: LeadCardDeps;
  /** /admin: the staff panel (menus per role, content editing dialogs, lead search, the product editor, the materials importer, the knowledge base). */
  panel?: AdminPanelDeps;
  /** Stars payments and the staff's payment commands (confirm, cancel, personal link, refund). */
  payments?: PaymentCommandsDeps;
  /** /dashboard: the analytics summary for managers and above. */
  dashboard?: DashboardDeps;
  /** /broadcast: editors compose, preview and launch a broadcast campaign. */
  broadcasts?: BroadcastComposerDeps;
  /** Broadcasts: leads' tracked action buttons; editors' /campaigns, /campaign and the controls on reports. */
  campaigns?: CampaignDeskDeps;
  /** /whoami: anyone's user id and chat id, how owners fill ADMIN_TELEGRAM_IDS and MANAGERS_CHAT_ID. */
  whoami?: WhoamiDeps;
  /** DIALOGS_CHAT_ID: managers write to a lead in the lead's topic there, and /close it (needs `staff` and `handoffs`). */
  dialogsChatId?: number;
}

/**
 * The bot with every feature installed. With long polling, a failed update reaches bot.catch
 * (logged; polling goes on). On a webhook grammY skips bot.catch and the request fails, so
 * Telegram delivers the update again.
 */
export function createBot({ token, apiRoot, conversations, logger, approvals, staff, templates, handoffs, antiSpam: spam, leadCard: cards, panel, payments, dashboard: dashboardDeps, campaigns, broadcasts, whoami: whoamiDeps, dialogsChatId }: BotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(token, { client: { apiRoot } });
  // Malformed updates are refused (with the reason in the log) before any feature reads them.
  bot.use(wellFormedUpdates(logger));
  // The sender's role and staff dialog are looked up once per update, however many features ask.
  bot.use((_ctx, next) => withUpdateScope(next));
  if (staff) bot.use(groupMembership(staff));
  // Before any command handler: /close in a lead's topic is that topic's, not the managers' chat's.
  if (staff && handoffs && dialogsChatId !== undefined) bot.use(dialogTopics({ ...staff, handoffs, dialogsChatId }));
  if (spam) bot.use(antiSpam(spam));
  // Money first: a staff dialog waiting for its editor's next message, or the lead flow, would take a
  // successful_payment for a message; and a pre-checkout query must be answered within 10 seconds.
  if (payments) bot.use(invoicePayments(payments));
  // For anyone, in any chat, before every feature (a lead's /whoami never reaches their conversation).
  if (whoamiDeps) bot.use(whoami(whoamiDeps));
  // A role change shows the person their new command menu at once (bot/command-menus.ts).
  if (staff) bot.use(staffCommands({ ...staff, handoffs, refreshMenu: (id) => refreshStaffMenu({ ...staff, api: bot.api }, id) }), staffHelp(staff));
  if (staff) bot.use(sendTo(staff), leadNotes(staff));
  // The manager's desk: the lead card's buttons (Take dialog, Write, Open, Return to queue), /queue, /my,
  // /pass. Before the panel: a Write waiting for its text owns the manager's next message and /cancel.
  if (staff && handoffs) bot.use(leadDesk({ ...staff, handoffs }), deskCommands({ ...staff, handoffs }));
  if (cards) bot.use(leadCard(cards));
  if (panel) {
    const download = telegramFileDownloader(token, apiRoot);
    bot.use(adminPanel(panel), productEditor(panel), materialsImport({ ...panel, download }), materialFile(panel), knowledgePanel(panel), knowledgeImport({ ...panel, download }));
  }
  if (templates) bot.use(templateEditing(templates));
  if (broadcasts) bot.use(broadcastComposer(broadcasts));
  if (dashboardDeps) bot.use(dashboard(dashboardDeps));
  if (campaigns) bot.use(campaignDesk(campaigns));
  if (approvals) bot.use(draftApprovals(approvals));
  if (payments) bot.use(paymentCommands(payments));
  // After every staff dialog (an editor who also holds a lead is typing a new welcome text, not a reply),
  // before the lead flow: a manager's messages to their leads never reach the bot's own conversation.
  if (staff && handoffs) bot.use(handoffDesk({ ...staff, handoffs }), managerDialogs({ ...staff, handoffs }));
  // Staff never enter the lead flow (no conversation, no lead row, not counted in analytics).
  if (staff) bot.use(staffAreNotLeads(staff));
  // A lead's reply to a manager's one-off message (/sendto, Write) reaches that manager, then the conversation.
  if (staff) bot.use(sendToReplies(staff));
  // A broadcast's action button is the lead's, but counted as a click before it reaches their conversation.
  if (campaigns) bot.use(campaignButtons({ db: campaigns.db, conversations, logger }));
  bot.use(leadUpdates(conversations, logger));
  bot.on('message', (ctx) => logger.info({ updateId: ctx.update.update_id, chatType: ctx.chat.type }, 'update not for any feature'));
  bot.catch((error) => {
    // The cause with its stack; the context (api with the token, the update's texts) never reaches the line.
    logger.error({ updateId: error.ctx.update.update_id, err: error.error }, 'update handling failed');
  });
  return bot;
}
