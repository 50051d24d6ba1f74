import type { PaymentOfferTexts } from './payments/payment-offer';
import type { BookingTexts } from './booking/booking-dialog';
import type { Condition } from './conditions';
import type { ContactFormTexts } from './contact-form';
import type { FollowUpPlan } from './follow-ups';
import type { PostSalePlan } from './payments/post-sale';
import type { TextIntent } from './intents';
import type { Survey } from './survey';

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
  /** Commands the lead may type, each leading to a step (e.g. help → help, stop → stop). */
  commands: Record<string, string>;
  /** The menu Telegram shows leads of this language (command → description), in order; see bot/command-menus.ts. */
  commandMenu?: Record<string, string>;
  /** Where the model's low-confidence or unsafe turns and requests for a human lead (default `manager`). */
  escalationStep: string;
  /** The keeps-place step whose buttons go under the model's replies (default `offers`). */
  offersStep: string;
  /** Domain events other workflows send (e.g. a manager closed the dialog), each leading to a step. */
  events: Record<string, string>;
  /** Free text is matched against these (keyword stems) before the fallback answers. */
  intents: TextIntent[];
  survey?: Survey;
  /** Messages after the lead's silence (24h, 72h, a later re-engagement), quiet hours and catch-up. */
  followUps?: FollowUpPlan;
  /** Messages after a purchase (day 1, 3, 7...), instead of the warm-up follow-ups. */
  postSale?: PostSalePlan;
  /** Texts of the contact form (the `contact_form` action). */
  contactForm?: ContactFormTexts;
  /** The payment offer's texts; without them `offer_payment` leaves payment to the managers. */
  payment?: PaymentOfferTexts;
  /** Texts of the consultation booking dialog (the `book` action). */
  booking?: BookingTexts;
  /** `preserve`: every step is a new message; `replace`: a button press edits the message it came from. */
  historyMode: 'preserve' | 'replace';
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
  materialsHeader: string;
  materialsEmpty: string;
  scheduleNext: string;
  scheduleSeatsLeft: string;
  scheduleUnknown: string;
  segmentNames: Record<'cold' | 'warm' | 'hot', string>;
}

/** Work a step does besides sending its messages, in the order listed. */
export type StepAction =
  | { kind: 'startSurvey' }
  | { kind: 'book' }
  | { kind: 'contactForm' }
  | { kind: 'matchProducts' }
  | { kind: 'sendMaterials'; limit: number }
  | { kind: 'answerSchedule' }
  | { kind: 'optOut' }
  | { kind: 'optIn' }
  | { kind: 'offerPayment' };

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
  actions?: StepAction[];
  /** After the messages and actions: the first route whose condition holds is taken at once. */
  route?: { when?: Condition; goto: string }[];
  /** An end of a path on purpose: the lead goes on by typing, a command or a global button. */
  final?: boolean;
}

export type ScenarioMessage =
  | { text: string; buttons?: ScenarioButton[][] }
  | { document: string; caption?: string; buttons?: ScenarioButton[][] }
  /** The matched product's photo or document, as the product editor stored it; nothing when it has none. */
  | { mediaFrom: 'product'; buttons?: never; caption?: never };

export type ScenarioButton =
  | { id: string; text: string; goto: string }
  | { id: string; text: string; url: string }
  /** A URL filled from the lead's context, e.g. `{landing_url}` of the matched product. */
  | { id: string; text: string; urlFrom: 'product_landing' };

/**
 * Fills what older snapshots lack. Conversations pin the scenario they started with, so a
 * snapshot taken before a field existed must still run on today's code.
 */
export function withScenarioDefaults(scenario: Scenario): Scenario {
  return {
    ...scenario,
    commands: scenario.commands ?? {},
    events: scenario.events ?? {},
    escalationStep: scenario.escalationStep ?? 'manager',
    offersStep: scenario.offersStep ?? 'offers',
    intents: scenario.intents ?? [],
    historyMode: scenario.historyMode ?? 'preserve',
  };
}
