import { decodeButton, encodeButton, SYSTEM_SCOPE } from './callback-data';
import { holds, localClock, type ConditionFacts } from './conditions';
import type { TextEntity } from './broadcasts/campaign';
import type { InboundEvent } from './inbound-event';
import { detectIntent } from './intents';
import type { Segment } from './product-matching';
import type { FollowUpStep } from './follow-ups';
import type { Scenario, ScenarioButton, ScenarioMessage, StepAction } from './scenario';
import { findOption, scoreSurvey, type SurveyOutcome } from './survey';
import { renderTemplate } from './template';
import { TELEGRAM_FILE_PREFIX } from './content';

/** Callback scope of survey answers: `svy:<question>.<option>`. */
export const SURVEY_SCOPE = 'svy';
/** Callback scope of follow-up buttons: `fu:<follow-up>.<button>`; they stay live like the fallback's. */
export const FOLLOW_UP_SCOPE = 'fu';

/** A button ready for Telegram: callback data already encoded, or a URL. */
export type OutboundButton = { text: string; data: string } | { text: string; url: string };

/** How a message changes the lead's reply keyboard: ask for their phone number, or take the keyboard away. */
export interface ReplyKeyboardChange {
  /** Text of a reply-keyboard button that shares the lead's own phone number. */
  contactRequest?: string;
  removeKeyboard?: boolean;
}

/** A message ready to send, placeholders filled. `entities`: a broadcast's formatting, as the editor wrote it. */
export type OutboundContent =
  | ({ type: 'text'; text: string; entities?: TextEntity[]; buttons?: OutboundButton[][] } & ReplyKeyboardChange)
  | ({ type: 'document'; document: string; caption?: string; captionEntities?: TextEntity[]; buttons?: OutboundButton[][] } & ReplyKeyboardChange)
  /** Broadcast media: a Telegram file_id or an https URL. */
  | ({ type: 'photo' | 'video' | 'audio' | 'voice'; file: string; caption?: string; captionEntities?: TextEntity[]; buttons?: OutboundButton[][] } & ReplyKeyboardChange);

/** The best product of the lead's last match, as the result card shows it. */
export interface MatchSummary {
  code: string;
  name: string;
  percent: number;
  reasons: string[];
  price: number;
  currency: string;
  landingUrl?: string;
  /** What the programme gives, as the product editor wrote it (absent in matches made before it was kept). */
  valuePropositions?: string[];
  /** The product's photo or document (a Telegram file or a web address); absent when it has none. */
  media?: ProductMedia;
}

export type ProductMedia = { kind: 'photo' | 'document'; file: string };

/**
 * What the conversation should do, in order. The workflow carries these out; this module decides
 * them without I/O, clocks or randomness, so it is tested without Temporal. Messages are rendered
 * when they are sent (`render`), so they see what earlier effects changed (a segment, a match).
 */
export type Effect =
  | { kind: 'send'; stepId: string; message: ScenarioMessage }
  | { kind: 'say'; text: string }
  | { kind: 'sendContent'; content: OutboundContent }
  | { kind: 'moveTo'; stepId: string }
  | { kind: 'waitThenEnter'; seconds: number; stepId: string }
  | { kind: 'route'; stepId: string }
  | { kind: 'action'; action: StepAction }
  | { kind: 'recordEvent'; type: string; payload?: Record<string, unknown> }
  | { kind: 'notifyManagers'; reason: string }
  | { kind: 'surveyProgress'; index: number | null; answers: Record<string, string> }
  | { kind: 'surveyCompleted'; outcome: SurveyOutcome }
  | { kind: 'llmTurn'; text: string }
  | { kind: 'askResetConfirmation' }
  | { kind: 'resetConversation' }
  | { kind: 'cancelReset' };

/** The part of the conversation's state the rules read. */
export interface ConversationView {
  step: string;
  resetPending: boolean;
  firstName?: string;
  segment: Segment | null;
  score: number | null;
  answers: Record<string, string>;
  /** Index of the survey question awaiting an answer; null when no survey runs. */
  surveyIndex: number | null;
  /** null: not matched yet; false: matched, nothing above the threshold. */
  match: MatchSummary | false | null;
  stage: string;
  /** The workflow's deterministic now, and the lead's zone, for time conditions. */
  nowMs: number;
  timeZone: string;
}

