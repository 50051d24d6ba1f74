import { ParentClosePolicy, proxyActivities, startChild } from '@temporalio/workflow';
import type { OrderRequest, PaymentActivities } from '../../activities/payments';
import { paymentWorkflowId, paymentWorkflowType, type PaymentInput } from './contract';

const orders = proxyActivities<Pick<PaymentActivities, 'createOrder'>>({
  startToCloseTimeout: '30s',
  // A request that cannot become an order (unknown product, no link) fails at once: BadOrderRequest.
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10, nonRetryableErrorTypes: ['BadOrderRequest'] },
});

/**
 * For another workflow (the lead's conversation): creates the order and starts its payment
 * workflow as a child that outlives the caller (ABANDON: the lead's workflow continues-as-new and
 * may end; the order keeps its reminders and expiry). Returns the order's input; the caller hears
 * about the payment later through its domainEventSignal (`payment_paid`, id `payment-<order>-paid`).
 */
export async function startPayment(request: OrderRequest): Promise<PaymentInput> {
  const input = await orders.createOrder(request);
  await startChild(paymentWorkflowType, {
    workflowId: paymentWorkflowId(input.orderId),
    args: [input],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
  return input;
}
