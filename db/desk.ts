import type { Knex } from 'knex';

/** A waiting handoff as /queue lists it. */
export interface QueuedHandoff {
  workflowId: string;
  leadId: number;
  who: string;
  trigger: string;
  priority: number;
  createdAt: Date;
}

/** Who a lead is, in one line, the way staff lists name them: name, @username, (#lead id). */
const WHO = `concat_ws(' ', l.first_name, l.last_name, '@' || l.username, '(#' || l.id || ')')`;

/** Waiting handoffs, highest priority first, then the longest waiting (at most `limit`). */
export async function waitingHandoffs(db: Knex, limit = 20): Promise<QueuedHandoff[]> {
  const rows = await db('handoffs as h')
    .join('leads as l', 'l.id', 'h.lead_id')
    .where('h.status', 'waiting')
    .orderBy([{ column: 'h.priority', order: 'desc' }, { column: 'h.created_at', order: 'asc' }, { column: 'h.id', order: 'asc' }])
    .limit(limit)
    .select('h.workflow_id', 'h.lead_id', 'h.trigger', 'h.priority', 'h.created_at', db.raw(`${WHO} as who`));
  return rows.map((r) => ({ workflowId: r.workflow_id, leadId: Number(r.lead_id), who: r.who, trigger: r.trigger, priority: Number(r.priority), createdAt: new Date(r.created_at) }));
}

/** An open dialog of one manager as /my lists it: the lead's last message in their chat and when it was. */
export interface HeldDialog {
  workflowId: string;
  leadId: number;
  who: string;
  takenAt: Date | null;
  last: { direction: string; text: string; at: Date } | null;
}

/** The dialogs a manager holds, oldest taken first, each with the last message either way. */
export async function dialogsHeldBy(db: Knex, managerId: number): Promise<HeldDialog[]> {
  const rows = await db('handoffs as h')
    .join('leads as l', 'l.id', 'h.lead_id')
    .where({ 'h.manager_telegram_id': managerId, 'h.status': 'taken' })
    .orderBy('h.taken_at')
    .select(
      'h.workflow_id',
      'h.lead_id',
      'h.taken_at',
      db.raw(`${WHO} as who`),
      db.raw(`(select json_build_object('direction', m.direction, 'text', m.text, 'at', m.created_at) from messages m where m.lead_id = l.id and m.chat_id = l.chat_id order by m.id desc limit 1) as last`),
    );
  return rows.map((r) => ({
    workflowId: r.workflow_id,
    leadId: Number(r.lead_id),
    who: r.who,
    takenAt: r.taken_at ? new Date(r.taken_at) : null,
    last: r.last ? { direction: r.last.direction, text: String(r.last.text ?? ''), at: new Date(r.last.at) } : null,
  }));
}

/** The name a staff member went by when they last took a dialog (staff rows keep no names). */
export async function lastKnownManagerName(db: Knex, telegramUserId: number): Promise<string | null> {
  const row = await db('handoffs').where({ manager_telegram_id: telegramUserId }).whereNotNull('manager_name').orderBy('taken_at', 'desc').first('manager_name');
  return row?.manager_name ?? null;
}