/** Decides what an inbound event leads to. Duplicate updates are filtered before this is called. */
export function reactTo(scenario: Scenario, view: ConversationView, event: InboundEvent): Effect[] {
  switch (event.kind) {
    case 'command':
      return reactToCommand(scenario, view, event.command);
    case 'button':
      return reactToButton(scenario, view, event.data);
    case 'text': {
      const intent = detectIntent(scenario.intents, event.text);
      if (intent) return [{ kind: 'recordEvent', type: 'intent_detected', payload: { intent: intent.intent } }, ...enterStep(scenario, intent.goto)];
      // Keyword stems first, the model second: the workflow falls back to the scenario's answer if it fails.
      return [{ kind: 'llmTurn', text: event.text }];
    }
    // A voice note or media reaches here without words (no transcript, no caption); the workflow turns words into text first.
    case 'other':
    case 'voice':
    case 'media':
      return [{ kind: 'say', text: scenario.texts.unsupportedMessage }, ...enterStep(scenario, scenario.fallback)];
  }
}

/** The buttons under a model's reply for its next action, taken from the scenario's offers step. */
export function offerButtons(scenario: Scenario, nextAction: string): OutboundButton[][] | undefined {
  const wanted: Record<string, string[]> = {
    offer_consult: ['consult'],
    offer_payment: ['want', 'consult'],
    show_materials: ['consult'],
    ask: [],
    answer: [],
  };
  const ids = wanted[nextAction] ?? [];
  const step = scenario.steps[scenario.offersStep];
  const buttons = (step?.messages ?? []).flatMap((m) => (m.buttons ?? []).flat()).filter((b) => ids.includes(b.id) && 'goto' in b);
  return buttons.length ? buttons.map((b) => [{ text: b.text, data: encodeButton(scenario.offersStep, b.id) }]) : undefined;
}

/** A domain event (from another workflow) leads to its step; one the scenario does not know is only recorded. */
export function reactToDomainEvent(scenario: Scenario, name: string): Effect[] {
  const target = scenario.events[name];
  if (!target) return [{ kind: 'recordEvent', type: 'domain_event_ignored', payload: { name } }];
  return [{ kind: 'recordEvent', type: 'domain_event', payload: { name } }, ...enterStep(scenario, target)];
}

/**
 * The effects of arriving at a step, in this order: the lead's place, the event, the actions that
 * load or change something (a match must exist before a card shows it), the messages, the actions
 * that send (materials, schedule, survey, booking), the managers' notice, then the route or timer.
 */
export function enterStep(scenario: Scenario, stepId: string): Effect[] {
  const step = scenario.steps[stepId];
  if (!step) throw new Error(`scenario ${scenario.id} v${scenario.version}: unknown step "${stepId}"`);
  const effects: Effect[] = [];
  if (!step.keepsPlace) effects.push({ kind: 'moveTo', stepId });
  if (step.event) effects.push({ kind: 'recordEvent', type: step.event, payload: { step: stepId } });
  // Actions that load data or change the lead's state come before the messages that talk about them.
  const [dataActions, laterActions] = partition(step.actions ?? [], (a) => a.kind === 'matchProducts' || a.kind === 'optOut' || a.kind === 'optIn');
  for (const action of dataActions) effects.push({ kind: 'action', action });
  for (const message of step.messages) effects.push({ kind: 'send', stepId, message });
  for (const action of laterActions) effects.push({ kind: 'action', action });
  if (step.notifyManagers) effects.push({ kind: 'notifyManagers', reason: stepId });
  if (step.route) effects.push({ kind: 'route', stepId });
  if (step.then) effects.push({ kind: 'waitThenEnter', seconds: step.then.afterSeconds, stepId: step.then.goto });
  return effects;
}

/** The target of a step's route: the first entry whose condition holds now (the last one catches all). */
export function chooseRoute(scenario: Scenario, stepId: string, view: ConversationView): string | undefined {
  return scenario.steps[stepId]?.route?.find((entry) => holds(entry.when, factsOf(view)))?.goto;
}

/** The step's messages again, without its event, actions or timer: for a lead who pressed an old button. */
export function showStep(scenario: Scenario, stepId: string): Effect[] {
  const step = scenario.steps[stepId];
  if (!step || step.messages.length === 0) return enterStep(scenario, scenario.fallback);
  return step.messages.map((message) => ({ kind: 'send', stepId, message }));
}

/** (Re)starts the survey: earlier answers are discarded. */
export function startSurvey(scenario: Scenario): Effect[] {
  if (!scenario.survey) return enterStep(scenario, scenario.fallback);
  return [{ kind: 'surveyProgress', index: 0, answers: {} }, { kind: 'recordEvent', type: 'survey_started' }, ...askQuestion(scenario, 0)];
}

