/**
 * The `domain/` modules the workflows use, loaded once per worker and shared by every workflow in
 * it (the SDK's `preloadModules`), instead of evaluated again for each cached conversation. They are
 * pure functions and constants (no Temporal API, no state of one workflow), which is what the SDK
 * asks of a shared module; it freezes what they export. Measured (docs/testing.md#scale-and-bursts-of-new-leads): a cached
 * conversation's heap 236 → 168 KB. A workflow importing a domain module not listed here still works
 * (it gets its own copy); test/worker/shared-workflow-modules.test.ts keeps the list complete.
 */
export const SHARED_WORKFLOW_MODULES = [
  'domain/booking/booking',
  'domain/booking/booking-dialog',
  'domain/callback-data',
  'domain/contact-form',
  'domain/conversation',
  'domain/follow-ups',
  'domain/handoff',
  'domain/inbound-event',
  'domain/knowledge',
  'domain/language',
  'domain/lead-desk',
  'domain/lead-media',
  'domain/lead-priority',
  'domain/llm-policy',
  'domain/llm-reply',
  'domain/payments/payment-offer',
  'domain/payments/payment-texts',
  'domain/payments/payments',
  'domain/payments/post-sale',
  'domain/product-matching',
  'domain/scenario',
  'domain/staff/staff-texts',
  'domain/time-zone',
] as const;

/** The bundler options every workflow bundle of the system is built with (the worker's and the tests'). */
export function workflowBundlerOptions(): { preloadModules: string[] } {
  return { preloadModules: SHARED_WORKFLOW_MODULES.map((module) => require.resolve(`../${module}`)) };
}
