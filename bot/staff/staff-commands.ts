import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { canManage, hasRole, isRole, ROLES, type Role } from '../../domain/staff/roles';
import { auditStaffCommand, listStaff, removeStaff, roleOf, setStaffRole } from '../../db/staff';
import type { BotContext } from '../context';
import { releaseDialogsOf } from '../handoffs/dialog-release';
import type { Handoffs } from '../handoffs/handoffs';
import { checkStaffAction, type StaffAccessDeps } from '../staff-access';

export interface StaffDeps extends StaffAccessDeps {
  db: Knex;
  logger: Logger;
}

export interface StaffCommandsDeps extends StaffDeps {
  /** Dialogs held by someone who is no longer a manager go back to the queue through their workflows. */
  handoffs?: Pick<Handoffs, 'release'>;
  /** Shows the person the command menu of their new role (or the leads' menu once removed). */
  refreshMenu?: (telegramUserId: number) => Promise<void>;
}

/** Commands that belong to staff; from anyone else they are refused and recorded, never passed on. */
export const STAFF_COMMANDS = ['staff', 'staff_add', 'staff_remove'] as const;

const TEXTS = {
  refused: '⛔ Недостаточно прав для этой команды. Попытка записана.',
  usageAdd: 'Как добавить: /staff_add <telegram id> <admin|editor|manager>',
  usageRemove: 'Как убрать: /staff_remove <telegram id>',
  added: (id: number, role: Role) => `✅ ${id} теперь ${role}.`,
  removed: (id: number) => `✅ ${id} больше не в команде.`,
  notStaff: (id: number) => `${id} не был в команде.`,
  released: (n: number) => `Его открытые диалоги (${n}) возвращены в очередь.`,
  releaseFailed: (n: number) => `⚠️ ${n} диалог(ов) не удалось вернуть в очередь: сервис недоступен. Его сообщения лидам всё равно не пройдут.`,
  cannotGrant: (role: Role) => `⛔ Ваша роль не может выдавать или снимать роль ${role}.`,
  list: (owners: readonly number[], staff: { telegramUserId: number; role: Role }[]) =>
    ['👥 Команда:', ...owners.map((id) => `• ${id} — owner (из настроек)`), ...staff.map((s) => `• ${s.telegramUserId} — ${s.role}`)].join('\n'),
};

/**
 * Staff management in a private chat. The role is checked on every call, against the database and
 * the configured owners; a refused command is answered and recorded, and never reaches the lead flow.
 */
export function staffCommands(deps: StaffCommandsDeps): Composer<BotContext> {
  const { db, owners, logger } = deps;
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  privateChats.command([...STAFF_COMMANDS], async (ctx) => {
    const actor = ctx.from.id;
    const command = ctx.message?.text.split(/[\s@]/)[0].slice(1).toLowerCase() ?? 'staff';
    const args = ctx.match.trim().split(/\s+/).filter(Boolean);
    const check = await checkStaffAction(deps, ctx, 'admin', command, { args }, { recordAllowed: false });
    if (!check.allowed) {
      logger.warn({ actor, command, reason: check.reason }, 'staff command refused');
      await ctx.reply(TEXTS.refused);
      return;
    }
    const actorRole = check.role;
    const audit = (allowed: boolean, reason?: string, details: Record<string, unknown> = {}) =>
      auditStaffCommand(db, { actor, actorRole, command, details: { args, ...details }, allowed, reason });
    if (command === 'staff') {
      await audit(true);
      await ctx.reply(TEXTS.list(owners, await listStaff(db)));
      return;
    }
    const target = Number(args[0]);
    if (!Number.isSafeInteger(target) || target <= 0) {
      await audit(false, 'bad arguments');
      await ctx.reply(command === 'staff_add' ? TEXTS.usageAdd : TEXTS.usageRemove);
      return;
    }
    if (command === 'staff_add') {
      const role = args[1]?.toLowerCase() ?? '';
      if (!isRole(role) || role === 'owner') {
        await audit(false, 'bad role');
        await ctx.reply(`${TEXTS.usageAdd}\n(роли: ${ROLES.filter((r) => r !== 'owner').join(', ')})`);
        return;
      }
      const current = await roleOf(db, target, owners);
      if (!canManage(actorRole, role) || (current !== null && !canManage(actorRole, current))) {
        await audit(false, `cannot grant ${role}`, { target, role });
        await ctx.reply(TEXTS.cannotGrant(current && !canManage(actorRole, current) ? current : role));
        return;
      }
      await setStaffRole(db, target, role, actor);
      const release = hasRole(role, 'manager') ? undefined : await releaseDialogs(target, `role lowered to ${role}`);
      await audit(true, undefined, { target, role, ...(release && { release }) });
      await deps.refreshMenu?.(target);
      await ctx.reply(TEXTS.added(target, role));
      return;
    }
    const current = await roleOf(db, target, owners);
    if (current !== null && !canManage(actorRole, current)) {
      await audit(false, `cannot remove ${current}`, { target });
      await ctx.reply(TEXTS.cannotGrant(current));
      return;
    }
    const removed = await removeStaff(db, target);
    // Whether or not a row went: someone left holding dialogs (a role removed by hand in the database) loses them too.
    const release = await releaseDialogs(target, 'staff_removed');
    await audit(true, undefined, { target, removed, ...(release && { release }) });
    await deps.refreshMenu?.(target);
    await ctx.reply([removed ? TEXTS.removed(target) : TEXTS.notStaff(target), ...(release?.released.length ? [TEXTS.released(release.released.length)] : []), ...(release?.failed.length ? [TEXTS.releaseFailed(release.failed.length)] : [])].join('\n'));
  });

  /** Releases the person's dialogs unless they are still a manager (an owner from configuration is). */
  async function releaseDialogs(target: number, reason: string) {
    if (!deps.handoffs || hasRole(await roleOf(db, target, owners), 'manager')) return undefined;
    return releaseDialogsOf({ db, handoffs: deps.handoffs, logger }, target, reason);
  }

  return composer;
}
