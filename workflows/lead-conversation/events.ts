import { log, patched } from '@temporalio/workflow';
import { decodeButton } from '../../domain/callback-data';
import { reactTo, reactToDomainEvent } from '../../domain/conversation';
import type { InboundEvent } from '../../domain/inbound-event';
import { languageFor } from '../../domain/language';
import { PAY_SCOPE } from '../../domain/payments/payment-offer';
import { withScenarioDefaults } from '../../domain/scenario';
import { bookingContext, bookingReaction, runBooking } from './booking';
import { formReaction, runForm } from './contact-form';
import { view, type Conversation } from './context';
import type { DomainEvent } from './contract';
import { handoffEvent, relayToManager } from './handoff-dialog';
import { managerOpensDialog } from './manager-opened';
import { OPEN_DIALOG_EVENT } from '../../domain/lead-desk';
import { recordInbound, recordPendingInbound } from './inbound-record';
import { asText, hearVoice, receipt, voiceUnheard } from './lead-media';
import { payButton } from './payments';
import { run } from './scenario-steps';

/** One update from the lead, recorded at the latest when its reaction ends (inbound-record.ts). */
export async function handleInbound(c: Conversation, incoming: InboundEvent): Promise<void> {
  try {
    await react(c, incoming);
  } finally {
    if (c.pendingInbound) await recordPendingInbound(c);
  }
}

/** The payment buttons, a manager's dialog, the contact form and booking first, then the scenario. */
async function react(c: Conversation, incoming: InboundEvent): Promise<void> {
  const { state } = c;
  // A voice note is heard first, so its transcript is recorded with it (a new kind: see lead-media.ts).
  const event = incoming.kind === 'voice' ? await hearVoice(c, incoming) : incoming;
  // The lead wrote: a new silence begins, and the follow-up sequence starts over from now.
  Object.assign(state, { lastActivityAt: Date.now(), followUpsThisSilence: [], followUpCatchUpAt: null });
  await recordInbound(c, event);
  state.person = event.from;
  state.blocked = false; // a lead who writes has not blocked us
  // A payment button works even in a manager dialog: the lead wants to pay, nobody should stand in the way.
  const paying = event.kind === 'button' && c.scenario?.payment ? decodeButton(event.data) : null;
  if (paying?.scope === PAY_SCOPE) return payButton(c, paying.buttonId);
  // A manager holds the dialog: the bot stays silent and the message goes to the manager.
  if (state.handoff?.phase === 'taken' && (await relayToManager(c, state.handoff.workflowId, event))) return;
  const scenario = (c.scenario ??= withScenarioDefaults(await c.records.loadScenario(languageFor(event.from.languageCode))));
  if (state.step === null || !(state.step in scenario.steps)) state.step = scenario.start;
  c.replaceMessageId = event.kind === 'button' && scenario.historyMode === 'replace' ? event.messageId : undefined;
  if (event.kind === 'voice' && !event.transcript) return voiceUnheard(c, scenario, event);
  if (event.kind === 'media' && (await receipt(c, scenario, event))) return;
  // From here a transcript or a caption is the lead's text, on exactly the path typed text takes.
  const said = asText(event);
  const form = scenario.contactForm && formReaction(c, scenario.contactForm, said);
  if (form) return runForm(c, form);
  const booking = scenario.booking && bookingReaction(said, bookingContext(c, scenario));
  if (booking) return runBooking(c, booking);
  await run(c, reactTo(scenario, view(c), said));
}

/** Before the lead's first message there is no scenario or lead row yet: such an event is only logged. */
export async function handleDomainEvent(c: Conversation, event: DomainEvent): Promise<void> {
  const { state } = c;
  // A manager pressed "Take dialog" on the lead card: never the scenario's business.
  if (event.name === OPEN_DIALOG_EVENT) return managerOpensDialog(c, event);
  if (await handoffEvent(c, event)) return;
  // A paid order makes the lead a customer: the warm-up follow-ups stop for good, and the
  // post-sale sequence starts, counted from this first payment (a later order does not restart it).
  // Conversations paid before the sequence existed replay without its timers.
  if (event.name === 'payment_paid') {
    state.customer = true;
    if (!state.postSale && patched('post-sale-sequence')) state.postSale = { paidAtMs: Date.now(), sent: [] };
  }
  if (!c.scenario || state.leadId === null) {
    log.warn('domain event before the conversation began', { name: event.name, id: event.id });
    return;
  }
  await run(c, reactToDomainEvent(c.scenario, event.name));
}
