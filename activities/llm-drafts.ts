import type { Db } from '../db/knex';
import { createDraft, setDraftMessage, settleDraft, type DraftStatus } from '../db/llm-drafts';

export interface ApprovalSettings {
  enabled: boolean;
  timeoutSeconds: number;
}

/** Approval mode: drafts of low-confidence replies kept for a manager's decision. */
export function createDraftActivities({ db, managersChatId, approval }: { db: Db; managersChatId?: number; approval?: ApprovalSettings }) {
  return {
    /** Whether low-confidence drafts wait for a manager (read each time, so a redeploy can switch it). */
    async approvalSettings(): Promise<{ enabled: boolean; timeoutSeconds: number; chatId: number | null }> {
      const enabled = !!approval?.enabled && managersChatId !== undefined;
      return { enabled, timeoutSeconds: approval?.timeoutSeconds ?? 300, chatId: managersChatId ?? null };
    },
    async createDraft(request: { leadId: number; telegramUserId: number; text: string; chatId: number; idempotencyKey: string }): Promise<{ draftId: number }> {
      return { draftId: await createDraft(db, request) };
    },
    async setDraftMessage(request: { draftId: number; chatMessageId: number }): Promise<void> {
      await setDraftMessage(db, request.draftId, request.chatMessageId);
    },
    async settleDraft(request: { draftId: number; status: DraftStatus; finalText?: string; decidedBy?: number }): Promise<void> {
      await settleDraft(db, request.draftId, request);
    },
  };
}

export type DraftActivities = ReturnType<typeof createDraftActivities>;
