import type { Analytics } from '../db/analytics';

/**
 * The report as short lines that read well on a phone: the Telegram /dashboard and the api's
 * `view=summary`. A section whose data does not exist yet says so in one line.
 */

const STEP_NAMES = { started: 'старт', bonus: 'бонус', survey: 'опрос', consultation: 'консультация', payment: 'оплата' } as const;
const SEGMENT_NAMES = { cold: 'холодные', warm: 'тёплые', hot: 'горячие', none: 'без опроса' } as const;
const STATUS_NAMES = { bot: 'с ботом', with_manager: 'у менеджера', customer: 'клиенты', opted_out: 'отписались' } as const;

/** Russian number format with a plain space between thousands (ICU's no-break space shows oddly in some clients). */
const number = (value: number) => value.toLocaleString('ru-RU', { maximumFractionDigits: 2 }).replace(/\s/g, ' ');

export function percent(share: number | null): string {
  return share === null ? '—' : `${number(Math.round(share * 1000) / 10)}%`;
}

function duration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `${seconds} с`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} мин`;
  return `${Math.round((seconds / 3600) * 10) / 10} ч`;
}

const money = (amount: number, currency: string) => `${number(amount)} ${currency}`;

export function formatSummary(a: Analytics): string {
  const lines: string[] = [];
  const day = (iso: string) => iso.slice(0, 10);
  lines.push(`📊 Аналитика за ${a.period.days} дн. (${day(a.perDay[0]?.day ?? a.period.from)} — ${day(a.perDay.at(-1)?.day ?? a.period.to)})`);

  lines.push('', '👥 Пользователи');
  lines.push(`всего ${a.users.total}, новых ${a.users.new}, активных за 7 дн. ${a.users.active7d}`);
  lines.push(
    `сегменты: ${(Object.keys(SEGMENT_NAMES) as (keyof typeof SEGMENT_NAMES)[]).map((s) => `${SEGMENT_NAMES[s]} ${a.users.bySegment[s]}`).join(', ')}`,
  );

  lines.push('', '📝 Лиды');
  lines.push(`заявок всего ${a.leads.requests.total}, новых ${a.leads.requests.new}`);
  lines.push(
    `статусы: ${(Object.keys(STATUS_NAMES) as (keyof typeof STATUS_NAMES)[]).map((s) => `${STATUS_NAMES[s]} ${a.leads.byStatus[s]}`).join(', ')}; заблокировали бота ${a.leads.blocked}`,
  );
  const take = a.leads.timeToTake;
  lines.push(
    take.available
      ? `время до ответа менеджера: медиана ${duration(take.medianSeconds)}, среднее ${duration(take.averageSeconds)} (взято ${take.taken} из ${take.handoffs}, ждут ${take.waiting})`
      : `время до ответа менеджера: нет данных (${take.reason})`,
  );

  lines.push('', '🔻 Воронка (пришедшие за период)');
  for (const step of a.funnel.steps) {
    lines.push(step.count === null ? `${STEP_NAMES[step.step]}: нет данных` : `${STEP_NAMES[step.step]}: ${step.count} (${percent(step.rate)})`);
  }
  lines.push('', '🎯 Конверсия в консультацию по сегментам');
  for (const s of a.conversionBySegment) {
    lines.push(`${SEGMENT_NAMES[s.segment]}: ${s.consultations} из ${s.started} (${percent(s.consultationRate)})`);
  }

  lines.push('', '💰 Продажи');
  if (!a.sales.available) lines.push(`нет данных (${a.sales.reason})`);
  else if (a.sales.byCurrency.length === 0) lines.push('оплат за период нет');
  else {
    for (const c of a.sales.byCurrency) lines.push(`${money(c.revenue, c.currency)}: ${c.orders} опл., средний чек ${money(c.averageOrder, c.currency)}`);
  }
  if (a.sales.available) {
    for (const r of a.sales.refunds ?? []) lines.push(`↩️ возвраты: ${money(r.amount, r.currency)}, заказов ${r.orders}`);
  }

  lines.push('', '📣 Рассылки');
  if (!a.broadcasts.available) lines.push(`нет данных (${a.broadcasts.reason})`);
  else {
    const b = a.broadcasts;
    lines.push(`кампаний ${b.campaigns}, отправок ${b.deliveries}, охват ${b.uniqueReach}, ошибок ${percent(b.errorRate)}`);
  }
  if (a.abTests.available) {
    for (const test of a.abTests.tests) {
      lines.push(`A/B #${test.campaignId}: лидер ${test.leader ?? '—'}`);
      for (const v of test.variants) lines.push(`  ${v.variant}: CTR ${percent(v.ctr)}, CR ${percent(v.cr)}, отписок ${v.unsubscribes}`);
    }
  }

  lines.push('', '🤖 Модель');
  lines.push(`вызовов ${a.llm.calls}, запасных ответов ${a.llm.fallbacks} (${percent(a.llm.fallbackRate)}), передано менеджеру ${a.llm.escalations} из ${a.llm.turns} ходов`);
  return lines.join('\n');
}
