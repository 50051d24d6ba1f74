import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { findDraft, findPendingDraftByMessage } from '../../db/llm-drafts';
import type { Db } from '../../db/knex';
import { draftDecisionSignal, leadWorkflowId } from '../../workflows/lead-conversation/contract';
import type { DraftApprovalDeps } from './draft-approvals';

/** The approval feature's reach: drafts in Postgres, decisions signalled to the lead's workflow. */
export function draftApprovalDeps(db: Db, client: Client, managersChatId: number, owners: readonly number[], logger: Logger): DraftApprovalDeps {
  return {
    managersChatId,
    logger,
    // The shared staff check: without owners configured, the members of the managers' chat decide.
    access: { db, owners, managersChatId },
    findDraft: async (id) => {
      const draft = Number.isSafeInteger(id) ? await findDraft(db, id) : undefined;
      return draft && { telegramUserId: draft.telegram_user_id, pending: draft.status === 'pending' };
    },
    findDraftByMessage: async (chatId, messageId) => {
      const draft = await findPendingDraftByMessage(db, chatId, messageId);
      return draft && { id: draft.id, telegramUserId: draft.telegram_user_id };
    },
    decide: (telegramUserId, decision) => client.workflow.getHandle(leadWorkflowId(telegramUserId)).signal(draftDecisionSignal, decision),
  };
}
