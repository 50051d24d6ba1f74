import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PaymentActivities } from '../../activities/payments';
import type { UnmatchedPaymentInput } from './contract';

const payments = proxyActivities<Pick<PaymentActivities, 'notifyManagersAboutUnmatchedPayment'>>({
  startToCloseTimeout: '30s',
  // Nobody else will tell the managers about this money: an outage delays the notice, never loses it.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: ['BadOrderRequest'] },
});

/** Stars money for no order we know: the managers hear of it, with what a refund needs (see the contract). */
export async function unmatchedPaymentWorkflow(input: UnmatchedPaymentInput): Promise<void> {
  await payments.notifyManagersAboutUnmatchedPayment({ flagId: input.flagId, outboundId: workflowInfo().workflowId });
}
