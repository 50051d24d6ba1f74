import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { findInstalment } from '../db/instalments';
import { findOrder } from '../db/orders';
import { PAYMENT_SIGNATURE_HEADER, PAYMENT_WEBHOOK_PATH, paymentSignature } from '../api/payment-webhook-routes';

/** What paying a link in the sandbox answered: the payment webhook's own status and body. */
export interface LinkPaymentResult {
  status: number;
  result: unknown;
}

export type PayLink = (url: string) => Promise<LinkPaymentResult>;

/** The order (and instalment) a payment link is for: the bot adds `order_id=<n>` (and `instalment=<n>`). */
export function linkPaymentTarget(url: string): { orderId: number; instalment?: number } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const orderId = Number(parsed.searchParams.get('order_id'));
  if (!Number.isSafeInteger(orderId) || orderId <= 0) return null;
  const instalment = Number(parsed.searchParams.get('instalment'));
  return { orderId, ...(instalment >= 1 && instalment <= 3 ? { instalment } : {}) };
}

/**
 * The sandbox's payment provider: pays a test payment link by posting the notice a provider would,
 * signed with the payment webhook's secret, to the api's own `POST /payments/webhook`. Everything
 * after it (the order's workflow, access, analytics) is the real path.
 */
export function payLinksThroughWebhook(app: FastifyInstance, deps: { db: Knex; secret: string }): PayLink {
  return async (url) => {
    const target = linkPaymentTarget(url);
    if (!target) return { status: 400, result: { error: 'not a payment link of an order (no order_id)' } };
    const order = await findOrder(deps.db, target.orderId);
    if (!order) return { status: 404, result: { error: `no order ${target.orderId}` } };
    const instalment = target.instalment ? await findInstalment(deps.db, order.id, target.instalment) : undefined;
    const firstInstalment = !target.instalment && order.type === 'instalment' ? await findInstalment(deps.db, order.id, 1) : undefined;
    const due = instalment ?? firstInstalment;
    const body = JSON.stringify({
      order_id: order.id,
      status: 'paid',
      amount: due ? due.amount : order.amount,
      currency: due ? due.currency : order.currency,
      payment_id: `sandbox-${randomUUID()}`,
      ...(target.instalment ? { instalment: target.instalment } : {}),
    });
    const response = await app.inject({
      method: 'POST',
      url: PAYMENT_WEBHOOK_PATH,
      headers: { 'content-type': 'application/json', [PAYMENT_SIGNATURE_HEADER]: paymentSignature(deps.secret, body) },
      payload: body,
    });
    return { status: response.statusCode, result: response.json() };
  };
}
