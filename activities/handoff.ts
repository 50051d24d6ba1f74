import { createHash } from 'node:crypto';
import type { WorkflowClient } from '@temporalio/client';
import type { Api } from 'grammy';
import type OpenAI from 'openai';
import type { Logger } from 'pino';
import { conversationSummary, leadCardText, type HandoffOutcome } from '../domain/handoff';
import { profileLines } from '../domain/lead-profile';
import type { LeadStatus } from '../domain/lead-priority';
import { canonicalFacts, templateSalesScript, type SalesScriptFacts } from '../domain/sales-script';
import { hasRole } from '../domain/staff/roles';
import { markAbandoned, markClosed, markEscalated, markReleased, markTaken, openHandoff, setLeadStatus } from '../db/handoffs';
import { loadLearnedProfile } from '../db/lead-profile';
import { auditStaffCommand, roleOf } from '../db/staff';
import type { Db } from '../db/knex';
import type { ManagerHandoffInput } from '../workflows/manager-handoff/contract';
import { createHandoffSummarizer } from './handoff-summary';

export interface HandoffDeps {
  db: Db;
  logger: Logger;
  /** Owners (ADMIN_TELEGRAM_IDS): escalations reach them and the admins in the staff table. */
  owners?: readonly number[];
  openai?: OpenAI | null;
  model?: string;
  timeoutMs?: number;
  /** The Bot API and the managers' chat: with no owners configured its members are the team. */
  api?: Api;
  managersChatId?: number;
  /** Lets a conversation ask whether its handoff still runs (after its own continue-as-new). */
  leadWorkflows?: Pick<WorkflowClient, 'getHandle'>;
}

/** Members of a chat by Telegram's member statuses; `restricted` counts while still a member. */
const MEMBER_STATUSES = new Set(['creator', 'administrator', 'member']);

const CARD_MESSAGES = 5;
/** How much of the conversation the summary reads, and how long the model may take. */
const SUMMARY_MESSAGES = 30;
const SUMMARY_TIMEOUT_MS = 15_000;
const SUMMARY_MIN_LEAD_TEXTS = 2;

