import { log } from '@temporalio/workflow';
import { enterStep } from '../../domain/conversation';
import { remind } from './booking';
import { formAbandoned } from './contact-form';
import { survive, type Conversation } from './context';
import { followUp, followUpDeadline, postSaleDeadline, postSaleMessage } from './follow-ups';
import { checkHandoff, handoffCheckDeadline } from './handoff-liveness';
import { run } from './scenario-steps';

/**
 * Timers are deadlines in the state: a reschedule or a new message moves them, a cancel drops
 * them, so an outdated one never fires. The main loop waits for the earliest in one condition.
 */
export interface Deadlines {
  reminderAt?: number;
  followUpAt?: number;
  formAt?: number;
  postSaleAt?: number;
  stepAt?: number;
  checkAt?: number;
}

export function deadlines(c: Conversation): Deadlines {
  const { state } = c;
  return {
    reminderAt: state.reminder?.at,
    followUpAt: followUpDeadline(c),
    formAt: state.formDeadline ?? undefined,
    postSaleAt: postSaleDeadline(c),
    stepAt: state.stepTimer?.at,
    checkAt: handoffCheckDeadline(c),
  };
}

/** The earliest deadline; Infinity when no timer is armed. */
export function earliest(d: Deadlines): number {
  return Math.min(d.reminderAt ?? Infinity, d.followUpAt ?? Infinity, d.formAt ?? Infinity, d.postSaleAt ?? Infinity, d.stepAt ?? Infinity, d.checkAt ?? Infinity);
}

/** After a wait that timed out: fires the first timer due, if any (false: none was, the loop handles events). */
export async function fireDueTimer(c: Conversation, d: Deadlines): Promise<boolean> {
  const { state } = c;
  if (state.stepTimer && Date.now() >= state.stepTimer.at) {
    const { stepId } = state.stepTimer;
    state.stepTimer = null;
    // A manager holding the dialog keeps the bot silent: the scenario does not step in (the old sleep
    // could not be overtaken by a take; a deadline can).
    const scenario = c.scenario;
    if (state.handoff?.phase === 'taken') log.info('scenario step timer dropped: a manager holds the dialog', { leadId: state.leadId, stepId });
    else await survive(c, 'scenario step timer', async () => (scenario && stepId in scenario.steps ? run(c, enterStep(scenario, stepId)) : undefined));
    return true;
  }
  if (state.reminder && Date.now() >= state.reminder.at) {
    const bookingId = state.reminder.bookingId;
    await survive(c, 'booking reminder', () => remind(c, bookingId));
    return true;
  }
  if (d.formAt !== undefined && Date.now() >= d.formAt) {
    await survive(c, 'incomplete form', () => formAbandoned(c));
    return true;
  }
  if (d.followUpAt !== undefined && Date.now() >= d.followUpAt) {
    await survive(c, 'follow-up', () => followUp(c));
    return true;
  }
  if (d.postSaleAt !== undefined && Date.now() >= d.postSaleAt) {
    await survive(c, 'post-sale message', () => postSaleMessage(c));
    return true;
  }
  if (d.checkAt !== undefined && Date.now() >= d.checkAt) {
    await survive(c, 'handoff check', () => checkHandoff(c));
    return true;
  }
  return false;
}
