import type { Knex } from 'knex';
import { noteCampaignOutcome } from './campaign-outcomes';
import type { HandoffOutcome } from '../domain/handoff';
import type { HandoffTrigger, LeadStatus } from '../domain/lead-priority';

export interface HandoffRow {
  id: number;
  workflow_id: string;
  lead_id: number;
  trigger: HandoffTrigger;
  priority: number;
  status: 'waiting' | 'taken' | 'closed';
  manager_telegram_id: number | null;
  manager_name: string | null;
  outcome: HandoffOutcome | null;
  reason: string | null;
  summary: string | null;
  created_at: Date;
  taken_at: Date | null;
  escalated_at: Date | null;
  closed_at: Date | null;
}

/** Records a new handoff once (a retried activity finds it) and raises the lead's priority to the handoff's. */
export async function openHandoff(db: Knex, h: { workflowId: string; leadId: number; trigger: HandoffTrigger; priority: number }): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('handoffs')
      .insert({ workflow_id: h.workflowId, lead_id: h.leadId, trigger: h.trigger, priority: h.priority })
      .onConflict('workflow_id')
      .ignore();
    await trx('leads').where({ id: h.leadId }).update({ priority: trx.raw('greatest(priority, ?)', [h.priority]), updated_at: trx.fn.now() });
    // Asking for a manager is a request; a manager opening the dialog from the card is not the lead's doing.
    if (h.trigger !== 'manager_took') await noteCampaignOutcome(trx, h.leadId, 'converted');
  });
}

export async function markTaken(db: Knex, workflowId: string, manager: { id: number; name: string }): Promise<void> {
  await db.transaction(async (trx) => {
    const [row] = await trx('handoffs')
      .where({ workflow_id: workflowId })
      .update({ status: 'taken', manager_telegram_id: manager.id, manager_name: manager.name, taken_at: trx.raw('coalesce(taken_at, now())') })
      .returning('lead_id');
    if (row) await setLeadStatus(trx, Number(row.lead_id), 'assigned', { mode: 'with_manager' });
  });
}

export async function markEscalated(db: Knex, workflowId: string): Promise<void> {
  await db('handoffs').where({ workflow_id: workflowId }).update({ escalated_at: db.raw('coalesce(escalated_at, now())') });
}

/** Closes the handoff and gives the lead the status its outcome means (a timeout leaves an untaken lead as it was). */
export async function markClosed(db: Knex, workflowId: string, close: { outcome: HandoffOutcome; reason: string | null; summary: string; wasTaken: boolean }): Promise<void> {
  await db.transaction(async (trx) => {
    const [row] = await trx('handoffs')
      .where({ workflow_id: workflowId })
      .whereNot({ status: 'closed' })
      .update({ status: 'closed', outcome: close.outcome, reason: close.reason, summary: close.summary, closed_at: trx.fn.now() })
      .returning('lead_id');
    if (!row) return;
    const status: LeadStatus | undefined = close.outcome === 'timeout' ? (close.wasTaken ? 'done' : undefined) : close.outcome;
    await setLeadStatus(trx, Number(row.lead_id), status, { mode: 'bot' });
  });
}

/** Back to the queue: nobody holds the dialog (the lead stays with the managers, so the bot stays silent). */
export async function markReleased(db: Knex, workflowId: string): Promise<void> {
  await db('handoffs').where({ workflow_id: workflowId, status: 'taken' }).update({ status: 'waiting', manager_telegram_id: null, manager_name: null });
}

/** A handoff that died (failed, terminated): closed as cancelled with the reason; the lead's status stays, its mode goes back to the bot. */
export async function markAbandoned(db: Knex, workflowId: string, reason: string): Promise<void> {
  await db.transaction(async (trx) => {
    const [row] = await trx('handoffs')
      .where({ workflow_id: workflowId })
      .whereNot({ status: 'closed' })
      .update({ status: 'closed', outcome: 'cancelled', reason: reason.slice(0, 300), closed_at: trx.fn.now() })
      .returning('lead_id');
    if (row) await setLeadStatus(trx, Number(row.lead_id), undefined, { mode: 'bot' });
  });
}

export async function findHandoff(db: Knex, workflowId: string): Promise<HandoffRow | undefined> {
  return db<HandoffRow>('handoffs').where({ workflow_id: workflowId }).first();
}

/** The dialogs a manager holds now, oldest first. */
export async function heldBy(db: Knex, managerId: number): Promise<(HandoffRow & { who: string })[]> {
  return db('handoffs as h')
    .join('leads as l', 'l.id', 'h.lead_id')
    .where({ 'h.manager_telegram_id': managerId, 'h.status': 'taken' })
    .orderBy('h.taken_at')
    .select('h.*', db.raw(`concat_ws(' ', l.first_name, l.last_name, '@' || l.username, '(#' || l.id || ')') as who`));
}

/** The lead a message in a staff member's private chat was about (a relayed message they reply to). */
export async function leadOfStaffMessage(db: Knex, chatId: number, telegramMessageId: number): Promise<number | null> {
  const row = await db('messages').where({ chat_id: chatId, telegram_message_id: telegramMessageId }).whereNotNull('lead_id').first('lead_id');
  return row ? Number(row.lead_id) : null;
}

/** The lead's open handoff, if any. */
export async function openHandoffOfLead(db: Knex, leadId: number): Promise<HandoffRow | undefined> {
  return db<HandoffRow>('handoffs').where({ lead_id: leadId }).whereNot({ status: 'closed' }).orderBy('created_at', 'desc').first();
}

/** A lead's status moves with the work; the mode (bot / with_manager) is what the bot and campaigns respect. */
export async function setLeadStatus(db: Knex, leadId: number, status: LeadStatus | undefined, extra: { mode?: 'bot' | 'with_manager' } = {}): Promise<void> {
  const change: Record<string, unknown> = { updated_at: db.fn.now() };
  // Back to the bot only from a manager dialog: an opted-out lead or a customer keeps that mode.
  if (extra.mode === 'with_manager') change.mode = db.raw(`case when mode = 'bot' then 'with_manager' else mode end`);
  if (extra.mode === 'bot') change.mode = db.raw(`case when mode = 'with_manager' then 'bot' else mode end`);
  // Campaigns pause for the lead the moment a manager takes it, before its conversation hears of the
  // take (it reports its own mode right after); a close gives the word back to `mode` until it reports.
  if (extra.mode === 'with_manager') change.conversation_mode = 'with_manager';
  if (extra.mode === 'bot') change.conversation_mode = db.raw(`case when conversation_mode = 'with_manager' then null else conversation_mode end`);
  if (status) change.status = status;
  await db('leads').where({ id: leadId }).update(change);
}
