import { Composer } from 'grammy';
import type { Logger } from 'pino';
import { hasRole } from '../domain/staff/roles';
import { auditStaffCommand } from '../db/staff';
import type { BotContext } from './context';
import { actingRole, type StaffAccessDeps } from './staff-access';

export interface GroupMembershipDeps extends StaffAccessDeps {
  logger: Logger;
}

const JOINED = new Set(['member', 'administrator']);

/**
 * The bot works in private chats and in the managers' chat. Added to any other group or channel,
 * it stays only when a staff member added it (with no owners configured there is no staff outside
 * the managers' chat, so it always leaves); otherwise it leaves at once, and either way the addition
 * is recorded in `staff_audit`. Needs `my_chat_member` among the allowed updates.
 */
export function groupMembership(deps: GroupMembershipDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();

  composer.on('my_chat_member', async (ctx) => {
    const change = ctx.myChatMember;
    const chat = change.chat;
    if (chat.type === 'private' || !JOINED.has(change.new_chat_member.status) || JOINED.has(change.old_chat_member.status)) return;
    const isManagersChat = chat.id === deps.managersChatId;
    const { role, why } = await actingRole(deps, change.from, chat.id);
    const stays = isManagersChat || hasRole(role, 'manager');
    await auditStaffCommand(deps.db, {
      actor: change.from.id,
      actorRole: role,
      command: 'bot_added_to_chat',
      details: { chatId: chat.id, chatType: chat.type, left: !stays },
      allowed: stays,
      reason: stays ? undefined : (why ?? 'not staff'),
    });
    if (stays) return void deps.logger.info({ chatId: chat.id, by: change.from.id }, 'bot added to a chat by staff');
    deps.logger.warn({ chatId: chat.id, chatType: chat.type, by: change.from.id }, 'bot added to a chat by someone who is not staff: leaving');
    await ctx.api.leaveChat(chat.id).catch((error: unknown) => deps.logger.error({ chatId: chat.id, err: String(error) }, 'leaving the chat failed'));
  });

  return composer;
}
