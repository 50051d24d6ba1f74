import { decodeButton, encodeButton, SYSTEM_SCOPE } from './callback-data';
import type { InboundEvent } from './inbound-event';
import type { Scenario, ScenarioButton, ScenarioMessage } from './scenario';
import { renderTemplate } from './template';

/** A button ready for Telegram: callback data already encoded, or a URL. */
export type OutboundButton = { text: string; data: string } | { text: string; url: string };

/** A message ready to send, placeholders filled. */
export type OutboundContent =
  | { type: 'text'; text: string; buttons?: OutboundButton[][] }
  | { type: 'document'; document: string; caption?: string; buttons?: OutboundButton[][] };

/**
 * What the conversation should do, in order. The workflow carries these out; this module
 * decides them without I/O, clocks or randomness, so it is tested without Temporal.
 */
export type Effect =
  | { kind: 'send'; content: OutboundContent }
  | { kind: 'moveTo'; stepId: string }
  | { kind: 'waitThenEnter'; seconds: number; stepId: string }
  | { kind: 'recordEvent'; type: string; payload?: Record<string, unknown> }
  | { kind: 'notifyManagers'; reason: string }
  | { kind: 'askResetConfirmation' }
  | { kind: 'resetConversation' }
  | { kind: 'cancelReset' };

/** The part of the conversation's state the rules read. */
export interface ConversationView {
  step: string;
  resetPending: boolean;
  firstName?: string;
}

/** Decides what an inbound event leads to. Duplicate updates are filtered before this is called. */
export function reactTo(scenario: Scenario, view: ConversationView, event: InboundEvent): Effect[] {
  switch (event.kind) {
    case 'command':
      return reactToCommand(scenario, view, event.command);
    case 'button':
      return reactToButton(scenario, view, event.data);
    case 'text':
      return enterStep(scenario, scenario.fallback, view);
    case 'other':
      return [say(scenario.texts.unsupportedMessage, scenario, view), ...enterStep(scenario, scenario.fallback, view)];
  }
}

/** The effects of arriving at a step: its messages, its event, its managers notice, its timed follow-on. */
export function enterStep(scenario: Scenario, stepId: string, view: ConversationView): Effect[] {
  const step = scenario.steps[stepId];
  if (!step) throw new Error(`scenario ${scenario.id} v${scenario.version}: unknown step "${stepId}"`);
  const effects: Effect[] = [];
  if (!step.keepsPlace) effects.push({ kind: 'moveTo', stepId });
  if (step.event) effects.push({ kind: 'recordEvent', type: step.event, payload: { step: stepId } });
  for (const message of step.messages) {
    effects.push({ kind: 'send', content: renderMessage(scenario, stepId, message, view) });
  }
  if (step.notifyManagers) effects.push({ kind: 'notifyManagers', reason: stepId });
  if (step.then) effects.push({ kind: 'waitThenEnter', seconds: step.then.afterSeconds, stepId: step.then.goto });
  return effects;
}

/** The step's messages again, without its event or timer: for a lead who pressed an old button. */
export function showStep(scenario: Scenario, stepId: string, view: ConversationView): Effect[] {
  const step = scenario.steps[stepId];
  if (!step) return enterStep(scenario, scenario.start, view);
  return step.messages.map((message) => ({ kind: 'send', content: renderMessage(scenario, stepId, message, view) }));
}

/** The buttons of the /reset confirmation. */
export function resetConfirmation(scenario: Scenario, view: ConversationView): OutboundContent {
  return {
    type: 'text',
    text: renderTemplate(scenario.texts.resetConfirm, { first_name: view.firstName }, scenario.placeholderDefaults),
    buttons: [
      [
        { text: scenario.texts.resetConfirmButton, data: encodeButton(SYSTEM_SCOPE, 'reset_yes') },
        { text: scenario.texts.resetCancelButton, data: encodeButton(SYSTEM_SCOPE, 'reset_no') },
      ],
    ],
  };
}

export function say(text: string, scenario: Scenario, view: ConversationView): Effect {
  return {
    kind: 'send',
    content: { type: 'text', text: renderTemplate(text, { first_name: view.firstName }, scenario.placeholderDefaults) },
  };
}

function reactToCommand(scenario: Scenario, view: ConversationView, command: string): Effect[] {
  switch (command) {
    case 'start':
      return enterStep(scenario, scenario.start, view);
    case 'reset':
      return [{ kind: 'askResetConfirmation' }];
    default:
      return [
        { kind: 'recordEvent', type: 'unknown_command', payload: { command } },
        say(scenario.texts.unknownCommand, scenario, view),
        ...enterStep(scenario, scenario.fallback, view),
      ];
  }
}

function reactToButton(scenario: Scenario, view: ConversationView, data: string): Effect[] {
  const press = decodeButton(data);
  if (press?.scope === SYSTEM_SCOPE && view.resetPending) {
    if (press.buttonId === 'reset_yes') return [{ kind: 'resetConversation' }];
    if (press.buttonId === 'reset_no') return [{ kind: 'cancelReset' }];
  }
  const target = press ? liveButtonTarget(scenario, view, press.scope, press.buttonId) : undefined;
  if (target) return enterStep(scenario, target, view);
  return [
    { kind: 'recordEvent', type: 'stale_button', payload: { data, step: view.step } },
    say(scenario.texts.staleButton, scenario, view),
    ...showStep(scenario, view.step, view),
  ];
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

function renderMessage(scenario: Scenario, stepId: string, message: ScenarioMessage, view: ConversationView): OutboundContent {
  const fill = (text: string) => renderTemplate(text, { first_name: view.firstName }, scenario.placeholderDefaults);
  const buttons = message.buttons?.map((row) => row.map((button) => renderButton(stepId, button, fill)));
  if ('document' in message) {
    return { type: 'document', document: message.document, caption: message.caption && fill(message.caption), buttons };
  }
  return { type: 'text', text: fill(message.text), buttons };
}

function renderButton(stepId: string, button: ScenarioButton, fill: (text: string) => string): OutboundButton {
  if ('url' in button) return { text: fill(button.text), url: button.url };
  return { text: fill(button.text), data: encodeButton(stepId, button.id) };
}
