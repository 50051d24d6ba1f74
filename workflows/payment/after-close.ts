import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PaymentActivities } from '../../activities/payments';
import type { PaymentAfterCloseInput } from './contract';

const payments = proxyActivities<Pick<PaymentActivities, 'notifyManagersAboutPaymentAfterClose'>>({
  startToCloseTimeout: '30s',
  // Nobody else will tell the managers about this money: an outage delays the notice, never loses it.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['BadOrderRequest'] },
});

/**
 * Money arrived for an order whose own workflow has ended (expired, cancelled, paid already): the
 * managers must hear of it, and nobody else is left to tell them. The workflow id comes from the
 * payment (see the contract), so a repeated webhook or Stars update starts nothing new; the notice
 * is keyed by that id in the message log too.
 */
export async function paymentAfterCloseWorkflow(input: PaymentAfterCloseInput): Promise<void> {
  await payments.notifyManagersAboutPaymentAfterClose({ orderId: input.orderId, reason: input.reason, outboundId: workflowInfo().workflowId });
}
