import { GrammyError, type Api } from 'grammy';
import type { Knex } from 'knex';
import { findOrder, starsPayerOf } from '../../db/orders';
import { findFlaggedStarsCharge, markFlaggedChargeRefunded } from '../../db/payment-flags';
import { formatAmount, STARS_CURRENCY } from '../../domain/payments/payments';
import { fromMinorUnits, isTelegramPaymentsCurrency } from '../../domain/payments/telegram-currencies';

const TEXTS = {
  usage: 'Как вернуть лишнюю оплату в Stars: /refund_charge <id платежа из уведомления>',
  unknown: (charge: string) => `Среди помеченных платежей нет ${charge}. Оплату заказа возвращает /refund <номер заказа>.`,
  orderCharge: (order: number) => `Это оплата заказа №${order}, а не лишний платёж: вернуть её — /refund ${order}.`,
  noPayer: (charge: string) => `Не знаю, кто заплатил ${charge}: вернуть через бота нельзя.`,
  already: (charge: string) => `Платёж ${charge} уже возвращён.`,
  provider: (charge: string, amount: string, provider: string) =>
    `⚠️ Платёж ${charge} (${amount}) прошёл через платёжную систему внутри Telegram, а не в Stars: бот не может его вернуть. Верните его в кабинете платёжной системы по платежу провайдера ${provider}; платёж помечен для менеджеров.`,
  refunded: (charge: string, amount: string) => `✅ Возврат лишнего платежа ${charge} (${amount}) выполнен.`,
  failed: (charge: string, reason: string) => `Telegram не выполнил возврат ${charge}: ${reason}`,
};

export type RefundAudit = (allowed: boolean, reason?: string, details?: Record<string, unknown>) => Promise<unknown>;

/**
 * `/refund_charge <charge id>` (admins): returns a Stars charge that was flagged instead of applied
 * (a second charge for one order, money for a closed or unknown order). The order's own charges
 * go back with /refund; this one never touches an order's status.
 */
export async function refundFlaggedCharge(db: Knex, api: Api, chargeId: string | undefined, audit: RefundAudit): Promise<string> {
  if (!chargeId) {
    await audit(false, 'bad arguments');
    return TEXTS.usage;
  }
  const flag = await findFlaggedStarsCharge(db, chargeId);
  if (!flag) {
    await audit(false, 'no such flagged charge', { chargeId });
    return TEXTS.unknown(chargeId);
  }
  const order = flag.order_id === null ? undefined : await findOrder(db, Number(flag.order_id));
  if (order?.telegram_payment_charge_id === chargeId) {
    await audit(false, 'the order\'s own charge', { chargeId, orderId: Number(order.id) });
    return TEXTS.orderCharge(Number(order.id));
  }
  const currency = String(flag.payload?.currency ?? STARS_CURRENCY);
  if (currency !== STARS_CURRENCY) {
    // Telegram Payments through a provider token: the Bot API refunds Stars only.
    await audit(false, 'provider payment: refunded in the provider dashboard, not by the bot', { chargeId });
    const minor = Number(flag.payload?.total_amount ?? 0);
    const amount = isTelegramPaymentsCurrency(currency) ? formatAmount(fromMinorUnits(minor, currency), currency) : `${minor} (${currency})`;
    return TEXTS.provider(chargeId, amount, String(flag.payload?.provider_payment_charge_id ?? '?'));
  }
  if (flag.refunded_at) {
    await audit(false, 'refunded already', { chargeId });
    return TEXTS.already(chargeId);
  }
  const payer = flag.payer_telegram_id !== null ? Number(flag.payer_telegram_id) : order && (await starsPayerOf(db, order));
  if (!payer) {
    await audit(false, 'payer unknown', { chargeId });
    return TEXTS.noPayer(chargeId);
  }
  try {
    await api.refundStarPayment(payer, chargeId);
  } catch (error) {
    // Refunded already (by hand, or a repeat after a lost answer): the books catch up below.
    if (!(error instanceof GrammyError) || !error.description.includes('CHARGE_ALREADY_REFUNDED')) {
      if (!(error instanceof GrammyError)) throw error;
      await audit(false, `telegram: ${error.description}`, { chargeId });
      return TEXTS.failed(chargeId, error.description);
    }
  }
  await markFlaggedChargeRefunded(db, chargeId);
  const amount = formatAmount(Number(flag.payload?.total_amount ?? 0), String(flag.payload?.currency ?? STARS_CURRENCY));
  await audit(true, undefined, { chargeId, orderId: flag.order_id === null ? null : Number(flag.order_id), amount: flag.payload?.total_amount });
  return TEXTS.refunded(chargeId, amount);
}
