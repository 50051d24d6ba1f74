import { getExternalWorkflowHandle, log, patched } from '@temporalio/workflow';
import { reactToDomainEvent } from '../../domain/conversation';
import { describeInbound, type InboundEvent } from '../../domain/inbound-event';
import { leadMessageSignal } from '../manager-handoff/contract';
import { capFacts, type Conversation } from './context';
import type { DomainEvent } from './contract';
import { handleDomainEvent } from './events';
import { handoffLost } from './handoff-liveness';
import { run } from './scenario-steps';

/** The handoff's own events; `handoff_ended` also comes from the handoff's result, however it ended. */
const HANDOFF_EVENTS = ['dialog_taken', 'dialog_closed', 'handoff_expired', 'handoff_ended'];

/**
 * Events of the handoff: taken (the bot falls silent), closed (the bot resumes with the summary), expired.
 * True when handled here; false when the scenario decides what comes next.
 */
export async function handoffEvent(c: Conversation, event: DomainEvent): Promise<boolean> {
  const { state } = c;
  const handoffId = event.payload?.handoffId;
  // An event without a handoff id comes from elsewhere (an operator, the api): the scenario decides.
  if (handoffId === undefined || !HANDOFF_EVENTS.includes(event.name)) return false;
  if (!state.handoff || state.handoff.workflowId !== handoffId) {
    log.warn('event of a handoff that is not the open one', { name: event.name, handoffId: String(handoffId) });
    return true;
  }
  if (event.name === 'dialog_taken') {
    state.handoff.phase = 'taken';
    return true;
  }
  state.handoff = null;
  c.awaitedHandoffs.delete(String(handoffId));
  if (event.name === 'handoff_ended' && event.payload?.failed === true) await handoffLost(c, String(handoffId), String(event.payload.how ?? 'failed'));
  // A silence starts now: follow-ups count from the close, not from before the dialog.
  state.lastActivityAt = Date.now();
  state.followUpsThisSilence = [];
  if (event.name === 'handoff_expired' || (event.name === 'handoff_ended' && event.payload?.taken !== true)) return true;
  const summary = typeof event.payload?.summary === 'string' ? event.payload.summary : '';
  if (summary) state.facts = capFacts({ ...(state.facts ?? {}), manager_dialog: summary });
  if (event.name === 'handoff_ended' && c.scenario && state.leadId !== null) {
    // The close itself never came (only the result did): the bot resumes as after any close.
    await run(c, reactToDomainEvent(c.scenario, 'dialog_closed'));
    return true;
  }
  return false; // the scenario says what the bot does next (after_manager)
}

/** Passes the lead's message to the handoff; false if the handoff is gone, so the bot answers it. */
export async function relayToManager(c: Conversation, handoffId: string, event: InboundEvent): Promise<boolean> {
  const media = (event.kind === 'other' && !event.contact) || event.kind === 'voice' || event.kind === 'media';
  try {
    await getExternalWorkflowHandle(handoffId).signal(leadMessageSignal, {
      updateId: event.updateId,
      chatId: event.chatId,
      messageId: 'messageId' in event && event.messageId !== undefined ? event.messageId : null,
      text: describeInbound(event),
      media,
      ...relayCaption(event),
    });
    return true;
  } catch (error) {
    log.warn('handoff gone; the bot answers', { handoffId, error: String(error) });
    // Its close (with the summary) may already be queued: handle it first rather than lose it.
    const { domainEvents } = c;
    const closing = patched('handoff-relay-keeps-close') ? domainEvents.findIndex((e) => e.payload?.handoffId === handoffId && e.name !== 'dialog_taken' && HANDOFF_EVENTS.includes(e.name)) : -1;
    if (closing >= 0) await handleDomainEvent(c, domainEvents.splice(closing, 1)[0]);
    else c.state.handoff = null;
    return false;
  }
}

/** The words under relayed media: a voice note's transcript (or that there is none), a photo's caption. */
function relayCaption(event: InboundEvent): { caption?: string } {
  if (event.kind === 'voice') return { caption: event.transcript ? `🎤 ${event.transcript}` : `🎤 (не расшифровано: ${event.unheard ?? 'unknown'})` };
  if (event.kind === 'media' && event.caption) return { caption: event.caption };
  return {};
}
