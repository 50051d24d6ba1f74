import { Composer } from 'grammy';
import { staffHelpText } from '../../domain/staff/command-table';
import type { BotContext } from '../context';
import { actingRole, type StaffAccessDeps } from '../staff-access';

const NOT_A_LEAD = 'Вы в команде, поэтому сценарий для лидов вам не отвечает. Что вы можете делать: /help';

/**
 * `/help` for staff: what the caller's role allows, from the same table as their command menu.
 * A lead's /help goes on to the scenario. In the managers' chat it lists what works there.
 */
export function staffHelp(deps: StaffAccessDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command('help', async (ctx, next) => {
    const { role } = await actingRole(deps, ctx.from, ctx.chat.id);
    if (!role) return next();
    await ctx.reply(staffHelpText(role, ctx.chat.type === 'private' ? 'private' : 'group'));
  });
  return composer;
}

/**
 * The last stop before the lead flow: staff never become leads (a conversation, a lead row, a
 * number in analytics). A staff member's message or press that no staff feature took ends here.
 */
export function staffAreNotLeads(deps: StaffAccessDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.chatType('private').on(['message', 'callback_query'], async (ctx, next) => {
    const { role } = await actingRole(deps, ctx.from, ctx.chat.id);
    if (!role) return next();
    if (ctx.callbackQuery) return void (await ctx.answerCallbackQuery({ text: NOT_A_LEAD.slice(0, 200) }).catch(() => undefined));
    await ctx.reply(NOT_A_LEAD);
  });
  return composer;
}
