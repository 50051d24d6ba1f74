import { METRIC_NAMES, percent, type VariantStats } from './ab-test';
import type { AbMetric, VariantKey } from './campaign';
import type { OutboundButton } from '../conversation';

/**
 * What the creator of a broadcast is told, in their private chat: the A/B winner, a window
 * extended, a test that needs their decision (with buttons), and the final delivery figures.
 */

export type CampaignReportKind = 'winner' | 'extended' | 'undecided' | 'completed' | 'cancelled';

export const CAMPAIGN_CONTROL_SCOPE = 'cmpctl';

export type CampaignControl = { command: 'win'; variant: VariantKey } | { command: 'now' | 'cancel' | 'pause' | 'resume' | 'csv' | 'xlsx' | 'show' };

export function encodeCampaignControl(campaignId: number, control: CampaignControl): string {
  return `${CAMPAIGN_CONTROL_SCOPE}:${campaignId}:${control.command}${control.command === 'win' ? `:${control.variant}` : ''}`;
}

export function decodeCampaignControl(data: string): { campaignId: number; control: CampaignControl } | null {
  const match = /^cmpctl:(\d{1,15}):(win:([ABC])|now|cancel|pause|resume|csv|xlsx|show)$/.exec(data);
  if (!match) return null;
  const campaignId = Number(match[1]);
  if (match[3]) return { campaignId, control: { command: 'win', variant: match[3] as VariantKey } };
  return { campaignId, control: { command: match[2] as Exclude<CampaignControl['command'], 'win'> } };
}

export interface CampaignReportFacts {
  campaignId: number;
  name: string;
  counts: Record<'queued' | 'sent' | 'failed' | 'blocked' | 'skipped' | 'unknown', number>;
  ab?: { metric: AbMetric; stats: VariantStats[]; winner?: VariantKey | null; rest?: number };
  detail?: string;
}

export function campaignReport(kind: CampaignReportKind, facts: CampaignReportFacts): { text: string; buttons?: OutboundButton[][] } {
  const title = `«${facts.name}» (#${facts.campaignId})`;
  switch (kind) {
    case 'winner':
      return { text: [`🏆 A/B ${title}: победил вариант ${facts.ab?.winner} (${facts.detail}).`, ...abLines(facts), `Победитель уходит остальным: ${facts.ab?.rest ?? 0}.`].join('\n') };
    case 'extended':
      return { text: [`⏳ A/B ${title}: данных мало (${facts.detail}).`, ...abLines(facts)].join('\n') };
    case 'undecided': {
      const keys = facts.ab?.stats.map((s) => s.key) ?? [];
      return {
        text: [`❓ A/B ${title}: данных не хватило и после продлений (${facts.detail}). Решите сами:`, ...abLines(facts)].join('\n'),
        buttons: [
          keys.map((variant) => ({ text: `Победитель ${variant}`, data: encodeCampaignControl(facts.campaignId, { command: 'win', variant }) })),
          [
            { text: 'Лучший по метрике сейчас', data: encodeCampaignControl(facts.campaignId, { command: 'now' }) },
            { text: 'Отменить', data: encodeCampaignControl(facts.campaignId, { command: 'cancel' }) },
          ],
        ],
      };
    }
    case 'completed':
    case 'cancelled': {
      const c = facts.counts;
      const head = kind === 'completed' ? `✅ Рассылка ${title} завершена.` : `⛔ Рассылка ${title} отменена.`;
      return { text: `${head}\nОтправлено: ${c.sent}, пропущено: ${c.skipped}, заблокировали бота: ${c.blocked}, ошибки: ${c.failed}, неизвестно: ${c.unknown}.` };
    }
  }
}

function abLines(facts: CampaignReportFacts): string[] {
  if (!facts.ab) return [];
  return [
    `Метрика: ${METRIC_NAMES[facts.ab.metric]}.`,
    ...facts.ab.stats.map((s) => `${s.key}: ${s.successes} из ${s.delivered} (${percent(s.successes, s.delivered)}), отписки ${percent(s.unsubscribes, s.delivered)}`),
  ];
}
