import { encodeButton } from '../callback-data';
import type { MatchSummary, OutboundContent } from '../conversation';
import { firstPaymentAmount, formatAmount, type PaymentMethod, type PaymentType } from './payments';

/** Callback data scope of the payment offer's buttons: `pay:full`, `pay:inst`, `pay:stars`, `pay:promo`. */
export const PAY_SCOPE = 'pay';

/** The scenario's texts for the payment offer (`payment:` in the scenario file). */
export interface PaymentOfferTexts {
  /** `{product}` and `{price}` are filled in. */
  offer: string;
  fullButton: string;
  /** `{amount}`: the first payment of three. */
  instalmentButton: string;
  starsButton: string;
  promoButton: string;
  /** The option cannot be paid this way (no link or Stars price for the product): a manager helps. */
  unavailable: string;
  /** The lead asked for a discount or has a promo code: a manager sends a personal link. */
  promo: string;
}

export type PaymentChoice = { kind: 'pay'; type: Exclude<PaymentType, 'manual'>; method: PaymentMethod } | { kind: 'promo' };

/** The offer for the matched product: full price, an instalment, Stars, or a discount through a manager. */
export function paymentOffer(texts: PaymentOfferTexts, product: MatchSummary): OutboundContent {
  const fill = (template: string, values: Record<string, string>) => template.replace(/\{(\w+)\}/g, (m, key: string) => values[key] ?? m);
  const price = formatAmount(product.price, product.currency);
  const instalment = formatAmount(firstPaymentAmount(product.price, 'instalment', product.currency), product.currency);
  return {
    type: 'text',
    text: fill(texts.offer, { product: product.name, price }),
    buttons: [
      [{ text: fill(texts.fullButton, { price }), data: encodeButton(PAY_SCOPE, 'full') }],
      [{ text: fill(texts.instalmentButton, { amount: instalment }), data: encodeButton(PAY_SCOPE, 'inst') }],
      [{ text: texts.starsButton, data: encodeButton(PAY_SCOPE, 'stars') }],
      [{ text: texts.promoButton, data: encodeButton(PAY_SCOPE, 'promo') }],
    ],
  };
}

/** What a press on an offer button asks for; null for a button this offer never showed. */
export function paymentChoice(buttonId: string): PaymentChoice | null {
  switch (buttonId) {
    case 'full':
      return { kind: 'pay', type: 'full', method: 'link' };
    case 'inst':
      return { kind: 'pay', type: 'instalment', method: 'link' };
    case 'stars':
      return { kind: 'pay', type: 'full', method: 'stars' };
    case 'promo':
      return { kind: 'promo' };
    default:
      return null;
  }
}
