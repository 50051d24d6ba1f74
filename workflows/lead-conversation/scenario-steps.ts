import { patched, sleep } from '@temporalio/workflow';
import { chooseRoute, enterStep, render, renderSay, resetConfirmation, type Effect } from '../../domain/conversation';
import { triggerOfStep } from '../../domain/lead-priority';
import type { Scenario } from '../../domain/scenario';
import { view, type Conversation } from './context';
import { startHandoff } from './handoff';
import { llmTurn } from './model-turns';
import { notifyManagers, recordEvent, send } from './outbound';
import { resetConversation } from './reset';
import { act } from './step-actions';

/** A step's `then` became a deadline in the state instead of a sleep inside message handling. */
const SCENARIO_STEP_TIMER_PATCH = 'scenario-step-timer';

/** Applies the scenario's effects (domain/conversation.ts decides them) in order. */
export async function run(c: Conversation, effects: Effect[]): Promise<void> {
  for (const effect of effects) await apply(c, effect);
}

async function apply(c: Conversation, effect: Effect): Promise<void> {
  const { state } = c;
  const current = c.scenario as Scenario;
  switch (effect.kind) {
    case 'send': {
      // A product's media is skipped when the product has none (render says null).
      const content = render(current, effect.stepId, effect.message, view(c));
      return content ? send(c, content) : undefined;
    }
    case 'say':
      return send(c, renderSay(current, effect.text, view(c)));
    case 'sendContent':
      return send(c, effect.content);
    case 'moveTo':
      state.step = effect.stepId;
      return;
    case 'route': {
      const target = chooseRoute(current, effect.stepId, view(c));
      return target ? run(c, enterStep(current, target)) : undefined;
    }
    case 'waitThenEnter':
      // A deadline in the state (the main loop fires it), so the lead's next messages and other
      // timers never wait behind it; conversations that slept here before replay the sleep.
      if (patched(SCENARIO_STEP_TIMER_PATCH)) {
        state.stepTimer = { stepId: effect.stepId, at: Date.now() + effect.seconds * 1000 };
        return;
      }
      // Durable: if every worker is down when it fires, it fires when one is back.
      await sleep(effect.seconds * 1000);
      return run(c, enterStep(current, effect.stepId));
    case 'action':
      return act(c, current, effect.action);
    case 'recordEvent':
      return recordEvent(c, effect.type, effect.payload);
    case 'notifyManagers': {
      if (!patched('manager-handoff')) return notifyManagers(c, `${current.texts.managersNotice}, ${effect.reason}`);
      const trigger = c.escalationTrigger ?? triggerOfStep(current.steps[effect.reason]?.event);
      c.escalationTrigger = undefined;
      return startHandoff(c, trigger);
    }
    case 'surveyProgress':
      state.surveyIndex = effect.index;
      state.answers = effect.answers;
      return;
    case 'surveyCompleted':
      state.segment = effect.outcome.segment;
      state.score = effect.outcome.score;
      if (state.leadId !== null) {
        await c.records.saveSurveyOutcome({ leadId: state.leadId, outcome: effect.outcome, answers: state.answers ?? {} });
      }
      return;
    case 'llmTurn':
      return llmTurn(c, current, effect.text);
    case 'askResetConfirmation':
      state.resetPending = true;
      return send(c, resetConfirmation(current, view(c)));
    case 'cancelReset':
      state.resetPending = false;
      return send(c, renderSay(current, current.texts.resetCancelled, view(c)));
    case 'resetConversation':
      return resetConversation(c, current);
  }
}
