import type { Db } from '../../../db/knex';

/**
 * Messages the system sent a second time because the worker was killed while the first copy was on
 * its way (the message log marks them; activities/telegram.ts): Telegram's API cannot tell whether
 * that copy arrived, so a lead may see one of these twice. Per chat, the texts (or captions).
 */
export async function resentAfterCutOff(db: Db, chatIds: number[]): Promise<Map<number, string[]>> {
  const rows: { chat_id: string | number; text: string | null }[] = await db('messages')
    .whereIn('chat_id', chatIds)
    .whereRaw("payload->>'resentAfterCutOff' is not null")
    .select('chat_id', 'text');
  const byChat = new Map<number, string[]>();
  for (const row of rows) byChat.set(Number(row.chat_id), [...(byChat.get(Number(row.chat_id)) ?? []), row.text ?? '']);
  return byChat;
}
