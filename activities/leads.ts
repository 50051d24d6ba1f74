import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from 'pino';
import { LEAD_CONVERSION_EVENTS, noteCampaignOutcome } from '../db/campaign-outcomes';
import type { InboundEvent, TelegramPerson } from '../domain/inbound-event';
import { recordEvent } from '../db/events';
import type { Db } from '../db/knex';
import { eraseLead, openOrdersOfLead, type ErasureReport } from '../db/lead-erasure';
import { upsertLead, type LeadMode } from '../db/leads';
import { recordConversationMode } from '../db/conversation-mode';
import { recordInboundEvent } from '../db/inbound-record';
import { LEAD_RESET_REASON, paymentCancelledSignal, paymentWorkflowId } from '../workflows/payment/contract';

export interface LeadsDeps {
  db: Db;
  logger: Logger;
}

/** Lead records in Postgres: who the lead is, what they wrote, what happened. */
export function createLeadsActivities({ db, logger }: LeadsDeps) {
  return {
    /** Stores the lead's profile and the inbound message in one transaction (db/inbound-record.ts). */
    async recordInbound(event: InboundEvent): Promise<{ leadId: number; firstTime: boolean }> {
      return recordInboundEvent(db, event);
    },

    /** The lead's orders still awaiting money: a photo or document sent now is taken as a receipt. */
    async openOrderIds(request: { telegramUserId: number }): Promise<number[]> {
      return openOrdersOfLead(db, request.telegramUserId);
    },

    /**
     * The conversation's mode changed (a manager holds it, opted out, customer, back to the bot):
     * campaign batches read it from the row instead of asking the conversation (migration 028).
     */
    async recordConversationMode(request: { leadId: number; mode: LeadMode }): Promise<void> {
      await recordConversationMode(db, request.leadId, request.mode);
    },

    /** Makes sure the lead row exists (after /reset deleted it) and returns its id. */
    async ensureLead(person: TelegramPerson, chatId: number): Promise<{ leadId: number }> {
      const lead = await upsertLead(db, person, chatId);
      return { leadId: lead.id };
    },

    /** Records a lead event once per idempotency key. */
    async recordLeadEvent(event: { leadId: number; type: string; payload?: Record<string, unknown>; idempotencyKey: string }): Promise<void> {
      await recordEvent(db, event);
      if ((LEAD_CONVERSION_EVENTS as readonly string[]).includes(event.type)) await noteCampaignOutcome(db, event.leadId, 'converted');
    },

    /**
     * `/reset` confirmed: everything personal goes, the books stay (db/lead-erasure.ts). Open payment
     * workflows are cancelled first, with the reason `lead_reset`: a retry after the erasure would no
     * longer find which orders were the lead's, so the signals go before it (a repeat is harmless).
     */
    async deleteLeadData(telegramUserId: number): Promise<ErasureReport & { paymentsCancelled: number }> {
      const open = await openOrdersOfLead(db, telegramUserId);
      let paymentsCancelled = 0;
      for (const orderId of open) {
        try {
          await Context.current().client.workflow.getHandle(paymentWorkflowId(orderId)).signal(paymentCancelledSignal, { reason: LEAD_RESET_REASON });
          paymentsCancelled += 1;
        } catch (error) {
          // Its workflow has ended meanwhile (paid in full, expired): nothing to cancel.
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }
      const erased = await eraseLead(db, telegramUserId);
      logger.info({ leadWorkflowId: `lead-${telegramUserId}`, ...erased, paymentsCancelled }, 'lead data erased on /reset, orders kept');
      return { ...erased, paymentsCancelled };
    },
  };
}

export type LeadsActivities = ReturnType<typeof createLeadsActivities>;
