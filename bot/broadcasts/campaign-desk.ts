import { Composer, InputFile } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import type { Knex } from 'knex';
import type { CampaignCommand, CampaignWorkflowsPort } from '../../api/campaign-workflows';
import { abReport, campaignDeliveryTable } from '../../db/campaign-report';
import { xlsxBuffer } from '../../db/xlsx-export';
import { abResultOf, deliveryCounts, findCampaign, type CampaignRow } from '../../db/campaigns';
import { METRIC_NAMES, percent } from '../../domain/broadcasts/ab-test';
import { decodeCampaignControl, encodeCampaignControl, type CampaignControl } from '../../domain/broadcasts/campaign-report';
import type { BotContext } from '../context';
import { requireRole, type StaffAccessDeps } from '../staff-access';
import { csvLine, EXCEL_BOM } from '../../domain/csv';

export interface CampaignDeskDeps extends StaffAccessDeps {
  /** Signals to campaign workflows; without it the desk only shows. */
  campaigns?: Pick<CampaignWorkflowsPort, 'command' | 'pickWinner'>;
  timeZone: string;
}

const ENDED = new Set(['completed', 'cancelled']);
const SIGNALS: Partial<Record<CampaignControl['command'], CampaignCommand>> = { pause: 'pause', resume: 'resume', cancel: 'cancel', now: 'deliver-now' };
const DONE: Record<string, string> = {
  pause: 'Рассылка приостановлена.',
  resume: 'Рассылка продолжается.',
  cancel: 'Рассылка отменяется.',
  now: 'Сейчас: запланированная рассылка стартует, A/B-тест решается по собранным данным.',
};

/**
 * Editors' view of broadcasts in Telegram: `/campaigns` lists the latest, `/campaign <id>` shows one
 * (deliveries, the A/B pilot and result) with buttons to pause, resume, cancel, decide now, pick the
 * winner, or get every recipient as CSV or .xlsx. Every press re-checks the role and is recorded.
 */
