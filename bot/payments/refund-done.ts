import type { Api } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { markOrderRefunded, type OrderRow } from '../../db/orders';
import { resolveOrderFlags } from '../../db/payment-flags';
import { formatAmount, STARS_CURRENCY } from '../../domain/payments/payments';
import type { RefundAudit } from './refund-charge';

const TEXTS = {
  usage: 'Как отметить возврат, сделанный в кабинете платёжной системы: /refund_done <номер заказа> [комментарий]',
  stars: (id: number) => `Заказ №${id} оплачен в Stars: их возвращает сам бот — /refund ${id}.`,
  already: (id: number) => `Заказ №${id} уже отмечен возвращённым — ничего не изменено.`,
  notPaid: (id: number, status: string) => `Заказ №${id} не оплачен (${status}) — отмечать нечего.`,
  done: (id: number, amount: string, flags: number) =>
    `✅ Заказ №${id} (${amount}) отмечен возвращённым: доступ закрыт, в аналитике это возврат.${flags ? ` Снято пометок: ${flags}.` : ''}`,
  managers: (id: number, amount: string, actor: number, note: string | null) =>
    `✅ Возврат по заказу №${id} (${amount}) сделан в кабинете платёжной системы — отметил администратор (id ${actor}).${note ? ` Комментарий: ${note}` : ''} Заказ закрыт как возвращённый.`,
};

/** A note is a staff member's own words about the refund; kept short. */
const NOTE_LIMIT = 300;

/**
 * `/refund_done <order> [note]` (docs/payments.md#refunds): the money of an order paid through a provider
 * (Telegram Payments with a provider token, YooKassa, Prodamus, CloudPayments, a manager's link) went
 * back in the provider's dashboard, which the bot cannot do or see. The order becomes `refunded` as a
 * Stars refund makes it (access closed, revenue no longer counts it), its open flags are settled with who
 * and why, and the managers' chat, which was asked to do the refund, hears it is done. Stars orders are
 * refused (the bot refunds those itself with /refund), and so are orders that are not paid.
 */
export async function recordProviderRefund(
  deps: { db: Knex; api: Api; logger: Logger; managersChatId?: number },
  order: OrderRow | undefined,
  args: string[],
  actor: number,
  audit: RefundAudit,
): Promise<string> {
  if (!order) {
    await audit(false, args[0] ? 'no such order' : 'bad arguments', { orderId: args[0] });
    return args[0] ? `Заказа №${Number(args[0]) || args[0]} нет.` : TEXTS.usage;
  }
  const orderId = Number(order.id);
  if (order.currency === STARS_CURRENCY) {
    await audit(false, 'a Stars order: /refund returns it', { orderId });
    return TEXTS.stars(orderId);
  }
  if (order.status !== 'paid') {
    await audit(false, `order is ${order.status}`, { orderId });
    return order.status === 'refunded' ? TEXTS.already(orderId) : TEXTS.notPaid(orderId, order.status);
  }
  const note = args.slice(1).join(' ').slice(0, NOTE_LIMIT) || null;
  const resolution = `refund made at the provider (admin ${actor})${note ? `: ${note}` : ''}`;
  const settled = await deps.db.transaction(async (trx) => {
    // The same step as a Stars refund: a refunded order gives no access and brings no revenue.
    if (!(await markOrderRefunded(trx, orderId))) return null;
    const flags = await resolveOrderFlags(trx, orderId, actor, resolution);
    // Nothing about this order waits for a person any more.
    await trx('orders').where({ id: orderId }).update({ flagged_reason: null });
    return flags;
  });
  if (settled === null) {
    // Another admin's /refund_done (or a Stars /refund) got there first.
    await audit(false, 'refunded meanwhile', { orderId });
    return TEXTS.already(orderId);
  }
  const amount = formatAmount(Number(order.amount), order.currency);
  await audit(true, undefined, { orderId, amount: Number(order.amount), currency: order.currency, flagsResolved: settled, note });
  deps.logger.info({ orderId, actor, flagsResolved: settled }, 'provider refund recorded');
  if (deps.managersChatId !== undefined) {
    await deps.api.sendMessage(deps.managersChatId, TEXTS.managers(orderId, amount, actor, note)).catch((error: unknown) => {
      deps.logger.error({ orderId, err: String(error) }, 'managers not told about a recorded refund');
    });
  }
  return TEXTS.done(orderId, amount, settled);
}