/** Fills placeholders and encodes buttons of a scenario message for this lead. */
/** A message as the lead gets it; null for a product's media when the matched product has none. */
export function render(scenario: Scenario, stepId: string, message: ScenarioMessage, view: ConversationView): OutboundContent | null {
  if ('mediaFrom' in message) return productMediaContent(view.match || undefined);
  const fill = (text: string) => renderTemplate(text, placeholderValues(scenario, view), scenario.placeholderDefaults);
  const buttons = message.buttons
    ?.map((row) => row.flatMap((button) => renderButton(stepId, button, fill, view)))
    .filter((row) => row.length > 0);
  const keyboard = buttons?.length ? buttons : undefined;
  if ('document' in message) {
    return { type: 'document', document: message.document, caption: message.caption && fill(message.caption), buttons: keyboard };
  }
  return { type: 'text', text: fill(message.text), buttons: keyboard };
}

function productMediaContent(match: MatchSummary | undefined): OutboundContent | null {
  const media = match?.media;
  if (!media) return null;
  // A document goes by its Telegram file id (tg:…) or web address, never as a local scenario file.
  if (media.kind === 'document') return { type: 'document', document: /^https?:\/\//.test(media.file) ? media.file : `${TELEGRAM_FILE_PREFIX}${media.file}`, caption: match.name };
  return { type: 'photo', file: media.file, caption: match.name };
}

export function renderSay(scenario: Scenario, text: string, view: ConversationView): OutboundContent {
  return { type: 'text', text: renderTemplate(text, placeholderValues(scenario, view), scenario.placeholderDefaults) };
}

/** The /reset confirmation with its two buttons. */
export function resetConfirmation(scenario: Scenario, view: ConversationView): OutboundContent {
  return {
    ...renderSay(scenario, scenario.texts.resetConfirm, view),
    buttons: [
      [
        { text: scenario.texts.resetConfirmButton, data: encodeButton(SYSTEM_SCOPE, 'reset_yes') },
        { text: scenario.texts.resetCancelButton, data: encodeButton(SYSTEM_SCOPE, 'reset_no') },
      ],
    ],
  };
}

function reactToCommand(scenario: Scenario, view: ConversationView, command: string): Effect[] {
  if (command === 'start') return enterStep(scenario, scenario.start);
  if (command === 'reset') return [{ kind: 'askResetConfirmation' }];
  const target = scenario.commands[command];
  if (target) return enterStep(scenario, target);
  return [
    { kind: 'recordEvent', type: 'unknown_command', payload: { command } },
    { kind: 'say', text: scenario.texts.unknownCommand },
    ...enterStep(scenario, scenario.fallback),
  ];
}

function reactToButton(scenario: Scenario, view: ConversationView, data: string): Effect[] {
  const press = decodeButton(data);
  if (press?.scope === SYSTEM_SCOPE && view.resetPending) {
    if (press.buttonId === 'reset_yes') return [{ kind: 'resetConversation' }];
    if (press.buttonId === 'reset_no') return [{ kind: 'cancelReset' }];
  }
  if (press?.scope === SURVEY_SCOPE) {
    const answered = answerSurvey(scenario, view, press.buttonId);
    if (answered) return answered;
  }
  const target = press ? (press.scope === FOLLOW_UP_SCOPE ? followUpTarget(scenario, press.buttonId) : liveButtonTarget(scenario, view, press.scope, press.buttonId)) : undefined;
  if (target) return enterStep(scenario, target);
  return [
    { kind: 'recordEvent', type: 'stale_button', payload: { data, step: view.step } },
    { kind: 'say', text: scenario.texts.staleButton },
    ...(view.surveyIndex !== null ? askQuestion(scenario, view.surveyIndex) : showStep(scenario, view.step)),
  ];
}

/** An answer to the question being asked: recorded, confirmed, then the next question or the result. */
function answerSurvey(scenario: Scenario, view: ConversationView, buttonId: string): Effect[] | undefined {
  const survey = scenario.survey;
  if (!survey || view.surveyIndex === null) return undefined;
  const [questionId, code] = buttonId.split('.');
  const question = survey.questions[view.surveyIndex];
  const option = question?.id === questionId ? findOption(survey, questionId, code) : undefined;
  if (!question || !option) return undefined;
  const answers = { ...view.answers, [question.id]: option.code };
  const effects: Effect[] = [{ kind: 'recordEvent', type: 'survey_answer', payload: { question: question.id, option: option.code, points: option.points } }];
  if (option.reply) effects.push({ kind: 'say', text: option.reply });
  const next = view.surveyIndex + 1;
  if (next < survey.questions.length) {
    return [{ kind: 'surveyProgress', index: next, answers }, ...effects, ...askQuestion(scenario, next)];
  }
  const outcome = scoreSurvey(survey, answers);
  return [
    { kind: 'surveyProgress', index: null, answers },
    ...effects,
    { kind: 'surveyCompleted', outcome },
    { kind: 'recordEvent', type: 'survey_completed', payload: { score: outcome.score, segment: outcome.segment, answers } },
    ...enterStep(scenario, survey.then),
  ];
}

function askQuestion(scenario: Scenario, index: number): Effect[] {
  const survey = scenario.survey;
  const question = survey?.questions[index];
  if (!survey || !question) return [];
  const header = renderTemplate(survey.questionHeader, { number: String(index + 1), total: String(survey.questions.length) });
  return [
    {
      kind: 'sendContent',
      content: {
        type: 'text',
        text: `${header}\n\n${question.text}`,
        buttons: question.options.map((option) => [{ text: option.text, data: encodeButton(SURVEY_SCOPE, `${question.id}.${option.code}`) }]),
      },
    },
  ];
}

/** Where a follow-up's button leads (`<follow-up id>.<button id>`). */
function followUpTarget(scenario: Scenario, buttonId: string): string | undefined {
  const [followUpId, id] = buttonId.split('.');
  const step = scenario.followUps?.sequence.find((s) => s.id === followUpId);
  const button = step?.buttons?.flat().find((b) => b.id === id);
  return button && 'goto' in button ? button.goto : undefined;
}

/** A follow-up message for this lead, placeholders filled. */
export function renderFollowUp(scenario: Scenario, step: FollowUpStep, view: ConversationView): OutboundContent {
  const fill = (text: string) => renderTemplate(text, placeholderValues(scenario, view), scenario.placeholderDefaults);
  const buttons = step.buttons?.map((row) => row.flatMap((button) => renderButton(`${FOLLOW_UP_SCOPE}`, { ...button, id: `${step.id}.${button.id}` }, fill, view)));
  const markup = buttons?.length ? buttons : undefined;
  if (step.document) return { type: 'document', document: step.document, caption: fill(step.text), buttons: markup };
  return { type: 'text', text: fill(step.text), buttons: markup };
}

/** A press counts only on the current step's buttons, or on a step that keeps the lead's place. */
function liveButtonTarget(scenario: Scenario, view: ConversationView, stepId: string, buttonId: string): string | undefined {
  const step = scenario.steps[stepId];
  if (!step || (stepId !== view.step && !step.keepsPlace)) return undefined;
  for (const message of step.messages) {
    for (const button of (message.buttons ?? []).flat()) {
      if (button.id === buttonId && 'goto' in button) return button.goto;
    }
  }
  return undefined;
}

function renderButton(stepId: string, button: ScenarioButton, fill: (text: string) => string, view: ConversationView): OutboundButton[] {
  if ('url' in button) return [{ text: fill(button.text), url: button.url }];
  if ('urlFrom' in button) {
    const url = view.match ? view.match.landingUrl : undefined;
    return url ? [{ text: fill(button.text), url }] : []; // no product, no details button
  }
  return [{ text: fill(button.text), data: encodeButton(stepId, button.id) }];
}

function placeholderValues(scenario: Scenario, view: ConversationView): Record<string, string | undefined> {
  const match = view.match || undefined;
  return {
    first_name: view.firstName,
    segment_name: view.segment ? scenario.texts.segmentNames[view.segment] : undefined,
    score: view.score === null ? undefined : String(view.score),
    max_score: scenario.survey ? String(scoreSurvey(scenario.survey, {}).maxScore) : undefined,
    product_name: match?.name,
    product_percent: match ? String(match.percent) : undefined,
    product_reasons: match?.reasons.map((reason) => `• ${reason}`).join('\n'),
    product_values: match?.valuePropositions?.length ? match.valuePropositions.map((value) => `• ${value}`).join('\n') : undefined,
    product_price: match ? formatPrice(match.price, match.currency, scenario.language) : undefined,
  };
}

function formatPrice(price: number, currency: string, language: 'ru' | 'en'): string {
  const amount = new Intl.NumberFormat(language === 'ru' ? 'ru-RU' : 'en-US', { maximumFractionDigits: 2 }).format(price);
  return `${amount} ${currency}`;
}

function factsOf(view: ConversationView): ConditionFacts {
  return {
    segment: view.segment,
    score: view.score,
    answers: view.answers,
    stage: view.stage,
    productMatched: view.match === null ? null : view.match !== false,
    ...localClock(view.nowMs, view.timeZone),
  };
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}