export function campaignDesk(deps: CampaignDeskDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');

  privateChats.command('campaigns', async (ctx) => {
    if (!(await requireRole(deps, ctx, 'editor', 'campaigns'))) return;
    const rows: { id: string; name: string; status: string }[] = await deps.db('campaigns').orderBy('id', 'desc').limit(10).select('id', 'name', 'status');
    if (!rows.length) return void (await ctx.reply('Рассылок пока нет. Создать: /broadcast'));
    await ctx.reply(['📣 Последние рассылки:', ...rows.map((r) => `#${r.id} «${r.name}» — ${r.status}`), '', 'Подробнее: /campaign <номер>'].join('\n'));
  });

  privateChats.command('campaign', async (ctx) => {
    const id = Number(ctx.match.trim());
    if (!(await requireRole(deps, ctx, 'editor', 'campaign', { id: ctx.match.trim() }))) return;
    if (!Number.isSafeInteger(id) || id <= 0) return void (await ctx.reply('Укажите номер рассылки: /campaign 12'));
    await show(ctx, id);
  });

  privateChats.callbackQuery(/^cmpctl:/, async (ctx) => {
    const decoded = decodeCampaignControl(ctx.callbackQuery.data);
    if (!decoded) return void (await ctx.answerCallbackQuery({ text: 'Эта кнопка больше не работает.' }).catch(() => undefined));
    const { campaignId, control } = decoded;
    if (!(await requireRole(deps, ctx, 'editor', 'campaign_control', { campaignId, control }))) return;
    await ctx.answerCallbackQuery().catch(() => undefined);
    if (control.command === 'show') return show(ctx, campaignId);
    if (control.command === 'csv' || control.command === 'xlsx') return sendDeliveries(ctx, campaignId, control.command);
    const campaign = await findCampaign(deps.db, campaignId);
    if (!campaign) return void (await ctx.reply(`Рассылки #${campaignId} нет.`));
    if (control.command === 'win') {
      if (!campaign.ab_test?.variants.some((v) => v.key === control.variant)) return void (await ctx.reply(`#${campaignId}: варианта ${control.variant} в этой рассылке нет.`));
      const decided = await abResultOf(deps.db, campaignId);
      if (decided?.winner) return void (await ctx.reply(`#${campaignId}: победитель уже выбран — ${decided.winner}.`));
    }
    const signalled = !deps.campaigns
      ? false
      : control.command === 'win'
        ? await deps.campaigns.pickWinner(campaignId, control.variant)
        : await deps.campaigns.command(campaignId, SIGNALS[control.command] as CampaignCommand);
    const done = control.command === 'win' ? `Победитель ${control.variant} выбран: он уходит остальным.` : DONE[control.command];
    await ctx.reply(signalled ? `#${campaignId}: ${done}` : `#${campaignId}: рассылка уже завершена, ничего не изменилось.`);
    if (signalled && control.command === 'win') await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } }).catch(() => undefined);
  });

  async function show(ctx: BotContext, id: number): Promise<void> {
    const campaign = await findCampaign(deps.db, id);
    if (!campaign) return void (await ctx.reply(`Рассылки #${id} нет.`));
    const winner = (await abResultOf(deps.db, campaign.id))?.winner;
    await ctx.reply(await describe(campaign), { reply_markup: { inline_keyboard: controls(campaign, winner) } });
  }

  async function describe(campaign: CampaignRow): Promise<string> {
    const c = await deliveryCounts(deps.db, campaign.id);
    const when = campaign.scheduled_at ? campaign.scheduled_at.toLocaleString('ru-RU', { timeZone: deps.timeZone }) : 'сразу';
    const lines = [
      `📣 #${campaign.id} «${campaign.name}» — ${campaign.status}`,
      `Запуск: ${when} (${deps.timeZone})`,
      `В очереди ${c.queued}, отправлено ${c.sent}, пропущено ${c.skipped}, заблокировали ${c.blocked}, ошибки ${c.failed}, неизвестно ${c.unknown}`,
    ];
    const ab = await abReport(deps.db, campaign);
    if (ab) {
      lines.push(`A/B: пилот ${ab.pilot_share}%, окно ${ab.window_hours} ч, метрика: ${METRIC_NAMES[ab.metric]}`);
      for (const v of ab.pilot) lines.push(`${v.key}: ${v.successes} из ${v.delivered} (${percent(v.successes, v.delivered)}), отписки ${percent(v.unsubscribes, v.delivered)}`);
      const result = ab.result as { winner?: string; reason?: string } | null;
      if (result?.winner) lines.push(`Победитель: ${result.winner} (${result.reason})`);
    }
    return lines.join('\n');
  }

  function controls(campaign: CampaignRow, winner: string | undefined): InlineKeyboardButton[][] {
    const button = (text: string, control: CampaignControl) => ({ text, callback_data: encodeCampaignControl(campaign.id, control) });
    const rows: InlineKeyboardButton[][] = [];
    if (!ENDED.has(campaign.status)) {
      rows.push([campaign.status === 'paused' ? button('▶️ Продолжить', { command: 'resume' }) : button('⏸ Пауза', { command: 'pause' }), button('⛔ Отменить', { command: 'cancel' })]);
      // "Now" starts a scheduled campaign or decides an observing test; during the pilot it would skip the window.
      if (campaign.status === 'scheduled' || campaign.status === 'observing') rows.push([button('⚡ Сейчас', { command: 'now' })]);
      if (campaign.ab_test && !winner) rows.push(campaign.ab_test.variants.map((v) => button(`Победитель ${v.key}`, { command: 'win', variant: v.key })));
    }
    rows.push([button('🔄 Обновить', { command: 'show' }), button('📄 CSV', { command: 'csv' }), button('📊 Excel', { command: 'xlsx' })]);
    return rows;
  }

  /** Every recipient as one document: CSV (UTF-8 with BOM) or .xlsx with the same columns. */
  async function sendDeliveries(ctx: BotContext, id: number, format: 'csv' | 'xlsx'): Promise<void> {
    if (!(await findCampaign(deps.db, id))) return void (await ctx.reply(`Рассылки #${id} нет.`));
    const rows = [];
    for await (const row of campaignDeliveryTable(deps.db, id)) rows.push(row);
    const file =
      format === 'xlsx' ? await xlsxBuffer(`campaign-${id}`, rows) : Buffer.from(EXCEL_BOM + rows.map(csvLine).join(''), 'utf8');
    await ctx.replyWithDocument(new InputFile(file, `campaign-${id}-deliveries.${format}`), { caption: `#${id}: получателей ${rows.length - 1}` });
  }

  return composer;
}
