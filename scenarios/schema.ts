import { z } from 'zod';
import type { Scenario, ScenarioButton, ScenarioMessage, ScenarioStep, ScenarioTexts } from '../domain/scenario';

/** Identifiers used in callback data and step names: short, ASCII, no separators. */
const id = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'expected lower-case letters, digits and _ (at most 32)');
const text = z.string().trim().min(1, 'must not be empty');

const button = z.union([
  z.strictObject({ id, text, goto: id }),
  z.strictObject({ id, text, url: z.url({ protocol: /^https?$/ }) }),
]) satisfies z.ZodType<ScenarioButton>;

const buttons = z.array(z.array(button).min(1).max(8)).max(10).optional();

const message = z.union([
  z.strictObject({ text, buttons }),
  z.strictObject({ document: text, caption: text.optional(), buttons }),
]) satisfies z.ZodType<ScenarioMessage>;

const step = z
  .strictObject({
    messages: z.array(message).min(1),
    event: id.optional(),
    notify_managers: z.boolean().optional(),
    keeps_place: z.boolean().optional(),
    then: z.strictObject({ after_seconds: z.number().positive().max(86_400), goto: id }).optional(),
  })
  .transform(
    (raw): ScenarioStep => ({
      messages: raw.messages,
      event: raw.event,
      notifyManagers: raw.notify_managers,
      keepsPlace: raw.keeps_place,
      then: raw.then && { afterSeconds: raw.then.after_seconds, goto: raw.then.goto },
    }),
  );

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
      placeholderDefaults: raw.placeholder_defaults,
      texts: raw.texts,
      steps: raw.steps,
    }),
  );
