import { Composer } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { recordClick } from '../../db/campaign-outcomes';
import { findCampaign } from '../../db/campaigns';
import { buttonAt, contentFor, parseClickId } from '../../domain/broadcasts/campaign-message';
import type { InboundEvent } from '../../domain/inbound-event';
import type { BotContext } from '../context';
import { parseLeadUpdate } from '../leads/inbound-event';
import type { LeadConversations } from '../leads/lead-conversations';

export interface CampaignButtonsDeps {
  db: Knex;
  logger: Logger;
  conversations: Pick<LeadConversations, 'deliver'>;
}

const STALE = 'Эта кнопка больше не работает.';

/**
 * Buttons of broadcasts. A lead's press of an action button (`cmp:<delivery>.<button>`) is counted
 * as a click and then does what the matching command would (`unsubscribe` is /stop), in the lead's
 * own conversation.
 */
export function campaignButtons(deps: CampaignButtonsDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  privateChats.callbackQuery(/^cmp:(.+)$/, async (ctx) => {
    const click = parseClickId(ctx.match[1]);
    const delivery = click ? await deps.db('campaign_deliveries as d').join('leads as l', 'l.id', 'd.lead_id').where('d.id', click.deliveryId).first('d.campaign_id', 'd.variant', 'l.telegram_user_id') : undefined;
    const campaign = delivery ? await findCampaign(deps.db, Number(delivery.campaign_id)) : undefined;
    const button = click && campaign ? buttonAt(contentFor(campaign, delivery.variant).buttons, click.button) : undefined;
    // Only the lead the broadcast went to can press its buttons: a forged press counts nothing.
    if (!click || !button || !('action' in button) || Number(delivery.telegram_user_id) !== ctx.from.id) {
      deps.logger.warn({ data: ctx.callbackQuery.data, from: ctx.from.id }, 'campaign button refused: unknown, stale or not this lead');
      return void (await ctx.answerCallbackQuery({ text: STALE }).catch(() => undefined));
    }
    await recordClick(deps.db, click.deliveryId, click.button);
    await ctx.answerCallbackQuery().catch(() => undefined);
    const parsed = parseLeadUpdate(ctx.update);
    if (!parsed.ok || parsed.event.kind !== 'button') return;
    const command = button.action === 'unsubscribe' ? 'stop' : button.action.slice('command:'.length);
    const { kind: _button, data: _data, callbackQueryId: _query, messageId, ...base } = parsed.event;
    const event: InboundEvent = { ...base, kind: 'command', command, text: `/${command}`, messageId: messageId ?? 0 };
    await deps.conversations.deliver(event);
  });

  return composer;
}
