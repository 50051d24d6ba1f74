import type { Knex } from 'knex';
import { hasRole, type Role } from '../domain/roles';
import { auditStaffCommand, roleOf } from '../db/staff';
import type { BotContext } from './context';

export interface StaffAccessDeps {
  db: Knex;
  owners: readonly number[];
}

const REFUSED: Record<Role, string> = {
  manager: '⛔ Это доступно менеджерам и выше. Попытка записана.',
  editor: '⛔ Это доступно редакторам и выше. Попытка записана.',
  admin: '⛔ Это доступно администраторам и выше. Попытка записана.',
  owner: '⛔ Это доступно только владельцам. Попытка записана.',
};

/**
 * Checks the caller's role now (never a role remembered from an earlier step), records the call
 * allowed or refused, and answers a refusal. Returns the role when allowed, else null.
 */
export async function requireRole(
  deps: StaffAccessDeps,
  ctx: BotContext,
  required: Role,
  command: string,
  details: Record<string, unknown> = {},
): Promise<Role | null> {
  const actor = ctx.from?.id ?? 0;
  const actorRole = await roleOf(deps.db, actor, deps.owners);
  const allowed = hasRole(actorRole, required);
  await auditStaffCommand(deps.db, {
    actor,
    actorRole,
    command,
    details,
    allowed,
    reason: allowed ? undefined : actorRole ? `role ${actorRole} is below ${required}` : 'not staff',
  });
  if (allowed) return actorRole;
  if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
  await ctx.reply(REFUSED[required]);
  return null;
}
