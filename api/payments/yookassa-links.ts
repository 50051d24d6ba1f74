import type { PaymentLinkMaker } from '../../activities/payments';
import type { YooKassaApi } from './yookassa-api';

/**
 * Payment pages made through the YooKassa API for products without a link of their own: one
 * payment per order (per instalment for an instalment order), its idempotence key our order id
 * (`<order>-<n>` for a later instalment: a retried request returns the same payment), our order id
 * and instalment in its metadata (the notification's confirmation reads them there), and the return
 * button leading back to the bot.
 */
export function yooKassaPaymentLinks(api: YooKassaApi, returnUrl: () => Promise<string>): PaymentLinkMaker {
  return {
    provider: 'YooKassa',
    async create(order) {
      const payment = await api.createPayment(
        {
          amount: { value: order.amount.toFixed(2), currency: order.currency },
          description: order.description,
          returnUrl: await returnUrl(),
          metadata: { order_id: String(order.orderId), ...(order.instalment && { instalment: String(order.instalment) }) },
        },
        order.instalment && order.instalment > 1 ? `${order.orderId}-${order.instalment}` : String(order.orderId),
      );
      const url = payment.confirmation?.confirmation_url;
      if (!url) throw new Error(`YooKassa payment ${payment.id} came without a confirmation_url`);
      return url;
    },
  };
}

/** t.me/<bot>: where YooKassa's "return to the shop" button leads; asked from Telegram once. */
export function botReturnUrl(getMe: () => Promise<{ username: string }>): () => Promise<string> {
  let cached: Promise<string> | undefined;
  return () => {
    cached ??= getMe().then((me) => `https://t.me/${me.username}`);
    cached.catch(() => (cached = undefined));
    return cached;
  };
}
