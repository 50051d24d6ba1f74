import type { Api } from 'grammy';
import type { BotCommand } from 'grammy/types';
import type { Logger } from 'pino';
import { listStaff, roleOf } from '../db/staff';
import type { Scenario } from '../domain/scenario';
import { commandsFor, menuDescription } from '../domain/staff/command-table';
import type { Role } from '../domain/staff/roles';
import type { StaffAccessDeps } from './staff-access';

export interface CommandMenusDeps extends StaffAccessDeps {
  api: Pick<Api, 'setMyCommands' | 'deleteMyCommands'>;
  logger: Pick<Logger, 'info' | 'warn'>;
}

/** The lead's menu from the scenario's `command_menu` (its order); commands the scenario lacks are left out. */
export function leadMenu(scenario: Scenario): BotCommand[] {
  return Object.entries(scenario.commandMenu ?? {})
    .filter(([command]) => command === 'start' || command === 'reset' || command in scenario.commands)
    .map(([command, description]) => ({ command, description }));
}

/** What Telegram shows a staff member in their private chat with the bot (domain/staff/command-table.ts). */
export function staffMenu(role: Role, where: 'private' | 'group' = 'private'): BotCommand[] {
  return commandsFor(role, where).map((entry) => ({ command: entry.command, description: menuDescription(entry) }));
}

/**
 * Shows one person the menu their role allows now, in their private chat (BotCommandScopeChat);
 * someone no longer staff gets the leads' menu back. Staff act in private only once owners are
 * configured (bot/staff-access.ts), so without owners nobody gets a private staff menu.
 * Telegram refuses a chat that never opened the bot: logged, never thrown (a staff change stands).
 */
export async function refreshStaffMenu(deps: CommandMenusDeps, telegramUserId: number): Promise<void> {
  const scope = { type: 'chat' as const, chat_id: telegramUserId };
  const role = deps.owners.length > 0 ? await roleOf(deps.db, telegramUserId, deps.owners) : null;
  try {
    if (role) await deps.api.setMyCommands(staffMenu(role), { scope });
    else await deps.api.deleteMyCommands({ scope });
  } catch (error) {
    deps.logger.warn({ telegramUserId, role, err: String(error) }, 'staff command menu not set');
  }
}

/**
 * At start: the leads' menu per scenario language (the first scenario is also the default for any
 * other language), each staff member's private menu, and the managers' chat menu (what works there).
 */
export async function registerCommandMenus(deps: CommandMenusDeps, scenarios: readonly Scenario[]): Promise<void> {
  const [fallback, ...others] = scenarios;
  if (fallback) await deps.api.setMyCommands(leadMenu(fallback), { scope: { type: 'all_private_chats' } });
  for (const scenario of [fallback, ...others].filter(Boolean)) {
    await deps.api.setMyCommands(leadMenu(scenario), { scope: { type: 'all_private_chats' }, language_code: scenario.language });
  }
  if (deps.managersChatId !== undefined) {
    await deps.api.setMyCommands(staffMenu('manager', 'group'), { scope: { type: 'chat', chat_id: deps.managersChatId } });
  }
  const people = [...deps.owners, ...(await listStaff(deps.db)).map((member) => member.telegramUserId)];
  for (const id of new Set(people)) await refreshStaffMenu(deps, id);
  deps.logger.info({ staff: people.length, languages: scenarios.map((s) => s.language) }, 'command menus registered');
}
