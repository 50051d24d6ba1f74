import type { PaymentOfferTexts } from '../domain/payments/payment-offer';
import { z } from 'zod';
import type { BookingTexts } from '../domain/booking/booking-dialog';
import type { Condition } from '../domain/conditions';
import type { ContactFormTexts } from '../domain/contact-form';
import type { FollowUpPlan } from '../domain/follow-ups';
import type { PostSalePlan } from '../domain/payments/post-sale';
import type { TextIntent } from '../domain/intents';
import type { Scenario, ScenarioButton, ScenarioMessage, ScenarioStep, ScenarioTexts, StepAction } from '../domain/scenario';
import type { Survey } from '../domain/survey';

/** Identifiers used in callback data and step names: short, ASCII, no separators. */
const id = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'expected lower-case letters, digits and _ (at most 32)');
const text = z.string().trim().min(1, 'must not be empty');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time HH:MM');

const button = z
  .union([
    z.strictObject({ id, text, goto: id }),
    z.strictObject({ id, text, url: z.url({ protocol: /^https?$/ }) }),
    z.strictObject({ id, text, url_from: z.literal('product_landing') }),
  ])
  .transform((raw): ScenarioButton => ('url_from' in raw ? { id: raw.id, text: raw.text, urlFrom: raw.url_from } : raw));

const buttons = z.array(z.array(button).min(1).max(8)).max(10).optional();

const message = z.union([
  z.strictObject({ text, buttons }),
  z.strictObject({ document: text, caption: text.optional(), buttons }),
  z.strictObject({ media_from: z.literal('product') }).transform((): ScenarioMessage => ({ mediaFrom: 'product' })),
]) satisfies z.ZodType<ScenarioMessage, unknown>;

const condition = z.strictObject({
  segment: z.array(z.enum(['cold', 'warm', 'hot', 'unknown'])).min(1).optional(),
  score: z.strictObject({ min: z.number().optional(), max: z.number().optional() }).optional(),
  answers: z.record(id, z.array(id).min(1)).optional(),
  stage: z.array(id).min(1).optional(),
  time: z.strictObject({ before: hhmm.optional(), after: hhmm.optional(), weekdays: z.boolean().optional() }).optional(),
  product: z.enum(['matched', 'none']).optional(),
}) satisfies z.ZodType<Condition, unknown>;

/** Actions are written as a bare name (`show_result`) or a one-key map with parameters. */
const action = z.union([
  z.literal('start_survey').transform((): StepAction => ({ kind: 'startSurvey' })),
  z.literal('book').transform((): StepAction => ({ kind: 'book' })),
  z.literal('contact_form').transform((): StepAction => ({ kind: 'contactForm' })),
  z.literal('match_products').transform((): StepAction => ({ kind: 'matchProducts' })),
  z.literal('answer_schedule').transform((): StepAction => ({ kind: 'answerSchedule' })),
  z.literal('opt_out').transform((): StepAction => ({ kind: 'optOut' })),
  z.literal('offer_payment').transform((): StepAction => ({ kind: 'offerPayment' })),
  z.literal('opt_in').transform((): StepAction => ({ kind: 'optIn' })),
  z.literal('send_materials').transform((): StepAction => ({ kind: 'sendMaterials', limit: 3 })),
  z
    .strictObject({ send_materials: z.strictObject({ limit: z.number().int().min(1).max(5) }) })
    .transform((raw): StepAction => ({ kind: 'sendMaterials', limit: raw.send_materials.limit })),
], { error: 'unknown action; expected start_survey, book, contact_form, match_products, send_materials, answer_schedule, opt_out, opt_in or offer_payment' });

const BOOKING_TEXT_KEYS = [
  'choose_date', 'choose_slot', 'other_time_button', 'back_button', 'type_prompt', 'ask_phone', 'share_phone_button',
  'bad_phone', 'foreign_contact', 'ask_name', 'bad_name', 'confirm', 'confirm_button', 'change_button', 'booked',
  'already', 'reschedule_button', 'cancel_button', 'keep_button', 'kept', 'reminder', 'reminder_confirm_button',
  'reminder_cancel_button', 'reminder_confirmed', 'cancelled', 'rescheduled', 'slot_gone', 'no_booking',
  'managers_booked', 'managers_rescheduled', 'managers_cancelled',
] as const;

