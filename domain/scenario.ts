/**
 * The scenario as data: what the bot says at each step and where each button leads.
 * Plain types only; `scenarios/schema.ts` validates files against them.
 */
export interface Scenario {
  id: string;
  version: number;
  language: 'ru' | 'en';
  /** The step a new (or reset) conversation starts at. */
  start: string;
  /** The step shown for free text and anything the current step does not expect. */
  fallback: string;
  /** Values used when a placeholder has no value for this lead, e.g. first_name → "друг". */
  placeholderDefaults: Record<string, string>;
  texts: ScenarioTexts;
  steps: Record<string, ScenarioStep>;
}

export interface ScenarioTexts {
  staleButton: string;
  unsupportedMessage: string;
  unknownCommand: string;
  resetConfirm: string;
  resetConfirmButton: string;
  resetCancelButton: string;
  resetDone: string;
  resetCancelled: string;
  managersNotice: string;
}

export interface ScenarioStep {
  messages: ScenarioMessage[];
  /** Entering the step is recorded as this lead event (e.g. bonus_taken). */
  event?: string;
  /** Managers are told that this lead wants a person. */
  notifyManagers?: boolean;
  /** Shown without moving the lead's place in the journey; its buttons never go stale. */
  keepsPlace?: boolean;
  /** A durable pause, then the next step (e.g. 3 seconds after the bonus, the opening question). */
  then?: { afterSeconds: number; goto: string };
}

export type ScenarioMessage =
  | { text: string; buttons?: ScenarioButton[][] }
  | { document: string; caption?: string; buttons?: ScenarioButton[][] };

export type ScenarioButton = { id: string; text: string; goto: string } | { id: string; text: string; url: string };
