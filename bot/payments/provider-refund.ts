import type { Api } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { listInstalments } from '../../db/instalments';
import type { OrderRow } from '../../db/orders';
import { recordPaymentFlag } from '../../db/payment-flags';
import { formatAmount } from '../../domain/payments/payments';
import type { RefundAudit } from './refund-charge';

const TEXTS = {
  notPaid: (id: number, status: string) => `Заказ №${id} не оплачен (${status}) — возвращать нечего.`,
  reply: (id: number, amount: string, charges: string) =>
    `⚠️ Заказ №${id} (${amount}) оплачен через платёжную систему внутри Telegram, а не в Stars: бот не может вернуть эти деньги — Telegram возвращает через бота только Stars. ` +
    `Верните их в кабинете платёжной системы по ${charges}. Возврат записан и передан менеджерам; заказ остаётся оплаченным, пока деньги не вернут. Когда вернёте — /refund_done ${id}.`,
  managers: (id: number, amount: string, charges: string, actor: number) =>
    `↩️ Администратор (id ${actor}) просит вернуть оплату заказа №${id} (${amount}), оплаченного через платёжную систему внутри Telegram. Бот этого сделать не может: верните деньги в кабинете платёжной системы по ${charges}, затем отметьте: /refund_done ${id} — заказ закроется, доступ тоже.`,
};

/** How the charges are named to a person: the provider's id (what its dashboard finds) and Telegram's. */
function chargeList(charges: { provider: string | null; telegram: string | null }[]): string {
  const named = charges.map((c) => `платежу провайдера ${c.provider ?? '?'} (Telegram: ${c.telegram ?? '?'})`);
  return named.join(', ');
}

/**
 * `/refund <order>` for an order paid through Telegram Payments (a provider token). The Bot API
 * refunds Stars only (`refundStarPayment`); a provider's money goes back in the provider's dashboard.
 * So the admin is told so, plainly, with the charge ids that dashboard knows; the request is kept as a
 * payment flag (a repeat adds nothing) and the managers' chat hears it, so a person does it.
 */
export async function flagProviderRefund(
  deps: { db: Knex; api: Api; logger: Logger; managersChatId?: number },
  order: OrderRow,
  actor: number,
  audit: RefundAudit,
): Promise<string> {
  const orderId = Number(order.id);
  if (order.status !== 'paid') {
    await audit(false, `order is ${order.status}`, { orderId });
    return TEXTS.notPaid(orderId, order.status);
  }
  const later = (await listInstalments(deps.db, orderId)).filter((i) => i.number > 1 && i.status === 'paid');
  const charges = [
    { provider: order.provider_payment_charge_id, telegram: order.telegram_payment_charge_id, amount: Number(order.amount) },
    ...later.map((i) => ({ provider: i.provider_payment_charge_id, telegram: i.telegram_payment_charge_id, amount: Number(i.amount) })),
  ];
  const amount = formatAmount(Math.round(charges.reduce((sum, c) => sum + c.amount, 0) * 100) / 100, order.currency);
  const named = chargeList(charges);
  await recordPaymentFlag(deps.db, {
    orderId,
    reason: `refund asked by admin ${actor}: the Bot API cannot refund a provider payment, return ${amount} in the provider's dashboard`,
    payload: { refund_requested_by: actor, provider_payment_charge_ids: charges.map((c) => c.provider), telegram_payment_charge_ids: charges.map((c) => c.telegram) },
  });
  if (deps.managersChatId !== undefined) {
    try {
      await deps.api.sendMessage(deps.managersChatId, TEXTS.managers(orderId, amount, named, actor));
    } catch (error) {
      // The flag is kept either way; the admin's reply says what to do.
      deps.logger.error({ orderId, err: String(error) }, 'managers not told about a provider refund');
    }
  }
  await audit(false, 'provider payment: refunded in the provider dashboard, not by the bot', { orderId, charges: charges.length });
  deps.logger.warn({ orderId, actor, charges: charges.length }, 'provider refund asked: flagged for a person');
  return TEXTS.reply(orderId, amount, named);
}