/** The booking dialog's texts: every key required, snake_case in the file, camelCase inside. */
const booking = z
  .strictObject(Object.fromEntries(BOOKING_TEXT_KEYS.map((key) => [key, text])) as Record<(typeof BOOKING_TEXT_KEYS)[number], typeof text>)
  .transform(
    (raw) =>
      Object.fromEntries(Object.entries(raw).map(([key, value]) => [key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), value])) as unknown as BookingTexts,
  );

const step = z
  .strictObject({
    messages: z.array(message).default([]),
    event: id.optional(),
    notify_managers: z.boolean().optional(),
    keeps_place: z.boolean().optional(),
    then: z.strictObject({ after_seconds: z.number().positive().max(86_400), goto: id }).optional(),
    actions: z.array(action).optional(),
    route: z.array(z.strictObject({ when: condition.optional(), goto: id })).min(1).optional(),
    final: z.boolean().optional(),
  })
  .transform(
    (raw): ScenarioStep => ({
      messages: raw.messages,
      event: raw.event,
      notifyManagers: raw.notify_managers,
      keepsPlace: raw.keeps_place,
      then: raw.then && { afterSeconds: raw.then.after_seconds, goto: raw.then.goto },
      actions: raw.actions,
      route: raw.route,
      final: raw.final,
    }),
  );

const survey = z
  .strictObject({
    question_header: text,
    questions: z
      .array(
        z.strictObject({
          id,
          text,
          options: z.array(z.strictObject({ code: id, text, points: z.number().int().min(0).max(100), reply: text.optional() })).min(2).max(8),
        }),
      )
      .min(1)
      .max(20),
    segments: z.strictObject({ cold_max: z.number().int(), warm_max: z.number().int() }),
    budget_question: id.optional(),
    urgency_question: id.optional(),
    then: id,
  })
  .transform(
    (raw): Survey => ({
      questionHeader: raw.question_header,
      questions: raw.questions,
      segments: { coldMax: raw.segments.cold_max, warmMax: raw.segments.warm_max },
      budgetQuestion: raw.budget_question,
      urgencyQuestion: raw.urgency_question,
      then: raw.then,
    }),
  );

const payment = z
  .strictObject({
    offer: text,
    full_button: text,
    instalment_button: text,
    stars_button: text,
    promo_button: text,
    unavailable: text,
    promo: text,
  })
  .transform(
    (raw): PaymentOfferTexts => ({
      offer: raw.offer,
      fullButton: raw.full_button,
      instalmentButton: raw.instalment_button,
      starsButton: raw.stars_button,
      promoButton: raw.promo_button,
      unavailable: raw.unavailable,
      promo: raw.promo,
    }),
  );

const contactForm = z
  .strictObject({
    ask_phone: text,
    share_phone_button: text,
    bad_phone: text,
    foreign_contact: text,
    ask_name: text,
    bad_name: text,
    ask_email: text,
    skip_email_button: text,
    bad_email: text,
    done: text,
  })
  .transform(
    (raw): ContactFormTexts => ({
      askPhone: raw.ask_phone,
      sharePhoneButton: raw.share_phone_button,
      badPhone: raw.bad_phone,
      foreignContact: raw.foreign_contact,
      askName: raw.ask_name,
      badName: raw.bad_name,
      askEmail: raw.ask_email,
      skipEmailButton: raw.skip_email_button,
      badEmail: raw.bad_email,
      done: raw.done,
    }),
  );

const followUps = z
  .strictObject({
    quiet_hours: z.strictObject({ from: hhmm, to: hhmm }).nullable().default({ from: '22:00', to: '09:00' }),
    catch_up_spread_minutes: z.number().int().min(0).max(24 * 60).default(60),
    late_after_minutes: z.number().positive().max(24 * 60).default(5),
    sequence: z
      .array(z.strictObject({ id, after_hours: z.number().positive().max(24 * 90), text, buttons, once_ever: z.boolean().optional(), document: z.string().min(1).optional() }))
      .min(1),
  })
  .transform(
    (raw): FollowUpPlan => ({
      quietHours: raw.quiet_hours,
      catchUpSpreadMinutes: raw.catch_up_spread_minutes,
      lateAfterMinutes: raw.late_after_minutes,
      sequence: raw.sequence.map((s) => ({ id: s.id, afterHours: s.after_hours, text: s.text, buttons: s.buttons, onceEver: s.once_ever, ...(s.document && { document: s.document }) })),
    }),
  );

