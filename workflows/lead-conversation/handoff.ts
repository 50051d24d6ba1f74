import { ChildWorkflowFailure, isCancellation, log, ParentClosePolicy, patched, startChild, TerminatedFailure, workflowInfo } from '@temporalio/workflow';
import { leadPriority, type HandoffTrigger } from '../../domain/lead-priority';
import { handoffChain, handoffWorkflowId, type HandoffResult, type TakeRequest } from '../manager-handoff/contract';
import { managerHandoffWorkflow } from '../manager-handoff/workflow';
import { timeZoneOf, type Conversation } from './context';
import type { DomainEvent } from './contract';
import { checkHandoff } from './handoff-liveness';
import { recordPendingInbound } from './inbound-record';
import { describeLead, notifyManagers, recordEvent } from './outbound';
import { rememberDomainEvent } from './state';

/**
 * The managers take over: a handoff workflow of its own (a child that outlives continue-as-new),
 * one at a time. Until it is closed no follow-up goes out; once taken the bot falls silent. `takenBy`:
 * a manager opened it from the lead card, so it starts taken by them.
 */
export async function startHandoff(c: Conversation, trigger: HandoffTrigger, headline?: string, takenBy?: TakeRequest): Promise<void> {
  const { state, scenario } = c;
  if (state.leadId === null || !scenario) return;
  // The handoff may have died unseen (terminated, or started before a continue-as-new): ask before calling this a repeat.
  if (state.handoff && patched('handoff-checked-on-repeat')) await checkHandoff(c);
  if (state.handoff) {
    await recordEvent(c, 'handoff_repeated', { trigger, handoffId: state.handoff.workflowId });
    return;
  }
  // The handoff reads what the lead wrote from the log: the update that asked for it is recorded first.
  if (c.pendingInbound) await recordPendingInbound(c);
  state.handoffCount = (state.handoffCount ?? 0) + 1;
  // Ids from the conversation's first run: a conversation that starts over never repeats a handoff id.
  const chain = patched('handoff-id-of-chain') ? handoffChain(workflowInfo().firstExecutionRunId) : undefined;
  const workflowId = handoffWorkflowId(state.leadId, state.handoffCount, chain);
  // Readiness the model judged raises the priority (domain/lead-priority.ts); older conversations ranked by segment and trigger.
  const priority = patched('lead-profile') ? leadPriority(state.segment, trigger, state.readiness) : leadPriority(state.segment, trigger);
  try {
    const child = await startChild(managerHandoffWorkflow, {
      workflowId,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        {
          leadId: state.leadId,
          telegramUserId: state.telegramUserId,
          leadChatId: state.chatId,
          leadWorkflowId: workflowInfo().workflowId,
          trigger,
          priority,
          who: describeLead(c),
          headline,
          segment: state.segment ?? null,
          score: state.score ?? null,
          stage: state.stage ?? null,
          product: state.match ? state.match.name : null,
          facts: { ...(state.answers ?? {}), ...(state.facts ?? {}) },
          language: scenario.language === 'en' ? 'en' : 'ru',
          timeZone: timeZoneOf(c),
          // Absent unless set, so the start command is byte for byte what it was.
          ...(c.input.handoffRelaysPerRun !== undefined && { maxRelaysPerRun: c.input.handoffRelaysPerRun }),
          // A manager opened the dialog from the lead card (manager-opened.ts): it starts taken by them.
          ...(takenBy && { takenBy }),
        },
      ],
    });
    state.handoff = { workflowId, phase: 'waiting' };
    if (patched('handoff-result-awaited')) awaitHandoff(c, workflowId, child.result());
  } catch (error) {
    log.error('handoff not started; the managers get a notice', { workflowId, error: String(error) });
    await notifyManagers(c, headline ?? `${scenario.texts.managersNotice}, ${trigger}`);
  }
}

/**
 * Awaits a handoff this run started: however it ends (closed, failed, cancelled, terminated), the
 * conversation gets a `handoff_ended` event, so the lead is never left waiting for a dialog that is gone.
 */
function awaitHandoff(c: Conversation, workflowId: string, result: Promise<HandoffResult>): void {
  c.awaitedHandoffs.add(workflowId);
  const ended = (payload: Record<string, unknown>) => {
    const event: DomainEvent = { id: `${workflowId}/ended`, name: 'handoff_ended', payload: { handoffId: workflowId, ...payload } };
    if (rememberDomainEvent(c.state, event.id)) c.domainEvents.push(event);
  };
  result.then(
    (done) => ended({ outcome: done.outcome, summary: done.summary, taken: done.taken === true }),
    (error: unknown) => ended({ failed: true, how: isCancellation(error) ? 'cancelled' : error instanceof ChildWorkflowFailure && error.cause instanceof TerminatedFailure ? 'terminated' : 'failed' }),
  );
}
