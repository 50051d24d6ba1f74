import { log } from '@temporalio/workflow';
import { enterStep } from '../../domain/conversation';
import { paymentChoice } from '../../domain/payments/payment-offer';
import type { Scenario } from '../../domain/scenario';
import { startPayment } from '../payment/start';
import type { Conversation } from './context';
import { startHandoff } from './handoff';
import { recordEvent, send } from './outbound';
import { run } from './scenario-steps';

/**
 * A press on the payment offer: an order and its payment workflow (which sends the link or the
 * Stars invoice), or a manager for a discount or an option the product cannot be paid with.
 */
export async function payButton(c: Conversation, buttonId: string): Promise<void> {
  const { state } = c;
  const current = c.scenario as Scenario;
  const texts = current.payment as NonNullable<Scenario['payment']>;
  const choice = paymentChoice(buttonId);
  if (!choice || !state.match) return run(c, enterStep(current, current.fallback));
  if (choice.kind === 'promo') {
    await startHandoff(c, 'discount_request');
    return send(c, { type: 'text', text: texts.promo });
  }
  try {
    const order = await startPayment({ telegramUserId: state.telegramUserId, productCode: state.match.code, type: choice.type, method: choice.method });
    // The order's own method: a "link" press becomes an invoice inside Telegram when a provider token
    // covers the product's currency (the activity decides; replays read the same from its result).
    await recordEvent(c, 'payment_started', { orderId: order.orderId, type: choice.type, method: order.method });
  } catch (error) {
    log.warn('payment not started; a manager takes it', { leadId: state.leadId, error: error instanceof Error ? error.message : String(error) });
    await send(c, { type: 'text', text: texts.unavailable });
    await startHandoff(c, 'payment_started');
  }
}