const postSale = z
  .strictObject({
    quiet_hours: z.strictObject({ from: hhmm, to: hhmm }).nullable().default({ from: '22:00', to: '09:00' }),
    sequence: z.array(z.strictObject({ id, after_hours: z.number().positive().max(24 * 90), text })).min(1),
  })
  .transform(
    (raw): PostSalePlan => ({
      quietHours: raw.quiet_hours,
      sequence: raw.sequence.map((s) => ({ id: s.id, afterHours: s.after_hours, text: s.text })),
    }),
  );

const intent = z.strictObject({ intent: id, stems: z.array(text).min(1), goto: id }) satisfies z.ZodType<TextIntent, unknown>;

const texts = z
  .strictObject({
    stale_button: text,
    unsupported_message: text,
    unknown_command: text,
    reset_confirm: text,
    reset_confirm_button: text,
    reset_cancel_button: text,
    reset_done: text,
    reset_cancelled: text,
    managers_notice: text,
    materials_header: text,
    materials_empty: text,
    schedule_next: text,
    schedule_seats_left: text,
    schedule_unknown: text,
    segment_names: z.strictObject({ cold: text, warm: text, hot: text }),
  })
  .transform(
    (raw): ScenarioTexts => ({
      staleButton: raw.stale_button,
      unsupportedMessage: raw.unsupported_message,
      unknownCommand: raw.unknown_command,
      resetConfirm: raw.reset_confirm,
      resetConfirmButton: raw.reset_confirm_button,
      resetCancelButton: raw.reset_cancel_button,
      resetDone: raw.reset_done,
      resetCancelled: raw.reset_cancelled,
      managersNotice: raw.managers_notice,
      materialsHeader: raw.materials_header,
      materialsEmpty: raw.materials_empty,
      scheduleNext: raw.schedule_next,
      scheduleSeatsLeft: raw.schedule_seats_left,
      scheduleUnknown: raw.schedule_unknown,
      segmentNames: raw.segment_names,
    }),
  );

/** The shape of a scenario file (YAML, snake_case keys for people who edit it). */
export const scenarioFileSchema = z
  .strictObject({
    id,
    version: z.number().int().positive(),
    language: z.enum(['ru', 'en']),
    start: id,
    fallback: id,
    history_mode: z.enum(['preserve', 'replace']).default('preserve'),
    commands: z.record(id, id).default({}),
    command_menu: z.record(id, z.string().trim().min(1).max(256)).optional(),
    events: z.record(id, id).default({}),
    escalation_step: id.default('manager'),
    offers_step: id.default('offers'),
    intents: z.array(intent).default([]),
    survey: survey.optional(),
    booking: booking.optional(),
    follow_ups: followUps.optional(),
    post_sale: postSale.optional(),
    contact_form: contactForm.optional(),
    payment: payment.optional(),
    placeholder_defaults: z.record(z.string(), z.string()).default({}),
    texts,
    steps: z.record(id, step),
  })
  .transform(
    (raw): Scenario => ({
      id: raw.id,
      version: raw.version,
      language: raw.language,
      start: raw.start,
      fallback: raw.fallback,
      historyMode: raw.history_mode,
      commands: raw.commands,
      ...(raw.command_menu && { commandMenu: raw.command_menu }),
      events: raw.events,
      escalationStep: raw.escalation_step,
      offersStep: raw.offers_step,
      intents: raw.intents,
      survey: raw.survey,
      booking: raw.booking,
      followUps: raw.follow_ups,
      ...(raw.post_sale && { postSale: raw.post_sale }),
      contactForm: raw.contact_form,
      payment: raw.payment,
      placeholderDefaults: raw.placeholder_defaults,
      texts: raw.texts,
      steps: raw.steps,
    }),
  );

