import type { Knex } from 'knex';
import * as leadsMessagesEvents from './001_leads_messages_events';
import * as products from './002_products';
import * as materials from './003_materials';
import * as leadAnswers from './004_lead_answers';
import * as bookingsContacts from './005_bookings_contacts';
import * as llmCalls from './006_llm_calls';
import * as llmDrafts from './007_llm_drafts';
import * as staffMessages from './008_staff_messages';
import * as staff from './009_staff';
import * as templates from './010_templates';
import * as handoffs from './011_handoffs';
import * as antiSpam from './012_anti_spam';
import * as staffDialogs from './013_staff_dialogs';
import * as orders from './014_orders';
import * as analyticsIndexes from './015_analytics_indexes';
import * as templateDocuments from './016_template_documents';
import * as campaigns from './017_campaigns';
import * as staffDialogFlows from './018_staff_dialog_flows';
import * as campaignAbTests from './019_campaign_ab_tests';
import * as orderInstalments from './020_order_instalments';
import * as broadcastPace from './021_broadcast_pace';
import * as campaignClickTotals from './022_campaign_click_totals';
import * as resetKeepsBooks from './023_reset_keeps_books';
import * as paymentFlags from './024_payment_flags';
import * as leadNotes from './025_lead_notes';
import * as knowledgeBase from './026_knowledge_base';
import * as telegramPayments from './027_telegram_payments';
import * as conversationMode from './028_conversation_mode';
import * as leadProfile from './029_lead_profile';
import * as queuedOutbound from './030_queued_outbound';
import * as paymentFlagResolution from './031_payment_flag_resolution';
import * as dialogMirror from './032_dialog_mirror';
import * as instalmentPages from './033_instalment_pages';

/**
 * Migrations are listed here rather than discovered on disk, so they run the same under tsx, jest
 * and a compiled build. A file's number is its place in the run order: append new ones at the end
 * with the next number; never reorder.
 */
const migrations: Record<string, Knex.Migration> = {
  '001_leads_messages_events': leadsMessagesEvents,
  '002_products': products,
  '003_materials': materials,
  '004_lead_answers': leadAnswers,
  '005_bookings_contacts': bookingsContacts,
  '006_llm_calls': llmCalls,
  '007_llm_drafts': llmDrafts,
  '008_staff_messages': staffMessages,
  '009_staff': staff,
  '010_templates': templates,
  '011_handoffs': handoffs,
  '012_anti_spam': antiSpam,
  '013_staff_dialogs': staffDialogs,
  '014_orders': orders,
  '015_analytics_indexes': analyticsIndexes,
  '016_template_documents': templateDocuments,
  '017_campaigns': campaigns,
  '018_staff_dialog_flows': staffDialogFlows,
  '019_campaign_ab_tests': campaignAbTests,
  '020_order_instalments': orderInstalments,
  '021_broadcast_pace': broadcastPace,
  '022_campaign_click_totals': campaignClickTotals,
  '023_reset_keeps_books': resetKeepsBooks,
  '024_payment_flags': paymentFlags,
  '025_lead_notes': leadNotes,
  '026_knowledge_base': knowledgeBase,
  '027_telegram_payments': telegramPayments,
  '028_conversation_mode': conversationMode,
  '029_lead_profile': leadProfile,
  '030_queued_outbound': queuedOutbound,
  '031_payment_flag_resolution': paymentFlagResolution,
  '032_dialog_mirror': dialogMirror,
  '033_instalment_pages': instalmentPages,
};

/**
 * The names these migrations had before they were numbered in run order. A database migrated under
 * the old names has its `knex_migrations` rows renamed before `migrate.latest` (see db/knex.ts), so
 * nothing runs twice.
 */
export const formerMigrationNames: Readonly<Record<string, string>> = {
  '20261129_001_leads_messages_events': '001_leads_messages_events',
  '20261129_002_products': '002_products',
  '20261129_003_materials': '003_materials',
  '20261129_004_lead_answers': '004_lead_answers',
  '20261129_005_bookings_contacts': '005_bookings_contacts',
  '20261129_006_llm_calls': '006_llm_calls',
  '20261129_007_llm_drafts': '007_llm_drafts',
  '20261129_008_staff_messages': '008_staff_messages',
  '20261129_009_staff': '009_staff',
  '20261129_010_templates': '010_templates',
  '20261201_011_handoffs': '011_handoffs',
  '20261201_030_anti_spam': '012_anti_spam',
  '20261201_031_staff_dialogs': '013_staff_dialogs',
  '20261201_020_orders': '014_orders',
  '20261201_040_analytics_indexes': '015_analytics_indexes',
  '20261201_012_template_documents': '016_template_documents',
  '20261201_050_campaigns': '017_campaigns',
  '20261202_032_staff_dialog_flows': '018_staff_dialog_flows',
  '20261202_051_campaign_ab_tests': '019_campaign_ab_tests',
  '20261202_021_order_instalments': '020_order_instalments',
  '20261202_052_broadcast_pace': '021_broadcast_pace',
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
