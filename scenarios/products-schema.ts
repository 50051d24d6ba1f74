import { z } from 'zod';
import type { ProductDefinition, ProductSeed } from '../domain/product-matching';

/** Codes of products, survey questions and answers: short, ASCII, like scenario ids. */
const code = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'expected lower-case letters, digits and _ (at most 64)');
const text = z.string().trim().min(1, 'must not be empty');
const webUrl = z.url({ protocol: /^https?$/ });
const level = z.number().int().min(0).max(3);

/** Whole cents, and below the 10^10 that numeric(12,2) holds. */
const price = z
  .number()
  .positive()
  .lt(1e10)
  .refine((value) => Math.abs(value * 100 - Math.round(value * 100)) < 1e-6, 'at most 2 decimals');

const criterion = z
  .strictObject({
    question: code,
    answer: code,
    weight: z.number().refine((value) => value !== 0, 'must not be 0 (negative: an anti-signal)'),
    reason: text.optional(),
  })
  .transform(
    (raw): ProductDefinition['criteria'][number] => ({
      question: raw.question,
      answer: raw.answer,
      weight: raw.weight,
      ...(raw.reason !== undefined && { reason: raw.reason }),
    }),
  );

const product = z
  .strictObject({
    code,
    name: text,
    description: text,
    price,
    currency: z.string().regex(/^[A-Z]{3,5}$/, 'expected 3-5 capital letters, e.g. USD'),
    value_propositions: z.array(text).min(1),
    target_segments: z.array(z.enum(['cold', 'warm', 'hot'])).min(1),
    // Payment pages take money: https only.
    payment_links: z.strictObject({
      full: z.url({ protocol: /^https$/ }).optional(),
      instalment: z.url({ protocol: /^https$/ }).optional(),
    }),
    stars_price: z.number().int().positive().max(100_000).optional(),
    landing_url: webUrl.optional(),
    media_url: webUrl.optional(),
    budget_level: level,
    urgency_level: level,
    active: z.boolean().default(true),
    criteria: z.array(criterion).min(1),
  })
  .transform(
    (raw): ProductDefinition => ({
      code: raw.code,
      name: raw.name,
      description: raw.description,
      price: raw.price,
      currency: raw.currency,
      valuePropositions: raw.value_propositions,
      targetSegments: raw.target_segments,
      paymentLinks: {
        ...(raw.payment_links.full !== undefined && { full: raw.payment_links.full }),
        ...(raw.payment_links.instalment !== undefined && { instalment: raw.payment_links.instalment }),
      },
      ...(raw.stars_price !== undefined && { starsPrice: raw.stars_price }),
      ...(raw.landing_url !== undefined && { landingUrl: raw.landing_url }),
      ...(raw.media_url !== undefined && { mediaUrl: raw.media_url }),
      active: raw.active,
      budgetLevel: raw.budget_level,
      urgencyLevel: raw.urgency_level,
      criteria: raw.criteria,
    }),
  );

/** The shape of the products file (YAML, snake_case keys for people who edit it). */
export const productsFileSchema = z.strictObject({
  products: z.array(product).min(1),
}) satisfies z.ZodType<ProductSeed>;
