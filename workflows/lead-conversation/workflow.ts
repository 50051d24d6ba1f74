import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  ChildWorkflowFailure,
  isCancellation,
  TerminatedFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { BookingActivities } from '../../activities/bookings';
import type { JourneyActivities } from '../../activities/journey';
import type { LeadsActivities } from '../../activities/leads';
import type { LlmActivities } from '../../activities/llm';
import type { DraftActivities } from '../../activities/llm-drafts';
import type { HandoffActivities } from '../../activities/handoff';
import type { ScenarioActivities } from '../../activities/scenario';
import type { TelegramActivities } from '../../activities/telegram';
import {
  chooseRoute,
  enterStep,
  reactTo,
  offerButtons,
  reactToDomainEvent,
  render,
  renderFollowUp,
  renderSay,
  resetConfirmation,
  startSurvey,
  type ConversationView,
  type Effect,
  type OutboundContent,
} from '../../domain/conversation';
import { reminderAt } from '../../domain/booking/booking';
import {
  BOOKING_SCOPE,
  onBookingButton,
  onBookingContact,
  onBookingText,
  reminderMessage,
  startBooking,
  type BookingContext,
  type BookingEffect,
} from '../../domain/booking/booking-dialog';
import { decodeButton, encodeButton } from '../../domain/callback-data';
import {
  FORM_ABANDON_MS,
  FORM_SCOPE,
  onFormButton,
  onFormContact,
  onFormText,
  startForm,
  type ContactFormTexts,
  type FormEffect,
} from '../../domain/contact-form';
import { catchUpOffsetMs, dueFollowUps, nextFollowUp, outsideQuietHours } from '../../domain/follow-ups';
import { duePostSale, nextPostSaleAt } from '../../domain/payments/post-sale';
import type { InboundEvent } from '../../domain/inbound-event';
import { languageFor } from '../../domain/language';
import { applyPolicy, type EscalationReason } from '../../domain/llm-policy';
import { leadPriority, triggerOfStep, type HandoffTrigger } from '../../domain/lead-priority';
import { describeInbound } from '../../domain/inbound-event';
import { handoffChain, handoffWorkflowId, leadMessageSignal, type HandoffResult } from '../manager-handoff/contract';
import { paymentChoice, paymentOffer, PAY_SCOPE } from '../../domain/payments/payment-offer';
import { startPayment } from '../payment/start';
import { managerHandoffWorkflow } from '../manager-handoff/workflow';
import { fillStaffText, STAFF_TEXTS } from '../../domain/staff/staff-texts';
import type { SalesStage } from '../../domain/llm-reply';
import { withScenarioDefaults, type Scenario, type StepAction } from '../../domain/scenario';
import {
  domainEventSignal,
  DRAFT_SCOPE,
  draftDecisionSignal,
  inboundSignal,
  leadStateQuery,
  type DomainEvent,
  type DraftDecision,
  type LeadConversationInput,
} from './contract';
import { freshProfile, initialState, nextSequence, rememberDomainEvent, rememberUpdate } from './state';

