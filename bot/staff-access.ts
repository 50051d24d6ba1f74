import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { hasRole, type Role } from '../domain/staff/roles';
import { auditStaffCommand, roleOf } from '../db/staff';
import type { BotContext } from './context';

/**
 * What every staff check needs: the staff table, the owners from configuration, and the managers'
 * chat, which stands in for the staff list while no owners are configured.
 */
export interface StaffAccessDeps {
  db: Knex;
  owners: readonly number[];
  /** MANAGERS_CHAT_ID: with no owners configured, the only place where anyone may act as staff. */
  managersChatId?: number;
}

/** Why someone without owners configured is refused outside the managers' chat (recorded in staff_audit). */
export const NO_OWNERS_REASON = 'no owners configured: staff act only in MANAGERS_CHAT_ID';

const REFUSED: Record<Role, string> = {
  manager: '⛔ Это доступно менеджерам и выше. Попытка записана.',
  editor: '⛔ Это доступно редакторам и выше. Попытка записана.',
  admin: '⛔ Это доступно администраторам и выше. Попытка записана.',
  owner: '⛔ Это доступно только владельцам. Попытка записана.',
};

/** The refusal a person reads (a feature's own wording, or the role's); without owners it says where staff can act. */
export function refusalText(deps: StaffAccessDeps, required: Role, text: string = REFUSED[required]): string {
  return deps.owners.length > 0 ? text : `${text}\nПока владельцы не настроены, команда работает только в чате менеджеров.`;
}

export interface ActingRole {
  role: Role | null;
  /** Set when the role is null for a reason other than "not staff". */
  why?: string;
}

/**
 * The role someone acts with in this chat, now (never a role remembered from an earlier step).
 * With owners configured: the owners and the staff table, in any chat. Without owners nobody can
 * have been given a role yet, so the members of the managers' chat are the team, there and
 * nowhere else: a press or command from any other chat (a lead's private chat above all) is refused.
 */
export async function actingRole(deps: StaffAccessDeps, actor: { id: number; is_bot?: boolean } | undefined, chatId: number | undefined): Promise<ActingRole> {
  // An anonymous group admin or another bot speaks as a bot account: never staff.
  if (!actor || actor.is_bot) return { role: null, why: 'not a person' };
  if (deps.owners.length > 0) return { role: await roleOf(deps.db, actor.id, deps.owners) };
  if (deps.managersChatId === undefined || chatId !== deps.managersChatId) return { role: null, why: NO_OWNERS_REASON };
  const stored = await roleOf(deps.db, actor.id, []);
  return { role: hasRole(stored, 'manager') ? stored : 'manager' };
}

export type StaffCheck = { allowed: true; role: Role } | { allowed: false; role: Role | null; reason: string };

/**
 * The one staff check every staff action goes through: the acting role in the chat the update
 * came from, against the role the action needs. Refusals are always recorded in `staff_audit`;
 * allowed calls too unless `recordAllowed` is false (a relayed chat message is logged elsewhere).
 */
export async function checkStaffAction(
  deps: StaffAccessDeps,
  ctx: BotContext,
  required: Role,
  command: string,
  details: Record<string, unknown> = {},
  options: { recordAllowed?: boolean } = {},
): Promise<StaffCheck> {
  const actor = ctx.from?.id ?? 0;
  const chatId = ctx.chat?.id;
  const { role, why } = await actingRole(deps, ctx.from, chatId);
  const allowed = hasRole(role, required);
  const reason = allowed ? undefined : (why ?? (role ? `role ${role} is below ${required}` : 'not staff'));
  if (!allowed || options.recordAllowed !== false) {
    await auditStaffCommand(deps.db, { actor, actorRole: role, command: command.slice(0, 64), details: { ...details, ...(chatId !== undefined && chatId !== actor && { chatId }) }, allowed, reason });
  }
  return allowed && role ? { allowed: true, role } : { allowed: false, role, reason: reason as string };
}

/**
 * `checkStaffAction` that also answers a refusal (a press gets its spinner stopped, then a message).
 * Returns the role when allowed, else null.
 */
export async function requireRole(
  deps: StaffAccessDeps,
  ctx: BotContext,
  required: Role,
  command: string,
  details: Record<string, unknown> = {},
): Promise<Role | null> {
  const check = await checkStaffAction(deps, ctx, required, command, details);
  if (check.allowed) return check.role;
  if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
  await ctx.reply(refusalText(deps, required));
  return null;
}

/**
 * Said once at start-up: which settings are missing for staff to work as the school expects. Without
 * ADMIN_TELEGRAM_IDS nobody can be given a role, so staff act only inside MANAGERS_CHAT_ID; without
 * that too, no staff action is possible at all.
 */
export function warnAboutStaffAccess(logger: Pick<Logger, 'warn'>, settings: { owners: readonly number[]; managersChatId?: number }): void {
  if (settings.owners.length > 0) return;
  const missing = ['ADMIN_TELEGRAM_IDS', ...(settings.managersChatId === undefined ? ['MANAGERS_CHAT_ID'] : [])];
  logger.warn(
    { missing },
    settings.managersChatId === undefined
      ? 'ADMIN_TELEGRAM_IDS and MANAGERS_CHAT_ID are not set: no staff action is possible (card buttons, /r, /close, payments, the panel are all refused)'
      : 'ADMIN_TELEGRAM_IDS is not set: staff actions are allowed only inside MANAGERS_CHAT_ID (its members act as managers) and refused everywhere else, private chats included',
  );
}
