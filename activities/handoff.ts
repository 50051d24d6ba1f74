import { createHash } from 'node:crypto';
import type OpenAI from 'openai';
import type { Logger } from 'pino';
import { conversationSummary, leadCardText, type HandoffOutcome } from '../domain/handoff';
import type { LeadStatus } from '../domain/lead-priority';
import { canonicalFacts, templateSalesScript, type SalesScriptFacts } from '../domain/sales-script';
import { markClosed, markEscalated, markTaken, openHandoff, setLeadStatus } from '../db/handoffs';
import type { Db } from '../db/knex';
import type { ManagerHandoffInput } from '../workflows/manager-handoff/contract';

export interface HandoffDeps {
  db: Db;
  logger: Logger;
  /** Owners (ADMIN_TELEGRAM_IDS): escalations reach them and the admins in the staff table. */
  owners?: readonly number[];
  openai?: OpenAI | null;
  model?: string;
  timeoutMs?: number;
}

const CARD_MESSAGES = 5;

/** The handoff's records: the handoff row, the lead card's facts, escalation targets, the sales script. */
export function createHandoffActivities({ db, logger, owners = [], openai = null, model = 'gpt-4o-mini', timeoutMs = 20_000 }: HandoffDeps) {
  return {
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
        summary: conversationSummary({ segment: input.segment, score: input.score, leadTexts: leadTexts.map(String) }),
        lastMessages,
        product: input.product,
        headline: input.headline,
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
