import { recordPaymentFlag } from '../../db/payment-flags';
import { formatAmount } from '../../domain/payments/payments';
import type { PaymentNoticeDeps } from './payment-notice';

export interface MoneyForNoOrder {
  /** Who says the money arrived: `webhook` (our format), `cloudpayments`, `prodamus`, `yookassa`. */
  via: string;
  /** The provider's id of the payment (or a digest of the body when it has none). */
  paymentId: string;
  amount: number;
  currency: string;
  /** What the notification named as the order, if anything (it matched no order of ours). */
  orderRef?: string;
  payload: Record<string, unknown>;
}

/**
 * Money a provider says it took for an order we do not know: kept as a flag without an order and
 * told to the managers once per payment (docs/payments.md), so a person can find it in the
 * provider's account and return it. The provider is answered as for any accepted notice: it has
 * nothing to redeliver.
 */
export async function flagMoneyForNoOrder(deps: PaymentNoticeDeps, money: MoneyForNoOrder): Promise<void> {
  const amount = formatAmount(money.amount, money.currency);
  const named = money.orderRef ? `order "${money.orderRef.slice(0, 64)}"` : 'no order number';
  const reason = `paid ${amount} (${money.via}, payment ${money.paymentId}) for ${named}: no such order`;
  const flagId = await recordPaymentFlag(deps.db, { orderId: null, reason, payload: { ...money.payload, payment_id: money.paymentId } });
  const told = await deps.workflows.paidForNoOrder(flagId, `${money.via}-${money.paymentId}`);
  deps.logger.error({ flagId, via: money.via, told }, 'money for no known order: flagged, managers told');
}
