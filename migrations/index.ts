import type { Knex } from 'knex';
import * as leadsMessagesEvents from './20261129_001_leads_messages_events';
import * as products from './20261129_002_products';
import * as materials from './20261129_003_materials';
import * as leadAnswers from './20261129_004_lead_answers';
import * as bookingsContacts from './20261129_005_bookings_contacts';
import * as llmCalls from './20261129_006_llm_calls';
import * as llmDrafts from './20261129_007_llm_drafts';
import * as staffMessages from './20261129_008_staff_messages';
import * as staff from './20261129_009_staff';
import * as templates from './20261129_010_templates';
import * as handoffs from './20261201_011_handoffs';
import * as templateDocuments from './20261201_012_template_documents';
import * as antiSpam from './20261201_030_anti_spam';
import * as staffDialogs from './20261201_031_staff_dialogs';
import * as orders from './20261201_020_orders';
import * as analyticsIndexes from './20261201_040_analytics_indexes';
import * as campaigns from './20261201_050_campaigns';
import * as staffDialogFlows from './20261202_032_staff_dialog_flows';
import * as campaignAbTests from './20261202_051_campaign_ab_tests';
import * as orderInstalments from './20261202_021_order_instalments';
import * as broadcastPace from './20261202_052_broadcast_pace';
import * as resetKeepsBooks from './20261206_060_reset_keeps_books';

/**
 * Migrations are listed here rather than discovered on disk, so they run the same
 * under tsx, jest and a compiled build. Append new ones at the end; never reorder.
 */
const migrations: Record<string, Knex.Migration> = {
  '20261129_001_leads_messages_events': leadsMessagesEvents,
  '20261129_002_products': products,
  '20261129_003_materials': materials,
  '20261129_004_lead_answers': leadAnswers,
  '20261129_005_bookings_contacts': bookingsContacts,
  '20261129_006_llm_calls': llmCalls,
  '20261129_007_llm_drafts': llmDrafts,
  '20261129_008_staff_messages': staffMessages,
  '20261129_009_staff': staff,
  '20261129_010_templates': templates,
  '20261201_011_handoffs': handoffs,
  '20261201_030_anti_spam': antiSpam,
  '20261201_031_staff_dialogs': staffDialogs,
  '20261201_020_orders': orders,
  '20261201_040_analytics_indexes': analyticsIndexes,
  '20261201_012_template_documents': templateDocuments,
  '20261201_050_campaigns': campaigns,
  '20261202_032_staff_dialog_flows': staffDialogFlows,
  '20261202_051_campaign_ab_tests': campaignAbTests,
  '20261202_021_order_instalments': orderInstalments,
  '20261202_052_broadcast_pace': broadcastPace,
  '20261206_060_reset_keeps_books': resetKeepsBooks,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