/** The handoff's records: the handoff row, the lead card's facts, escalation targets, the sales script. */
export function createHandoffActivities({ db, logger, owners = [], openai = null, model = 'gpt-4o-mini', timeoutMs = 20_000, api, managersChatId, leadWorkflows }: HandoffDeps) {
  // The card waits for the summary inside its own activity (30 s): the model gets at most 15 s of it.
  const summarize = createHandoffSummarizer({ db, logger, openai, model, timeoutMs: Math.min(timeoutMs, SUMMARY_TIMEOUT_MS) });
  return {
    /**
     * Whether someone may take a lead's dialog: a current manager or higher; with no owners configured
     * (no staff list yet), a member of the managers' chat. Never the lead themself. A refusal is
     * recorded in staff_audit.
     */
    async staffMayTake(request: { workflowId: string; telegramUserId: number; leadTelegramId: number }): Promise<{ allowed: boolean; reason?: string }> {
      const role = await roleOf(db, request.telegramUserId, owners);
      const reason = request.telegramUserId === request.leadTelegramId ? 'the lead of this dialog' : await notStaffReason(request.telegramUserId, role);
      if (reason) {
        await auditStaffCommand(db, { actor: request.telegramUserId, actorRole: role, command: 'handoff_take', details: { workflowId: request.workflowId }, allowed: false, reason });
        logger.warn({ workflowId: request.workflowId, actor: request.telegramUserId, reason }, 'take refused by the handoff');
      }
      return reason ? { allowed: false, reason } : { allowed: true };
    },

    /** A message for the lead from someone who does not hold the dialog (any more): refused and recorded. */
    async relayRefused(request: { workflowId: string; telegramUserId: number; reason: string }): Promise<void> {
      const role = await roleOf(db, request.telegramUserId, owners);
      await auditStaffCommand(db, { actor: request.telegramUserId, actorRole: role, command: 'handoff_reply', details: { workflowId: request.workflowId }, allowed: false, reason: request.reason });
    },

    /** The manager lost their role: the dialog is back in the queue (waiting, nobody holds it). */
    async handoffReleased(request: { workflowId: string; managerId: number; reason: string }): Promise<void> {
      await markReleased(db, request.workflowId);
    },

    /** A handoff that ended without closing itself (failed, terminated): closed as cancelled, the lead back with the bot. */
    async handoffAbandoned(request: { workflowId: string; reason: string }): Promise<void> {
      await markAbandoned(db, request.workflowId, request.reason);
    },

    /** Whether a handoff still runs: `unknown` when this worker cannot ask Temporal. */
    async handoffRunning(request: { workflowId: string }): Promise<'running' | 'ended' | 'unknown'> {
      if (!leadWorkflows) return 'unknown';
      try {
        const { status } = await leadWorkflows.getHandle(request.workflowId).describe();
        return status.name === 'RUNNING' ? 'running' : 'ended';
      } catch (error) {
        if ((error as { name?: string }).name === 'WorkflowNotFoundError') return 'ended';
        throw error;
      }
    },

    /** Records the handoff (once) and raises the lead's priority. */
    async openHandoff(request: { workflowId: string; leadId: number; trigger: ManagerHandoffInput['trigger']; priority: number }): Promise<void> {
      await openHandoff(db, request);
    },

    /** The lead card's text, from what Postgres knows now: contact, last 5 messages, a summary. */
    async leadCard(input: ManagerHandoffInput): Promise<string> {
      const lead = await db('leads').where({ id: input.leadId }).first('phone', 'email');
      const recent = await db('messages')
        .where({ lead_id: input.leadId })
        .whereIn('direction', ['in', 'out', 'manager'])
        .whereIn('chat_id', [input.leadChatId])
        .orderBy('id', 'desc')
        .limit(CARD_MESSAGES)
        .select('direction', 'text');
      const lastMessages = recent.reverse().map((m) => ({ direction: m.direction as 'in' | 'out' | 'manager', text: String(m.text ?? '') }));
      const leadTexts = (await db('messages').where({ lead_id: input.leadId, direction: 'in' }).orderBy('id', 'desc').limit(5).pluck('text')).reverse();
      return leadCardText({
        who: input.who,
        phone: lead?.phone ?? null,
        email: lead?.email ?? null,
        segment: input.segment,
        score: input.score,
        stage: input.stage,
        trigger: input.trigger,
        priority: input.priority,
        summary: (await modelSummary(input)) ?? conversationSummary({ segment: input.segment, score: input.score, leadTexts: leadTexts.map(String) }),
        lastMessages,
        product: input.product,
        headline: input.headline,
        learned: profileLines(await loadLearnedProfile(db, input.leadId)),
      });
    },

    /** Moves the lead's status (an abandoned contact form makes it `incomplete`). */
    async setLeadStatus(request: { leadId: number; status: LeadStatus }): Promise<void> {
      await setLeadStatus(db, request.leadId, request.status);
    },

    /** The manager wrote to the lead for the first time: the lead is in a dialog. */
    async leadInDialog(request: { leadId: number }): Promise<void> {
      await setLeadStatus(db, request.leadId, 'in_dialog');
    },

    async handoffTaken(request: { workflowId: string; managerId: number; managerName: string }): Promise<void> {
      await markTaken(db, request.workflowId, { id: request.managerId, name: request.managerName });
    },

    /** The admins to escalate to: owners from configuration and admins from the staff table. */
    async escalationTargets(request: { workflowId: string }): Promise<number[]> {
      await markEscalated(db, request.workflowId);
      const admins = await db('staff').where({ role: 'admin' }).pluck('telegram_user_id');
      return [...new Set([...owners, ...admins.map(Number)])];
    },

    async handoffClosed(request: { workflowId: string; outcome: HandoffOutcome; reason: string | null; summary: string; wasTaken: boolean }): Promise<void> {
      await markClosed(db, request.workflowId, request);
    },

    /**
     * The sales script for a lead: from the cache while the lead's facts are unchanged, else from
     * the model, else from the template. Never fails for the model's sake.
     */
    async salesScript(request: { leadId: number; facts: SalesScriptFacts }): Promise<{ script: string; source: 'cache' | 'llm' | 'template' }> {
      const hash = createHash('sha256').update(canonicalFacts(request.facts)).digest('hex');
      const cached = await db('sales_scripts').where({ lead_id: request.leadId, facts_hash: hash }).first('script');
      if (cached) return { script: String(cached.script), source: 'cache' };
      const fromModel = await scriptFromModel(request.facts);
      const script = fromModel ?? templateSalesScript(request.facts);
      const source = fromModel ? 'llm' : 'template';
      await db('sales_scripts')
        .insert({ lead_id: request.leadId, facts_hash: hash, script, source })
        .onConflict('lead_id')
        .merge({ facts_hash: hash, script, source, created_at: db.fn.now() });
      return { script, source };
    },
  };

  /** The model's summary of the lead's conversation for the card, or null (no key, a failure): the quotes then. */
  async function modelSummary(input: ManagerHandoffInput): Promise<string | null> {
    const rows = await db('messages')
      .where({ lead_id: input.leadId })
      .whereIn('direction', ['in', 'out', 'manager'])
      .whereIn('chat_id', [input.leadChatId])
      .orderBy('id', 'desc')
      .limit(SUMMARY_MESSAGES)
      .select('direction', 'text');
    const conversation = rows
      .reverse()
      .filter((m) => m.text)
      .map((m) => ({ from: m.direction === 'in' ? ('lead' as const) : m.direction === 'out' ? ('bot' as const) : ('manager' as const), text: String(m.text) }));
    // One line of the lead's own words is its own summary (the quote): the model is asked only when there is more.
    const ownWords = conversation.filter((m) => m.from === 'lead' && !m.text.startsWith('[') && !m.text.startsWith('/'));
    if (ownWords.length < SUMMARY_MIN_LEAD_TEXTS) return null;
    return summarize({ leadId: input.leadId, conversation, facts: input.facts });
  }

  /** Why someone is not on the team, or null when they are. */
  async function notStaffReason(telegramUserId: number, role: Awaited<ReturnType<typeof roleOf>>): Promise<string | null> {
    if (hasRole(role, 'manager')) return null;
    if (owners.length > 0) return role ? `role ${role}` : 'not staff';
    // No owners configured yet: the managers' chat is the team.
    if (!api || managersChatId === undefined) return 'not staff (no owners configured, no managers chat)';
    try {
      const member = await api.getChatMember(managersChatId, telegramUserId);
      return MEMBER_STATUSES.has(member.status) || (member.status === 'restricted' && member.is_member) ? null : 'not in the managers chat';
    } catch (error) {
      logger.warn({ err: String(error) }, 'managers chat membership unknown; take refused');
      return 'managers chat membership unknown';
    }
  }

  async function scriptFromModel(facts: SalesScriptFacts): Promise<string | null> {
    if (!openai) return null;
    try {
      const completion = await openai.chat.completions.create(
        {
          model,
          temperature: 0.3,
          messages: [
            {
              role: 'system',
              content:
                'Ты помогаешь менеджеру онлайн-школы криптотрейдинга. Составь короткий скрипт разговора с лидом по разделам: приветствие, вопросы о потребностях, презентация, возражения, следующие шаги, советы. Никаких обещаний дохода. До 1500 символов.',
            },
            { role: 'user', content: canonicalFacts(facts) },
          ],
        },
        { timeout: timeoutMs },
      );
      const text = completion.choices[0]?.message?.content?.trim();
      return text ? text.slice(0, 3500) : null;
    } catch (error) {
      logger.warn({ err: String(error) }, 'sales script from the model failed; the template is used');
      return null;
    }
  }
}

export type HandoffActivities = ReturnType<typeof createHandoffActivities>;
