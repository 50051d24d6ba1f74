import type { Knex } from 'knex';

const SPEAKER: Record<string, string> = { in: '👤', out: '🤖', manager: '🧑‍💼' };

/**
 * The dialog so far, as "Open dialog" shows it in private: the lead's last 15 messages in their chat,
 * whoever wrote them, under who the lead is and where their latest handoff stands.
 */
export async function dialogHistoryText(db: Knex, leadId: number, handoff: { status: string; manager_name: string | null } | undefined): Promise<string> {
  const lead = await db('leads').where({ id: leadId }).first('first_name', 'username', 'chat_id');
  const rows = await db('messages').where({ lead_id: leadId, chat_id: lead?.chat_id ?? 0 }).orderBy('id', 'desc').limit(15).select('direction', 'text');
  const lines = rows.reverse().map((r) => `${SPEAKER[r.direction] ?? '•'} ${String(r.text ?? '').slice(0, 300)}`);
  const who = `${lead?.first_name ?? ''}${lead?.username ? ` @${lead.username}` : ''} (#${leadId})`;
  const status = handoff?.status ?? '—';
  const holder = handoff?.manager_name ?? null;
  return [`💬 ${who} — ${status}${holder ? `, ведёт ${holder}` : ''}`, '', ...(lines.length ? lines : ['(сообщений нет)'])].join('\n').slice(0, 4000);
}
