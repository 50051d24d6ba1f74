import type { Api } from 'grammy';
import type { BotContext } from '../context';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { lastKnownManagerName } from '../../db/desk';
import { heldBy } from '../../db/handoffs';
import { listStaff } from '../../db/staff';
import { leadDeskButton } from '../../domain/lead-desk';
import { hasRole } from '../../domain/staff/roles';
import { staffName, type Handoffs } from './handoffs';

export interface DialogPassDeps {
  db: Knex;
  handoffs: Pick<Handoffs, 'pass'>;
  logger: Logger;
  owners: readonly number[];
}

export const PASS_TEXTS = {
  pickTitle: (who: string) => `➡️ Кому передать диалог с ${who}?`,
  nobodyToPass: 'Передать некому: других менеджеров в команде нет.',
  notHeld: 'Вы не ведёте диалог с этим лидом.',
  passed: (to: string) => `➡️ Диалог передан: ${to}.`,
  notPassed: (why: string) => `Не передано: ${why}.`,
  sentPrivately: 'Отправил вам в личный чат.',
  startPrivate: 'Сначала откройте личный чат с ботом (/start), потом нажмите снова.',
};

export type PassOutcome =
  | { kind: 'not_held' }
  | { kind: 'passed'; leadId: number; toName: string }
  | { kind: 'refused'; leadId: number; why: string };

/**
 * The holder passes a dialog to another staff member (docs/manager-handoff.md#passing-a-dialog): `/pass`
 * and the picker's buttons both come here. The bot only checks that the caller holds the lead's dialog;
 * the handoff workflow decides the rest (still the holder, the new holder is staff with a manager's role).
 */
export async function passHeldDialog(deps: DialogPassDeps, api: Api, fromManagerId: number, leadId: number, targetId: number): Promise<PassOutcome> {
  const held = (await heldBy(deps.db, fromManagerId)).find((h) => Number(h.lead_id) === leadId);
  if (!held) return { kind: 'not_held' };
  const to = { managerId: targetId, managerName: await managerName(deps.db, api, targetId) };
  const result = await deps.handoffs.pass(held.workflow_id, { fromManagerId, to }).catch((error: unknown) => {
    deps.logger.error({ workflowId: held.workflow_id, err: String(error) }, 'pass not delivered');
    return { passed: false as const, why: 'сервис недоступен' };
  });
  return result.passed ? { kind: 'passed', leadId, toName: to.managerName } : { kind: 'refused', leadId, why: result.why };
}

/** How the managers know a staff member: from Telegram (their private chat with the bot), else from an earlier take. */
export async function managerName(db: Knex, api: Api, telegramUserId: number): Promise<string> {
  const chat = await api.getChat(telegramUserId).catch(() => undefined);
  const fromTelegram = chat?.type === 'private' ? staffName({ first_name: chat.first_name, last_name: chat.last_name, username: chat.username }).trim() : '';
  if (fromTelegram) return fromTelegram;
  return (await lastKnownManagerName(db, telegramUserId)) ?? `id ${telegramUserId}`;
}

/** At most this many people in the picker (Telegram shows a long keyboard badly; /pass reaches anyone). */
const PICKER_LIMIT = 30;

/**
 * Whom the holder can pass a dialog to: the staff list in Postgres and the owners from configuration,
 * everyone whose role may hold a dialog, except the holder. Each is a button `ld:<lead>.passto.<id>`.
 */
export async function passPicker(deps: DialogPassDeps, api: Api, holderId: number, leadId: number): Promise<{ text: string; callback_data: string }[][]> {
  const staff = await listStaff(deps.db);
  const ids = [...deps.owners, ...staff.filter((s) => hasRole(s.role, 'manager')).map((s) => s.telegramUserId)];
  const candidates = [...new Set(ids)].filter((id) => id !== holderId).slice(0, PICKER_LIMIT);
  const rows: { text: string; callback_data: string }[][] = [];
  for (const id of candidates) {
    const text = `➡️ ${await managerName(deps.db, api, id)}`.slice(0, 60);
    rows.push([{ text, callback_data: leadDeskButton(text, leadId, 'passto', id).data }]);
  }
  return rows;
}

/**
 * Pass on the holder's dialog (in /my and on the handoff card): only the holder gets the picker of the
 * other managers, in private. Anyone else's press is refused and recorded.
 */
export async function showPassPicker(
  deps: DialogPassDeps,
  ctx: BotContext,
  lead: { leadId: number; who: string },
  record: (allowed: boolean, reason?: string) => Promise<void>,
): Promise<void> {
  const actor = ctx.from?.id ?? 0;
  const answer = (text: string, alert = false) => ctx.answerCallbackQuery({ text, show_alert: alert }).catch(() => undefined);
  if (!(await heldBy(deps.db, actor)).some((h) => Number(h.lead_id) === lead.leadId)) {
    await record(false, 'lead not held');
    return void (await answer(PASS_TEXTS.notHeld, true));
  }
  const rows = await passPicker(deps, ctx.api, actor, lead.leadId);
  await record(true);
  if (rows.length === 0) return void (await answer(PASS_TEXTS.nobodyToPass, true));
  const sent = await ctx.api
    .sendMessage(actor, PASS_TEXTS.pickTitle(lead.who), { reply_markup: { inline_keyboard: rows } })
    .then(() => true)
    .catch(() => false);
  await answer(sent ? PASS_TEXTS.sentPrivately : PASS_TEXTS.startPrivate, !sent);
}