const telegram = proxyActivities<TelegramActivities>({
  startToCloseTimeout: '30s',
  // A 429 overrides the backoff with Telegram's retry_after (see telegram-errors.ts).
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

const records = proxyActivities<LeadsActivities & ScenarioActivities & JourneyActivities & BookingActivities & DraftActivities & Pick<HandoffActivities, 'setLeadStatus' | 'handoffAbandoned' | 'handoffRunning'>>({
  startToCloseTimeout: '15s',
  // Postgres being down must delay the conversation, never drop it: retry without a cap.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

const llm = proxyActivities<LlmActivities>({
  // The activity turns model failures into typed results; only Postgres trouble is retried.
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
});

/** A step's `then` became a deadline in the state instead of a sleep inside message handling. */
const SCENARIO_STEP_TIMER_PATCH = 'scenario-step-timer';
/** At continue-as-new a broken scenario file keeps the pinned version instead of being retried for ever. */
const SCENARIO_CANDIDATE_PATCH = 'scenario-candidate';

const DEFAULT_MAX_EVENTS_PER_RUN = 1000;
const MAX_FACTS = 30;
/** Escalations a manager's approval can settle (an unsafe draft never goes to approval). */
const CONFIDENCE_REASONS: readonly EscalationReason[] = ['low_confidence', 'two_low_in_a_row', 'technical_low_confidence'];
const DEFAULT_TIME_ZONE = 'Europe/Moscow';
/** How often a conversation that cannot await its open handoff (it continued-as-new since) asks whether it still runs. */
const HANDOFF_CHECK_MS = 60 * 60_000;
/** The handoff's own events; `handoff_ended` also comes from the handoff's result, however it ended. */
const HANDOFF_EVENTS = ['dialog_taken', 'dialog_closed', 'handoff_expired', 'handoff_ended'];

/**
 * One lead's conversation, for as long as the lead exists. Inbound updates arrive as signals
 * and are handled one at a time, in order; scenario timers are workflow timers, so they fire
 * after any restart.
 */
export async function leadConversationWorkflow(input: LeadConversationInput): Promise<void> {
  const state = { ...initialState(input.telegramUserId, input.chatId), ...input.carriedOver?.state };
  let scenario: Scenario | null = input.carriedOver?.scenario ? withScenarioDefaults(input.carriedOver.scenario) : null;
  const inbox: InboundEvent[] = [...(input.carriedOver?.inbox ?? [])];
  const domainEvents: DomainEvent[] = [...(input.carriedOver?.domainEvents ?? [])];
  let handledThisRun = 0;
  /** /reset erased the lead: this run's history still holds what they wrote, so a clean run takes over. */
  let erasedThisRun = false;
  /** In `replace` history mode: the message whose button was pressed, edited by the next send. */
  let replaceMessageId: number | undefined;
  /** Set by a model turn that escalates, so the handoff it starts says why. */
  let escalationTrigger: HandoffTrigger | undefined;
  /** Handoffs this run started and awaits: the others (started before a continue-as-new) are checked on a timer. */
  const awaitedHandoffs = new Set<string>();
  let handoffCheckAt = Date.now() + HANDOFF_CHECK_MS;

  setHandler(inboundSignal, (event) => {
    // Deduplicate on arrival so a redelivered update never even queues.
    if (rememberUpdate(state, event.updateId)) inbox.push(event);
  });
  const draftDecisions = new Map<number, DraftDecision>();
  setHandler(draftDecisionSignal, (decision) => {
    if (!draftDecisions.has(decision.draftId)) draftDecisions.set(decision.draftId, decision);
  });
  setHandler(domainEventSignal, (event) => {
    if (rememberDomainEvent(state, event.id)) domainEvents.push(event);
  });
  setHandler(leadStateQuery, () => ({
    telegramUserId: state.telegramUserId,
    leadId: state.leadId,
    step: state.step,
    blocked: state.blocked,
    resetPending: state.resetPending,
    optedOut: state.optedOut ?? false,
    mode: state.handoff?.phase === 'taken' ? 'with_manager' : state.optedOut ? 'opted_out' : state.customer ? 'customer' : 'bot',
    handoff: state.handoff ?? null,
    segment: state.segment ?? null,
    score: state.score ?? null,
    pendingEvents: inbox.length + domainEvents.length,
    scenario: scenario && { id: scenario.id, version: scenario.version, language: scenario.language },
  }));

  const maxEvents = input.maxEventsPerRun ?? DEFAULT_MAX_EVENTS_PER_RUN;
  const timeToContinue = () => workflowInfo().continueAsNewSuggested || handledThisRun >= maxEvents || erasedThisRun;

  for (;;) {
    const woken = () => inbox.length > 0 || domainEvents.length > 0 || timeToContinue();
    // Timers are deadlines in the state: a reschedule or a new message moves them, a cancel drops
    // them, so an outdated one never fires. One condition waits for the earliest.
    const reminderAt = state.reminder?.at;
    const followUpAt = followUpDeadline();
    const formAt = state.formDeadline ?? undefined;
    const postSaleAt = postSaleDeadline();
    const stepAt = state.stepTimer?.at;
    const checkAt = handoffCheckDeadline();
    const deadline = Math.min(reminderAt ?? Infinity, followUpAt ?? Infinity, formAt ?? Infinity, postSaleAt ?? Infinity, stepAt ?? Infinity, checkAt ?? Infinity);
    let timedOut = false;
    if (deadline < Infinity) timedOut = !(await condition(woken, Math.max(1, deadline - Date.now())));
    else await condition(woken);
    if (timedOut && state.stepTimer && Date.now() >= state.stepTimer.at) {
      const { stepId } = state.stepTimer;
      state.stepTimer = null;
      // A manager holding the dialog keeps the bot silent: the scenario does not step in (the old sleep
      // could not be overtaken by a take; a deadline can).
      if (state.handoff?.phase === 'taken') log.info('scenario step timer dropped: a manager holds the dialog', { leadId: state.leadId, stepId });
      else await survive('scenario step timer', async () => (scenario && stepId in scenario.steps ? run(enterStep(scenario, stepId)) : undefined));
      continue;
    }
    if (timedOut && state.reminder && Date.now() >= state.reminder.at) {
      const bookingId = state.reminder.bookingId;
      await survive('booking reminder', () => remind(bookingId));
      continue;
    }
    if (timedOut && formAt !== undefined && Date.now() >= formAt) {
      await survive('incomplete form', formAbandoned);
      continue;
    }
    if (timedOut && followUpAt !== undefined && Date.now() >= followUpAt) {
      await survive('follow-up', followUp);
      continue;
    }
    if (timedOut && postSaleAt !== undefined && Date.now() >= postSaleAt) {
      await survive('post-sale message', postSaleMessage);
      continue;
    }
    if (timedOut && checkAt !== undefined && Date.now() >= checkAt) {
      await survive('handoff check', checkHandoff);
      continue;
    }
    if (timeToContinue()) {
      await condition(allHandlersFinished);
      const next = scenario && (await newerScenario(scenario));
      // The inbox travels with the state: events that arrived meanwhile are handled by the next run.
      await continueAsNew<typeof leadConversationWorkflow>({ ...input, carriedOver: { state, scenario: next ?? scenario, inbox, domainEvents } });
    }
    const domainEvent = domainEvents.shift();
    if (domainEvent) await survive('domain event', () => handleDomainEvent(domainEvent));
    const event = inbox.shift();
    if (event) await survive('inbound event', () => handle(event));
    handledThisRun += 1;
  }

  /**
   * An activity that gave up (its retries ran out) must not end the conversation: a failed run would
   * be replaced by a fresh one on the next message, losing the lead's place, booking and timers.
   */
  async function survive(what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      log.error(`${what} failed; the conversation goes on`, { type: failureType(error), leadId: state.leadId });
    }
  }

  async function handle(event: InboundEvent): Promise<void> {
    // The lead wrote: a new silence begins, and the follow-up sequence starts over from now.
    Object.assign(state, { lastActivityAt: Date.now(), followUpsThisSilence: [], followUpCatchUpAt: null });
    const { leadId } = await records.recordInbound(event);
    state.leadId = leadId;
    state.person = event.from;
    state.blocked = false; // a lead who writes has not blocked us
    // A payment button works even in a manager dialog: the lead wants to pay, nobody should stand in the way.
    const paying = event.kind === 'button' && scenario?.payment ? decodeButton(event.data) : null;
    if (paying?.scope === PAY_SCOPE) return payButton(paying.buttonId);
    // A manager holds the dialog: the bot stays silent and the message goes to the manager.
    if (state.handoff?.phase === 'taken' && (await relayToManager(state.handoff.workflowId, event))) return;
    scenario ??= withScenarioDefaults(await records.loadScenario(languageFor(event.from.languageCode)));
    if (state.step === null || !(state.step in scenario.steps)) state.step = scenario.start;
    replaceMessageId = event.kind === 'button' && scenario.historyMode === 'replace' ? event.messageId : undefined;
    const form = scenario.contactForm && formReaction(scenario.contactForm, event);
    if (form) return runForm(form);
    const booking = scenario.booking && bookingReaction(event, bookingContext(scenario));
    if (booking) return runBooking(booking);
    await run(reactTo(scenario, view(), event));
  }

  /** Before the lead's first message there is no scenario or lead row yet: such an event is only logged. */
  async function handleDomainEvent(event: DomainEvent): Promise<void> {
    if (await handoffEvent(event)) return;
    // A paid order makes the lead a customer: the warm-up follow-ups stop for good, and the
    // post-sale sequence starts, counted from this first payment (a later order does not restart it).
    // Conversations paid before the sequence existed replay without its timers.
    if (event.name === 'payment_paid') {
      state.customer = true;
      if (!state.postSale && patched('post-sale-sequence')) state.postSale = { paidAtMs: Date.now(), sent: [] };
    }
    if (!scenario || state.leadId === null) {
      log.warn('domain event before the conversation began', { name: event.name, id: event.id });
      return;
    }
    await run(reactToDomainEvent(scenario, event.name));
  }

  /** The open contact form takes text, a shared contact and its own buttons first. */
  function formReaction(texts: ContactFormTexts, event: InboundEvent): FormEffect[] | undefined {
    const form = state.form ?? { phase: 'idle' };
    if (event.kind === 'text') return onFormText(texts, form, event.text);
    if (event.kind === 'other' && event.contact) return onFormContact(texts, form, event.contact, event.from.id);
    if (event.kind === 'button') {
      const press = decodeButton(event.data);
      return press?.scope === FORM_SCOPE ? onFormButton(texts, form, press.buttonId) : undefined;
    }
    return undefined;
  }

  async function runForm(effects: FormEffect[]): Promise<void> {
    for (const effect of effects) {
      if (effect.kind === 'send') await send(effect.content);
      else if (effect.kind === 'setForm') {
        state.form = effect.form;
        // Every answer re-arms the abandonment timer; a finished form disarms it.
        state.formDeadline = effect.form.phase === 'idle' ? null : Date.now() + FORM_ABANDON_MS;
      } else await submitForm(effect);
    }
  }

  /** The form is complete: the lead's contact is stored and the managers get the lead card. */
  async function submitForm(form: { phone: string; name: string; email: string | null }): Promise<void> {
    if (state.leadId === null) return;
    await records.saveContact({ leadId: state.leadId, phone: form.phone, name: form.name, email: form.email });
    state.contact = { phone: form.phone, name: form.name };
    await recordEvent('lead_created', { trigger: 'contact_form', email: form.email !== null });
    const headline = `📝 Заявка: ${form.name}, ${form.phone}${form.email ? `, ${form.email}` : ''}`;
    if (patched('manager-handoff')) await startHandoff('contact_form', headline);
    else await notifyManagers(headline);
  }

  /** Ten minutes without an answer: the managers get an incomplete card with the lead's last 2 messages. */
  async function formAbandoned(): Promise<void> {
    const form = state.form;
    state.formDeadline = null;
    state.form = { phase: 'idle' };
    if (!form || form.phase === 'idle' || state.leadId === null) return;
    const last = await records.lastLeadMessages({ leadId: state.leadId, count: 2 });
    await recordEvent('lead_incomplete', { phase: form.phase, phone: !!form.phone });
    if (patched('manager-handoff')) await records.setLeadStatus({ leadId: state.leadId, status: 'incomplete' });
    const known = [form.name, form.phone].filter(Boolean).join(', ');
    await notifyManagers(`⚠️ Незавершённая заявка${known ? ` (${known})` : ''}. Последние сообщения: ${last.map((t) => `«${t}»`).join(' / ') || '—'}`);
  }

  /** The booking dialog takes its own buttons, and text or a shared contact while it waits for them. */
  function bookingReaction(event: InboundEvent, ctx: BookingContext): BookingEffect[] | undefined {
    if (event.kind === 'button') {
      const press = decodeButton(event.data);
      return press?.scope === BOOKING_SCOPE ? onBookingButton(ctx, press.buttonId) : undefined;
    }
    if (event.kind === 'text') return onBookingText(ctx, event.text);
    if (event.kind === 'other' && event.contact) return onBookingContact(ctx, event.contact, event.from.id);
    return undefined;
  }

  function bookingContext(current: Scenario): BookingContext {
    return {
      state: state.booking ?? { phase: 'idle' },
      upcoming: state.upcoming ?? null,
      contact: state.contact ?? { phone: null, name: null },
      nowMs: Date.now(),
      timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
      language: current.language,
      texts: current.booking as NonNullable<Scenario['booking']>,
    };
  }

  async function runBooking(effects: BookingEffect[]): Promise<void> {
    for (const effect of effects) await applyBooking(effect);
  }

  async function applyBooking(effect: BookingEffect): Promise<void> {
    switch (effect.kind) {
      case 'send':
        return send(effect.content);
      case 'setBookingState':
        state.booking = effect.state;
        return;
      case 'saveContact':
        state.contact = { phone: effect.phone ?? state.contact?.phone ?? null, name: effect.name ?? state.contact?.name ?? null };
        if (state.leadId !== null) await records.saveContact({ leadId: state.leadId, phone: effect.phone, name: effect.name });
        return;
      case 'createBooking': {
        if (state.leadId === null) return;
        const { bookingId } = await records.bookConsultation({
          leadId: state.leadId,
          startsAt: effect.startsAt,
          replaces: effect.replaces,
          idempotencyKey: `${idPrefix()}/b${nextSequence(state)}`,
        });
        state.upcoming = { id: bookingId, startsAt: effect.startsAt };
        state.reminder = { bookingId, at: Date.parse(reminderAt(effect.startsAt)) };
        return;
      }
      case 'cancelBooking':
        if (state.leadId !== null) await records.cancelConsultation({ leadId: state.leadId, bookingId: effect.id });
        if (state.upcoming?.id === effect.id) state.upcoming = null;
        if (state.reminder?.bookingId === effect.id) state.reminder = null;
        return;
      case 'notifyManagers':
        return notifyManagers(effect.text);
      case 'recordEvent':
        return recordEvent(effect.type, effect.payload);
    }
  }

  /** When the next follow-up may go out; undefined when none is due (opted out, blocked, none left). */
  function followUpDeadline(): number | undefined {
    const plan = scenario?.followUps;
    if (!plan || state.lastActivityAt === undefined || state.optedOut || state.blocked) return undefined;
    // A lead waiting for or talking to a manager gets no automated nudges; the close re-arms them.
    // A customer gets none of the warm-up ones.
    if (state.handoff || state.customer) return undefined;
    // Conversations that began before follow-ups existed replay without these timers.
    if (!patched('follow-up-timers')) return undefined;
    if (state.followUpCatchUpAt) return state.followUpCatchUpAt;
    return nextFollowUp(plan, followUpMemory(), input.timeZone ?? DEFAULT_TIME_ZONE)?.dueMs;
  }

  function followUpMemory() {
    return { lastActivityMs: state.lastActivityAt ?? 0, sentThisSilence: state.followUpsThisSilence ?? [], sentEver: state.followUpsEver ?? [] };
  }

  /**
   * The lead has been silent long enough. On time: the message goes out. Late (the workers were down):
   * the lead gets a slot within the catch-up spread first, so a backlog goes out gradually, and then
   * only the latest due message, never several at once.
   */
  async function followUp(): Promise<void> {
    const current = scenario;
    const plan = current?.followUps;
    if (!current || !plan) return;
    const zone = input.timeZone ?? DEFAULT_TIME_ZONE;
    const next = nextFollowUp(plan, followUpMemory(), zone);
    if (!state.followUpCatchUpAt && next && Date.now() - next.dueMs > plan.lateAfterMinutes * 60_000) {
      state.followUpCatchUpAt = outsideQuietHours(Date.now() + catchUpOffsetMs(state.telegramUserId, plan.catchUpSpreadMinutes), plan.quietHours, zone);
      return;
    }
    state.followUpCatchUpAt = null;
    const { send: step, skipped } = dueFollowUps(plan, followUpMemory(), Date.now());
    if (!step) return;
    const ids = [...skipped, step].map((s) => s.id);
    state.followUpsThisSilence = [...(state.followUpsThisSilence ?? []), ...ids];
    state.followUpsEver = [...new Set([...(state.followUpsEver ?? []), ...ids])];
    // Editors may have changed the text from Telegram since the scenario was pinned.
    const edited = await records.templateText({ key: `follow_up.${step.id}`, language: current.language });
    const override = typeof edited === 'string' ? { text: edited } : (edited ?? {});
    await send(renderFollowUp(current, { ...step, ...override }, view()));
    await recordEvent('follow_up_sent', { id: step.id, skipped: skipped.map((s) => s.id), at: new Date().toISOString() });
  }

  /** When the next post-sale message may go out; undefined when none is due (opted out, blocked, in a manager dialog, done). */
  function postSaleDeadline(): number | undefined {
    const plan = scenario?.postSale;
    if (!plan || !state.postSale || state.optedOut || state.blocked || state.handoff) return undefined;
    return nextPostSaleAt(plan, state.postSale, input.timeZone ?? DEFAULT_TIME_ZONE) ?? undefined;
  }

  /** The latest post-sale message due goes out (older ones missed meanwhile are skipped, never sent in a burst). */
  async function postSaleMessage(): Promise<void> {
    const current = scenario;
    const progress = state.postSale;
    if (!current?.postSale || !progress) return;
    const { send: step, skipped } = duePostSale(current.postSale, progress, Date.now());
    if (!step) return;
    progress.sent = [...progress.sent, ...skipped.map((s) => s.id), step.id];
    await send(renderFollowUp(current, step, view()));
    await recordEvent('post_sale_sent', { id: step.id, skipped: skipped.map((s) => s.id), at: new Date().toISOString() });
  }

  /** 15 minutes before the consultation: a reminder with confirm / cancel buttons. */
  async function remind(bookingId: number): Promise<void> {
    state.reminder = null;
    const current = scenario;
    if (!current?.booking || state.upcoming?.id !== bookingId) return;
    const content = reminderMessage(bookingContext(current));
    if (content) await send(content);
    await records.markReminderSent({ bookingId });
    await recordEvent('reminder_sent', { bookingId });
  }

  /** A newer version of the pinned scenario, adopted only if the lead's current step exists in it. */
  async function newerScenario(current: Scenario): Promise<Scenario | undefined> {
    let loaded: Scenario;
    if (patched(SCENARIO_CANDIDATE_PATCH)) {
      // A file that does not load keeps the pinned version (retrying would hold the conversation here).
      const candidate = await records.loadScenarioCandidate(current.language);
      if (!candidate.ok) {
        log.error('the scenario file does not load; keeping the pinned version', { leadId: state.leadId, version: current.version, problem: candidate.problem });
        return undefined;
      }
      loaded = candidate.scenario;
    } else loaded = await records.loadScenario(current.language);
    const latest = withScenarioDefaults(loaded);
    const fits = latest.version > current.version && (state.step === null || state.step in latest.steps);
    return fits ? latest : undefined;
  }

  async function run(effects: Effect[]): Promise<void> {
    for (const effect of effects) await apply(effect);
  }

  async function apply(effect: Effect): Promise<void> {
    const current = scenario as Scenario;
    switch (effect.kind) {
      case 'send':
        return send(render(current, effect.stepId, effect.message, view()));
      case 'say':
        return send(renderSay(current, effect.text, view()));
      case 'sendContent':
        return send(effect.content);
      case 'moveTo':
        state.step = effect.stepId;
        return;
      case 'route': {
        const target = chooseRoute(current, effect.stepId, view());
        return target ? run(enterStep(current, target)) : undefined;
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
        return run(enterStep(current, effect.stepId));
      case 'action':
        return act(current, effect.action);
      case 'recordEvent':
        return recordEvent(effect.type, effect.payload);
      case 'notifyManagers': {
        if (!patched('manager-handoff')) return notifyManagers(`${current.texts.managersNotice}, ${effect.reason}`);
        const trigger = escalationTrigger ?? triggerOfStep(current.steps[effect.reason]?.event);
        escalationTrigger = undefined;
        return startHandoff(trigger);
      }
      case 'surveyProgress':
        state.surveyIndex = effect.index;
        state.answers = effect.answers;
        return;
      case 'surveyCompleted':
        state.segment = effect.outcome.segment;
        state.score = effect.outcome.score;
        if (state.leadId !== null) {
          await records.saveSurveyOutcome({ leadId: state.leadId, outcome: effect.outcome, answers: state.answers ?? {} });
        }
        return;
      case 'llmTurn':
        return llmTurn(current, effect.text);
      case 'askResetConfirmation':
        state.resetPending = true;
        return send(resetConfirmation(current, view()));
      case 'cancelReset':
        state.resetPending = false;
        return send(renderSay(current, current.texts.resetCancelled, view()));
      case 'resetConversation':
        return resetConversation(current);
    }
  }

  async function act(current: Scenario, action: StepAction): Promise<void> {
    switch (action.kind) {
      case 'startSurvey':
        return run(startSurvey(current));
      case 'contactForm':
        if (!current.contactForm) return;
        return runForm(startForm(current.contactForm));
      case 'book': {
        if (!current.booking || state.leadId === null) return;
        state.contact = await records.contactOf({ leadId: state.leadId });
        return runBooking(startBooking(bookingContext(current)));
      }
      case 'matchProducts': {
        if (state.leadId === null) return;
        const result = await records.matchProductsForLead({
          leadId: state.leadId,
          answers: state.answers ?? {},
          segment: state.segment ?? null,
          survey: current.survey ?? null,
          idempotencyKey: `${idPrefix()}/x${nextSequence(state)}`,
        });
        state.match = result ?? false;
        return;
      }
      case 'sendMaterials': {
        const content = await records.materialsMessage({
          language: current.language,
          segment: state.segment ?? null,
          stage: state.stage ?? null,
          limit: action.limit,
          header: current.texts.materialsHeader,
          empty: current.texts.materialsEmpty,
        });
        return send(content);
      }
      case 'answerSchedule': {
        const text = await records.scheduleAnswer({
          language: current.language,
          timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
          texts: { nextCohort: current.texts.scheduleNext, seatsLeft: current.texts.scheduleSeatsLeft, noCohort: current.texts.scheduleUnknown },
        });
        return send({ type: 'text', text });
      }
      case 'offerPayment':
        // Without a matched product (no survey yet) the managers, already told, send the link.
        if (!current.payment || !state.match) return;
        return send(paymentOffer(current.payment, state.match));
      case 'optOut':
      case 'optIn':
        state.optedOut = action.kind === 'optOut';
        if (state.leadId !== null) await records.setOptedOut({ leadId: state.leadId, optedOut: state.optedOut });
        return recordEvent(action.kind === 'optOut' ? 'opted_out' : 'opted_in');
    }
  }

  /**
   * Free text the scenario has no answer for: the model replies, the policy decides what actually
   * goes out, and any failure becomes the scenario's templated answer with buttons, never silence.
   */
  async function llmTurn(current: Scenario, leadText: string): Promise<void> {
    // Conversations started before the policy layer answered free text with the fallback step.
    if (!patched('llm-free-text') || state.leadId === null) return run(enterStep(current, current.fallback));
    const key = `${idPrefix()}/l${nextSequence(state)}`;
    const result = await llm
      .llmReply({
      leadId: state.leadId,
      language: current.language,
      leadText,
      profile: {
        firstName: state.person?.firstName,
        segment: state.segment ?? null,
        score: state.score ?? null,
        stage: state.stage ?? 'opening',
        readiness: state.readiness ?? 0,
        answers: { ...(state.answers ?? {}), ...(state.facts ?? {}) },
      },
      step: state.step ?? current.start,
      scheduleTexts: { nextCohort: current.texts.scheduleNext, seatsLeft: current.texts.scheduleSeatsLeft, noCohort: current.texts.scheduleUnknown },
      idempotencyKey: key,
      })
      .catch((error: unknown) => ({ ok: false as const, reason: failureType(error) ?? 'activity_failed', detail: 'the llm activity gave up' }));
    if (!result.ok) {
      await recordEvent('llm_fallback', { reason: result.reason });
      return run(enterStep(current, current.fallback));
    }
    const decision = applyPolicy({
      reply: result.reply,
      lead: { segment: state.segment ?? null, score: state.score ?? null, stage: (state.stage ?? 'opening') as SalesStage, readiness: state.readiness ?? 0 },
      recentActions: state.recentActions ?? [],
      previousConfidence: state.lastConfidence ?? null,
      leadText,
      language: current.language,
    });
    if (decision.stage !== state.stage) await records.saveStage({ leadId: state.leadId, stage: decision.stage });
    state.stage = decision.stage;
    state.readiness = decision.readiness;
    state.recentActions = [...(state.recentActions ?? []), decision.nextAction].slice(-5);
    state.lastConfidence = result.reply.confidence;
    state.facts = capFacts({ ...(state.facts ?? {}), ...result.reply.profileUpdates });
    await recordEvent('llm_turn', {
      intent: result.reply.intent,
      confidence: result.reply.confidence,
      proposed: result.reply.nextAction,
      nextAction: decision.nextAction,
      decisions: decision.decisions,
      escalationReasons: decision.escalationReasons,
      rewrites: decision.safety.rewrites,
      flags: decision.safety.flags,
      blocked: decision.safety.blocked,
    });
    const onlyUnsure = decision.escalate && !decision.safety.blocked && decision.escalationReasons.every((r) => CONFIDENCE_REASONS.includes(r));
    if (onlyUnsure && result.reply.intent !== 'human_request' && (await askForApproval(current, decision.reply, leadText, result.reply.confidence))) return;
    // The model second: its own reading of a purchase or a request for a human brings a manager in.
    const purchase = result.reply.intent === 'purchase' ? current.intents.find((i) => i.intent === 'purchase')?.goto : undefined;
    if (decision.escalate || result.reply.intent === 'human_request' || purchase) {
      escalationTrigger = decision.escalate && result.reply.intent !== 'human_request' ? 'model_escalation' : undefined;
      return run(enterStep(current, purchase && !decision.escalate ? purchase : current.escalationStep));
    }
    await send({ type: 'text', text: decision.reply, buttons: offerButtons(current, decision.nextAction) });
    if (decision.nextAction === 'show_materials') await act(current, { kind: 'sendMaterials', limit: 3 });
  }

  /**
   * Approval mode: an unsure draft goes to the managers' chat and the lead gets what a manager
   * decides (the draft, or the manager's own text), or the templated answer after the timeout.
   * Returns false when approval mode is off, so the caller escalates as usual.
   */
  async function askForApproval(current: Scenario, draft: string, question: string, confidence: number): Promise<boolean> {
    const settings = await records.approvalSettings();
    if (!settings.enabled || settings.chatId === null || state.leadId === null) return false;
    const { draftId } = await records.createDraft({
      leadId: state.leadId,
      telegramUserId: state.telegramUserId,
      text: draft,
      chatId: settings.chatId,
      idempotencyKey: `${idPrefix()}/d${nextSequence(state)}`,
    });
    const card = fillStaffText(STAFF_TEXTS.draftCard, {
      confidence: confidence.toFixed(2),
      who: describeLead(),
      draft,
      question: question.slice(0, 500),
      minutes: Math.round(settings.timeoutSeconds / 60),
    });
    const posted = await telegram
      .notifyManagers({
      outboundId: `${idPrefix()}/n${nextSequence(state)}`,
      leadId: state.leadId,
      text: card,
      buttons: [[
        { text: STAFF_TEXTS.approveButton, data: encodeButton(DRAFT_SCOPE, `${draftId}.ok`) },
        { text: STAFF_TEXTS.rejectButton, data: encodeButton(DRAFT_SCOPE, `${draftId}.no`) },
      ]],
      })
      .catch((error: unknown) => ({ delivered: false, messageId: undefined, failure: failureType(error) }));
    if (!posted.delivered) {
      await records.settleDraft({ draftId, status: 'expired' });
      return false; // nobody can approve it: escalate as usual
    }
    if (posted.messageId) await records.setDraftMessage({ draftId, chatMessageId: posted.messageId });
    // Never past a booking reminder: the lead's consultation matters more than the draft.
    const wait = Math.min(settings.timeoutSeconds * 1000, state.reminder ? Math.max(1, state.reminder.at - Date.now()) : Infinity);
    const decided = await condition(() => draftDecisions.has(draftId), wait);
    const decision = draftDecisions.get(draftId);
    const status = !decided || !decision ? 'expired' : decision.decision === 'approve' ? 'approved' : decision.decision === 'edit' ? 'edited' : 'rejected';
    const finalText = decision?.decision === 'edit' ? decision.text : decision?.decision === 'approve' ? draft : undefined;
    await records.settleDraft({ draftId, status, finalText, decidedBy: decision?.by });
    await recordEvent('llm_draft', { draftId, status, by: decision?.by ?? null });
    if (finalText) await send({ type: 'text', text: finalText });
    else await run(enterStep(current, current.fallback));
    return true;
  }

  async function resetConversation(current: Scenario): Promise<void> {
    // The lead's records go: an open handoff about them goes too.
    if (state.handoff) {
      await getExternalWorkflowHandle(state.handoff.workflowId)
        .cancel()
        .catch(() => undefined);
      state.handoff = null;
    }
    await records.deleteLeadData(state.telegramUserId);
    Object.assign(state, freshProfile(), { resetPending: false, step: current.start });
    const person = state.person;
    state.leadId = person ? (await records.ensureLead(person, state.chatId)).leadId : null;
    await run([{ kind: 'say', text: current.texts.resetDone }, ...enterStep(current, current.start)]);
    if (patched('reset-continues-as-new')) {
      // What the lead told the bot leaves the state too (the model's facts, a half-filled form), and
      // the old run, whose history holds their texts, closes: it goes after the namespace's retention.
      Object.assign(state, { facts: {}, form: undefined, formDeadline: null, recentActions: [], lastConfidence: null, readiness: undefined });
      erasedThisRun = true;
    }
  }

  async function send(content: OutboundContent): Promise<void> {
    if (state.blocked) return;
    const outboundId = `${idPrefix()}/m${nextSequence(state)}`;
    const editMessageId = content.type === 'text' ? replaceMessageId : undefined;
    replaceMessageId = undefined; // only the first reply replaces the pressed message
    try {
      await telegram.sendToLead({ outboundId, leadId: state.leadId, chatId: state.chatId, content, ...(editMessageId ? { editMessageId } : {}) });
    } catch (error) {
      // A refused message must not end the conversation: record why and go on.
      const type = failureType(error);
      if (type === 'TelegramBlocked') state.blocked = true;
      log.warn('message not delivered', { outboundId, type, leadId: state.leadId });
    }
  }

  async function recordEvent(type: string, payload?: Record<string, unknown>): Promise<void> {
    if (state.leadId === null) return;
    const idempotencyKey = `${idPrefix()}/e${nextSequence(state)}`;
    await records.recordLeadEvent({ leadId: state.leadId, type, payload, idempotencyKey });
  }

  /**
   * The managers take over: a handoff workflow of its own (a child that outlives continue-as-new),
   * one at a time. Until it is closed no follow-up goes out; once taken the bot falls silent.
   */
  async function startHandoff(trigger: HandoffTrigger, headline?: string): Promise<void> {
    if (state.leadId === null || !scenario) return;
    // The handoff may have died unseen (terminated, or started before a continue-as-new): ask before calling this a repeat.
    if (state.handoff && patched('handoff-checked-on-repeat')) await checkHandoff();
    if (state.handoff) {
      await recordEvent('handoff_repeated', { trigger, handoffId: state.handoff.workflowId });
      return;
    }
    state.handoffCount = (state.handoffCount ?? 0) + 1;
    // Ids from the conversation's first run: a conversation that starts over never repeats a handoff id.
    const chain = patched('handoff-id-of-chain') ? handoffChain(workflowInfo().firstExecutionRunId) : undefined;
    const workflowId = handoffWorkflowId(state.leadId, state.handoffCount, chain);
    const priority = leadPriority(state.segment, trigger);
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
            who: describeLead(),
            headline,
            segment: state.segment ?? null,
            score: state.score ?? null,
            stage: state.stage ?? null,
            product: state.match ? state.match.name : null,
            facts: { ...(state.answers ?? {}), ...(state.facts ?? {}) },
            language: scenario.language === 'en' ? 'en' : 'ru',
            timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
          },
        ],
      });
      state.handoff = { workflowId, phase: 'waiting' };
      if (patched('handoff-result-awaited')) awaitHandoff(workflowId, child.result());
    } catch (error) {
      log.error('handoff not started; the managers get a notice', { workflowId, error: String(error) });
      await notifyManagers(headline ?? `${scenario.texts.managersNotice}, ${trigger}`);
    }
  }

  /**
   * A press on the payment offer: an order and its payment workflow (which sends the link or the
   * Stars invoice), or a manager for a discount or an option the product cannot be paid with.
   */
  async function payButton(buttonId: string): Promise<void> {
    const current = scenario as Scenario;
    const texts = current.payment as NonNullable<Scenario['payment']>;
    const choice = paymentChoice(buttonId);
    if (!choice || !state.match) return run(enterStep(current, current.fallback));
    if (choice.kind === 'promo') {
      await startHandoff('discount_request');
      return send({ type: 'text', text: texts.promo });
    }
    try {
      const order = await startPayment({ telegramUserId: state.telegramUserId, productCode: state.match.code, type: choice.type, method: choice.method });
      await recordEvent('payment_started', { orderId: order.orderId, type: choice.type, method: choice.method });
    } catch (error) {
      log.warn('payment not started; a manager takes it', { leadId: state.leadId, error: error instanceof Error ? error.message : String(error) });
      await send({ type: 'text', text: texts.unavailable });
      await startHandoff('payment_started');
    }
  }

  /** Events of the handoff: taken (the bot falls silent), closed (the bot resumes with the summary), expired. */
  async function handoffEvent(event: DomainEvent): Promise<boolean> {
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
    awaitedHandoffs.delete(String(handoffId));
    if (event.name === 'handoff_ended' && event.payload?.failed === true) await handoffLost(String(handoffId), String(event.payload.how ?? 'failed'));
    // A silence starts now: follow-ups count from the close, not from before the dialog.
    state.lastActivityAt = Date.now();
    state.followUpsThisSilence = [];
    if (event.name === 'handoff_expired' || (event.name === 'handoff_ended' && event.payload?.taken !== true)) return true;
    const summary = typeof event.payload?.summary === 'string' ? event.payload.summary : '';
    if (summary) state.facts = capFacts({ ...(state.facts ?? {}), manager_dialog: summary });
    if (event.name === 'handoff_ended' && scenario && state.leadId !== null) {
      // The close itself never came (only the result did): the bot resumes as after any close.
      await run(reactToDomainEvent(scenario, 'dialog_closed'));
      return true;
    }
    return false; // the scenario says what the bot does next (after_manager)
  }

  /**
   * Awaits a handoff this run started: however it ends (closed, failed, cancelled, terminated), the
   * conversation gets a `handoff_ended` event, so the lead is never left waiting for a dialog that is gone.
   */
  function awaitHandoff(workflowId: string, result: Promise<HandoffResult>): void {
    awaitedHandoffs.add(workflowId);
    const ended = (payload: Record<string, unknown>) => {
      const event: DomainEvent = { id: `${workflowId}/ended`, name: 'handoff_ended', payload: { handoffId: workflowId, ...payload } };
      if (rememberDomainEvent(state, event.id)) domainEvents.push(event);
    };
    result.then(
      (done) => ended({ outcome: done.outcome, summary: done.summary, taken: done.taken === true }),
      (error: unknown) => ended({ failed: true, how: isCancellation(error) ? 'cancelled' : error instanceof ChildWorkflowFailure && error.cause instanceof TerminatedFailure ? 'terminated' : 'failed' }),
    );
  }

  /** When to ask whether an open handoff this run cannot await still runs. */
  function handoffCheckDeadline(): number | undefined {
    if (!state.handoff || awaitedHandoffs.has(state.handoff.workflowId)) return undefined;
    return patched('handoff-liveness-check') ? handoffCheckAt : undefined;
  }

  /** An open handoff this run does not await: if it no longer runs, it ended unseen (terminated) and is cleared. */
  async function checkHandoff(): Promise<void> {
    handoffCheckAt = Date.now() + HANDOFF_CHECK_MS;
    const open = state.handoff;
    if (!open) return;
    if ((await records.handoffRunning({ workflowId: open.workflowId })) !== 'ended') return;
    state.handoff = null;
    Object.assign(state, { lastActivityAt: Date.now(), followUpsThisSilence: [] });
    await handoffLost(open.workflowId, 'ended unseen');
  }

  /** A handoff that ended without closing: its row closed, the lead back with the bot, the managers told. */
  async function handoffLost(workflowId: string, how: string): Promise<void> {
    await records.handoffAbandoned({ workflowId, reason: `handoff ${how}` });
    await recordEvent('handoff_lost', { handoffId: workflowId, how });
    await notifyManagers(`диалог с менеджером прерван (${how}); бот снова отвечает лиду. Если нужен менеджер, лид может позвать его снова.`);
  }

  /** Passes the lead's message to the handoff; false if the handoff is gone, so the bot answers it. */
  async function relayToManager(handoffId: string, event: InboundEvent): Promise<boolean> {
    const media = event.kind === 'other' && !event.contact;
    try {
      await getExternalWorkflowHandle(handoffId).signal(leadMessageSignal, {
        updateId: event.updateId,
        chatId: event.chatId,
        messageId: 'messageId' in event && event.messageId !== undefined ? event.messageId : null,
        text: describeInbound(event),
        media,
      });
      return true;
    } catch (error) {
      log.warn('handoff gone; the bot answers', { handoffId, error: String(error) });
      // Its close (with the summary) may already be queued: handle it first rather than lose it.
      const closing = patched('handoff-relay-keeps-close') ? domainEvents.findIndex((e) => e.payload?.handoffId === handoffId && e.name !== 'dialog_taken' && HANDOFF_EVENTS.includes(e.name)) : -1;
      if (closing >= 0) await handleDomainEvent(domainEvents.splice(closing, 1)[0]);
      else state.handoff = null;
      return false;
    }
  }

  /** Who the lead is, for the managers: name, @username, id, segment and score. */
  function describeLead(): string {
    const person = state.person;
    const who = person
      ? [person.firstName, person.lastName, person.username && `@${person.username}`].filter(Boolean).join(' ')
      : `id ${state.telegramUserId}`;
    const profile = state.segment ? `, ${state.segment} ${state.score ?? ''}`.trimEnd() : '';
    return `${who} (id ${state.telegramUserId})${profile}`;
  }

  /** Tells the managers' chat something about this lead, who the lead is first. */
  async function notifyManagers(what: string): Promise<void> {
    const text = `${describeLead()}: ${what}`;
    try {
      await telegram.notifyManagers({ outboundId: `${idPrefix()}/n${nextSequence(state)}`, leadId: state.leadId, text });
    } catch (error) {
      log.error('managers notice failed', { type: failureType(error), leadId: state.leadId });
    }
  }

  function view(): ConversationView {
    return {
      step: state.step ?? '',
      resetPending: state.resetPending,
      firstName: state.person?.firstName,
      segment: state.segment ?? null,
      score: state.score ?? null,
      answers: state.answers ?? {},
      surveyIndex: state.surveyIndex ?? null,
      match: state.match ?? null,
      stage: state.stage ?? 'opening',
      nowMs: Date.now(),
      timeZone: input.timeZone ?? DEFAULT_TIME_ZONE,
    };
  }
}

/** Facts the model learned travel with the state and into every prompt: keep them small. */
function capFacts(facts: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(facts)
      .slice(-MAX_FACTS)
      .map(([key, value]) => [key.slice(0, 40), String(value).slice(0, 200)]),
  );
}

/** Ids made here are unique for the whole continue-as-new chain, and differ from an older chain with the same workflow id. */
function idPrefix(): string {
  const info = workflowInfo();
  return `${info.workflowId}/${info.firstExecutionRunId}`;
}

/** The failure's type when an activity failed; anything else (cancellation, a bug) is not ours to swallow. */
function failureType(error: unknown): string | undefined {
  if (error instanceof ActivityFailure) return error.cause instanceof ApplicationFailure ? (error.cause.type ?? 'unknown') : (error.cause?.name ?? 'unknown');
  throw error;
}
