import {
  allHandlersFinished,
  CancellationScope,
  condition,
  ContinueAsNew,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { HandoffActivities } from '../../activities/handoff';
import type { LeadsActivities } from '../../activities/leads';
import type { TelegramActivities } from '../../activities/telegram';
import { encodeButton } from '../../domain/callback-data';
import type { OutboundButton, OutboundContent } from '../../domain/conversation';
import { dialogSummary, HANDOFF_SCOPE, honestWait, SILENCE_CLOSE_MS, TAKE_SLA_MS, type CardAction, type HandoffOutcome } from '../../domain/handoff';
import { domainEventSignal, type DomainEvent } from '../lead-conversation/contract';
import {
  closeDialogUpdate,
  handoffStateQuery,
  leadMessageSignal,
  managerReplySignal,
  passDialogUpdate,
  releaseDialogSignal,
  salesScriptUpdate,
  takeLeadUpdate,
  type CloseRequest,
  type HandoffCarriedOver,
  type HandoffResult,
  type LeadMessage,
  type ManagerHandoffInput,
  type ManagerReply,
  type TakeRequest,
  type TakeResult,
} from './contract';
import { freshHandoff, noteText, PENDING_KEPT } from './state';

const telegram = proxyActivities<TelegramActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

/** The card's buttons are cosmetic: a few tries, then the dialog goes on without them. */
const cardEdits = proxyActivities<Pick<TelegramActivities, 'editButtons'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
});

const records = proxyActivities<HandoffActivities & Pick<LeadsActivities, 'recordLeadEvent'>>({
  startToCloseTimeout: '30s',
  // Postgres being down delays the handoff, never drops it.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

type Relay = HandoffCarriedOver['pending'][number];

/**
 * One escalation of a lead to the managers: the card, the take (one current staff member only), the
 * relay both ways, the SLA and the silence timers, the close. The lead's conversation is told when the
 * dialog is taken (the bot falls silent) and when it ends, however it ends (the bot resumes with the
 * summary). A holder who loses their role gives the dialog back to the queue. Continues-as-new when
 * Temporal suggests it, carrying the dialog's state.
 */
export async function managerHandoffWorkflow(input: ManagerHandoffInput): Promise<HandoffResult> {
  const workflowId = workflowInfo().workflowId;
  const key = workflowId.slice('handoff-'.length);
  const s: HandoffCarriedOver = input.carriedOver ?? freshHandoff(Date.now(), TAKE_SLA_MS, SILENCE_CLOSE_MS);
  let closed = false;
  let closeRequest: CloseRequest | null = null;
  let outcome: HandoffOutcome | null = null;
  let released: { managerId: number; reason: string } | null = null;
  /** A pass to another manager the flow has not told anyone about yet. */
  let passed: { from: TakeRequest; to: TakeRequest } | null = null;
  let relaysThisRun = 0;
  const relays: Relay[] = [...s.pending];
  const lead = { count: s.leadCount, texts: s.leadTexts };
  const managers = { count: s.managerCount, texts: s.managerTexts };
  /** Messages for the lead from someone who does not hold the dialog: refused, recorded. */
  const refused: { managerId: number; reason: string }[] = [];
  /** The holder's messages that came while the dialog was closing: the holder is told they did not go out. */
  const undelivered: ManagerReply[] = [];

  // The take is decided synchronously once the taker is known to be staff: of two managers pressing at
  // once, the first one past the check takes it and the second sees it taken. Side effects follow in the flow.
  setHandler(takeLeadUpdate, async (request): Promise<TakeResult> => {
    if (status() === 'waiting' && patched('handoff-take-checks-staff')) {
      const check = await records.staffMayTake({ workflowId, telegramUserId: request.managerId, leadTelegramId: input.telegramUserId });
      if (!check.allowed) return { taken: false, heldBy: null, closed: false, refused: 'not_staff' };
    }
    return takeResult(request);
  });
  setHandler(closeDialogUpdate, (request) => {
    if (closed || closeRequest) return { closed: false, why: 'диалог уже закрыт' };
    if (s.status === 'waiting') return { closed: false, why: 'лид ещё не взят' };
    if (request.managerId !== s.manager?.managerId) return { closed: false, why: `лида ведёт ${s.manager?.managerName ?? 'другой менеджер'}` };
    closeRequest = request;
    return { closed: true };
  });
  // The new holder is checked first; the dialog changes hands synchronously after it, as a take does.
  setHandler(passDialogUpdate, async (request) => {
    const refusal = () => (closed || closeRequest || s.status !== 'taken' ? 'диалог не в работе' : s.manager?.managerId !== request.fromManagerId ? 'вы не ведёте этот диалог' : null);
    const early = refusal() ?? (request.to.managerId === request.fromManagerId ? 'диалог уже у вас' : null);
    if (early) return { passed: false, why: early };
    const check = await records.staffMayTake({ workflowId, telegramUserId: request.to.managerId, leadTelegramId: input.telegramUserId });
    if (!check.allowed) return { passed: false, why: 'получатель не сотрудник с ролью менеджера' };
    const late = refusal();
    if (late || !s.manager) return { passed: false, why: late ?? 'диалог не в работе' };
    passed = { from: s.manager, to: request.to };
    s.manager = request.to;
    s.lastActivityAt = Date.now();
    return { passed: true };
  });
  setHandler(salesScriptUpdate, async () => {
    const { script } = await records.salesScript({
      leadId: input.leadId,
      facts: { firstName: input.who.split(' ')[0] ?? null, segment: input.segment, score: input.score, stage: input.stage, product: input.product, trigger: input.trigger, facts: input.facts },
    });
    return script;
  });
  setHandler(managerReplySignal, (reply) => {
    const holder = reply.managerId === s.manager?.managerId;
    if (!closed && s.status === 'taken' && holder) relays.push({ from: 'manager', message: reply });
    else if (closed && holder && patched('handoff-late-reply-told')) undelivered.push(reply);
    else if (patched('handoff-refused-relays-recorded')) refused.push({ managerId: reply.managerId, reason: s.manager ? 'not the holder of this dialog' : 'nobody holds this dialog' });
  });
  setHandler(leadMessageSignal, (message) => {
    relays.push({ from: 'lead', message });
  });
  // A signal: the bot that removed the person needs no answer. A close the holder already asked for still wins.
  setHandler(releaseDialogSignal, (release) => {
    if (closed || closeRequest || s.status !== 'taken' || s.manager?.managerId !== release.managerId) return;
    released = release;
    s.lastHolder = s.manager.managerName;
    s.status = 'waiting';
    s.manager = null;
  });
  setHandler(handoffStateQuery, () => ({
    status: closed ? 'closed' : s.status,
    managerId: s.manager?.managerId ?? null,
    managerName: s.manager?.managerName ?? null,
    escalated: s.escalated,
    relayed: { fromLead: lead.count, fromManager: managers.count },
    outcome,
  }));

  try {
    if (!input.carriedOver) {
      await records.openHandoff({ workflowId, leadId: input.leadId, trigger: input.trigger, priority: input.priority });
      await event('handoff_created', { trigger: input.trigger, priority: input.priority });
      // Opened by a manager from the lead card: taken by them from the start, if they are staff now.
      if (input.takenBy) return await openedByManager(input.takenBy);
      await announce(false);
      // The timers count from the card the managers see.
      Object.assign(s, { slaAt: Date.now() + TAKE_SLA_MS, expireAt: Date.now() + SILENCE_CLOSE_MS, lastActivityAt: Date.now() });
    }
    return await dialog();
  } catch (error) {
    if (error instanceof ContinueAsNew || closed || !patched('handoff-end-always-told')) throw error;
    // Failed or cancelled: the conversation must learn it, or the lead waits for a dialog that is gone.
    await CancellationScope.nonCancellable(() => endedWithoutClose(isCancellation(error) ? 'cancelled' : 'failed'));
    throw error;
  }

  /** "Take dialog" on the lead card: the same checks as a Take (staff now, not the lead), then the dialog as after any take. */
  async function openedByManager(by: TakeRequest): Promise<HandoffResult> {
    const check = await records.staffMayTake({ workflowId, telegramUserId: by.managerId, leadTelegramId: input.telegramUserId });
    if (!check.allowed) return finish('cancelled', 'opened by someone who is not staff');
    takeResult(by);
    await taken(by);
    return dialog();
  }

  async function dialog(): Promise<HandoffResult> {
    for (;;) {
      if (s.status === 'waiting') {
        if (!(await waitForTake())) return finish('timeout', null);
        await taken(holder());
      }
      for (;;) {
        await continueIfDue();
        const quietFor = s.lastActivityAt + SILENCE_CLOSE_MS - Date.now();
        const woken = await condition(() => relays.length > 0 || closeRequest !== null || status() !== 'taken' || refused.length > 0 || passed !== null || timeToContinue(), Math.max(1, quietFor));
        if (!woken) return finish('timeout', null);
        await handedOver();
        await relayPending();
        await recordRefused();
        if (status() === 'waiting') {
          await backToQueue();
          break;
        }
        const close = pendingClose();
        if (close) return finish(close.outcome, close.reason);
      }
    }
  }

  /** Waits for a take; escalates once the SLA runs out; false when nobody took the lead before it expired. */
  async function waitForTake(): Promise<boolean> {
    for (;;) {
      if (!s.escalated && Date.now() >= s.slaAt) await escalate();
      const until = s.escalated ? s.expireAt : s.slaAt;
      const woken = await condition(() => status() !== 'waiting' || refused.length > 0, Math.max(1, until - Date.now()));
      await recordRefused();
      if (status() !== 'waiting') return true;
      if (!woken && s.escalated) return false;
    }
  }

  // Handlers change these behind the flow's back; reading through a function keeps TypeScript honest.
  function status(): 'waiting' | 'taken' {
    return s.status;
  }

  function holder(): TakeRequest {
    return s.manager as TakeRequest;
  }

  function pendingClose(): CloseRequest | null {
    return closeRequest;
  }

  function takeResult(request: TakeRequest): TakeResult {
    if (closed || s.status !== 'waiting') return { taken: false, heldBy: s.manager?.managerName ?? null, closed };
    s.status = 'taken';
    s.manager = request;
    s.lastActivityAt = Date.now();
    return { taken: true };
  }

  function timeToContinue(): boolean {
    return workflowInfo().continueAsNewSuggested || relaysThisRun >= (input.maxRelaysPerRun ?? Infinity);
  }

  /** A long dialog starts a fresh history, carrying its state; a close or a release waiting to be handled goes first. */
  async function continueIfDue(): Promise<void> {
    if (!timeToContinue() || !patched('handoff-continue-as-new')) return;
    await condition(allHandlersFinished);
    if (closeRequest || released || passed || status() !== 'taken' || refused.length > 0) return;
    const carried: HandoffCarriedOver = { ...s, leadCount: lead.count, leadTexts: lead.texts, managerCount: managers.count, managerTexts: managers.texts, pending: relays.slice(-PENDING_KEPT) };
    await continueAsNew<typeof managerHandoffWorkflow>({ ...input, carriedOver: carried });
  }

  /** Posts the lead card to the managers' chat (again, louder, when the SLA ran out). */
  async function announce(again: boolean): Promise<void> {
    const text = await records.leadCard(input);
    // The post is the last step before the timers: nothing trails the card the managers see.
    await event('handoff_announced', { again });
    const posted = await telegram
      .notifyManagers({
        // A dialog back in the queue is announced again under ids of its own round.
        outboundId: `${workflowId}/card${again ? '-again' : ''}${s.rounds > 0 ? `-${s.rounds}` : ''}`,
        leadId: input.leadId,
        text: again ? `⏰ Лида не взяли за 15 минут!\n${text}` : text,
        buttons: takeButtons(),
      })
      .catch((error: unknown) => {
        log.error('lead card not posted', { workflowId, error: String(error) });
        return { delivered: false, chatId: undefined, messageId: undefined };
      });
    if (posted.delivered && posted.chatId !== undefined && posted.messageId !== undefined) s.card = { chatId: posted.chatId, messageId: posted.messageId };
  }

  /** Nobody took the lead within the SLA: the card again, the admins told, the lead told the honest wait. */
  async function escalate(): Promise<void> {
    s.escalated = true;
    const admins = await records.escalationTargets({ workflowId });
    await event('handoff_escalated', { admins });
    await announce(true);
    for (const admin of admins) {
      await toStaff(admin, `⏰ Лид ${input.who} ждёт менеджера больше 15 минут (приоритет ${input.priority}). Карточка — в чате менеджеров.`);
    }
    await toLead({ type: 'text', text: honestWait(Date.now(), input.timeZone, input.language) }, 'out');
  }

  async function taken(by: TakeRequest): Promise<void> {
    await records.handoffTaken({ workflowId, managerId: by.managerId, managerName: by.managerName });
    await event('handoff_taken', { by: by.managerId, name: by.managerName });
    await tellLeadWorkflow('taken', { handoffId: workflowId, manager: by.managerName });
    await editCard(heldButtons(by.managerName));
    const cardText = await records.leadCard(input);
    const delivered = await toStaff(
      by.managerId,
      `✅ Вы взяли лида.\n${cardText}\n\nОтвечайте ответом (reply) на его сообщения или командой /r ${input.leadId} текст. Закрыть: /close ${input.leadId} done|paid|cancelled причина`,
    );
    if (!delivered) {
      await telegram
        .notifyManagers({ outboundId: `${workflowId}/no-private${s.rounds > 0 ? `-${s.rounds}` : ''}`, leadId: input.leadId, text: `${by.managerName}, откройте личный чат с ботом (/start), чтобы получать сообщения лида ${input.who}.` })
        .catch(() => undefined);
    }
  }

  /** The dialog was passed to another manager: recorded, the new holder gets the card, the old one is told, the card shows who has it. */
  async function handedOver(): Promise<void> {
    const pass: { from: TakeRequest; to: TakeRequest } | null = passed;
    passed = null;
    if (!pass || !patched('handoff-pass')) return;
    await records.handoffTaken({ workflowId, managerId: pass.to.managerId, managerName: pass.to.managerName });
    await event('handoff_passed', { from: pass.from.managerId, to: pass.to.managerId, name: pass.to.managerName });
    await editCard(heldButtons(pass.to.managerName));
    const cardText = await records.leadCard(input);
    await toStaff(
      pass.to.managerId,
      `➡️ ${pass.from.managerName} передал вам лида.\n${cardText}\n\nОтвечайте ответом (reply) на его сообщения или командой /r ${input.leadId} текст. Закрыть: /close ${input.leadId} done|paid|cancelled причина`,
    );
    await toStaff(pass.from.managerId, `➡️ Диалог с лидом ${input.who} передан: ${pass.to.managerName}.`);
  }

  /** The holder lost their role: the dialog waits for the next taker, the card offers Take again, the SLA runs again. */
  async function backToQueue(): Promise<void> {
    const from: { managerId: number; reason: string } | null = released;
    released = null;
    if (!from) return;
    s.rounds += 1;
    Object.assign(s, { escalated: false, slaAt: Date.now() + TAKE_SLA_MS, expireAt: Date.now() + SILENCE_CLOSE_MS });
    await records.handoffReleased({ workflowId, managerId: from.managerId, reason: from.reason });
    await event('handoff_released', { from: from.managerId, reason: from.reason });
    // A dialog a manager opened from the lead card had no card in the queue yet: it gets one now.
    if (!s.card && input.takenBy && patched('handoff-returned-announced')) await announce(false);
    else await editCard(takeButtons());
  }

  /** Relays what came in order; while nobody holds the dialog the lead's messages wait for the next taker. */
  async function relayPending(): Promise<void> {
    while (relays.length > 0) {
      if (relays[0].from === 'lead' && !closed && status() === 'waiting') return;
      const next = relays.shift() as Relay;
      s.lastActivityAt = Date.now();
      relaysThisRun += 1;
      if (next.from === 'lead') await relayFromLead(next.message);
      else await relayFromManager(next.message);
    }
  }

  async function relayFromLead(message: LeadMessage): Promise<void> {
    noteText(lead, message.text);
    const to = s.manager;
    if (!to) return;
    const header = `💬 ${input.who}:`;
    const outboundId = `${workflowId}/r${++s.sequence}`;
    const sent =
      message.media && message.messageId !== null
        ? telegram.copyMessage({ outboundId, leadId: input.leadId, fromChatId: message.chatId, messageId: message.messageId, chatId: to.managerId, caption: message.caption ? `${header}\n${message.caption}`.slice(0, 1024) : header, toStaff: true })
        : telegram.sendToLead({ outboundId, leadId: input.leadId, chatId: to.managerId, content: { type: 'text', text: `${header}\n${message.text}` }, toStaff: true });
    const ok = await sent.then(() => true).catch(() => false);
    await event('message_relayed', { from: 'lead', to: to.managerId, delivered: ok });
  }

  async function relayFromManager(reply: ManagerReply): Promise<void> {
    const first = managers.count === 0;
    noteText(managers, reply.text);
    const outboundId = `${workflowId}/r${++s.sequence}`;
    const sent = reply.media
      ? telegram.copyMessage({ outboundId, leadId: input.leadId, fromChatId: reply.chatId, messageId: reply.messageId, chatId: input.leadChatId, direction: 'manager' })
      : telegram.sendToLead({ outboundId, leadId: input.leadId, chatId: input.leadChatId, content: { type: 'text', text: reply.text }, direction: 'manager' });
    const ok = await sent.then(() => true).catch(() => false);
    if (first) await records.leadInDialog({ leadId: input.leadId });
    await event('message_relayed', { from: 'manager', by: reply.managerId, delivered: ok });
    if (!ok) await toStaff(reply.managerId, `⚠️ Сообщение не доставлено лиду ${input.who}: возможно, он заблокировал бота.`);
  }

  /** Messages for the lead from someone who does not hold the dialog: nothing goes out, each is recorded. */
  async function recordRefused(): Promise<void> {
    for (let next = refused.shift(); next; next = refused.shift()) {
      await records.relayRefused({ workflowId, telegramUserId: next.managerId, reason: next.reason });
    }
  }

  async function finish(how: HandoffOutcome, reason: string | null): Promise<HandoffResult> {
    closed = true;
    outcome = how;
    const manager = s.manager;
    const summary = dialogSummary({ manager: manager?.managerName ?? s.lastHolder, outcome: how, reason, leadTexts: lead.texts, managerTexts: managers.texts, leadCount: lead.count, managerCount: managers.count });
    await records.handoffClosed({ workflowId, outcome: how, reason, summary, wasTaken: manager !== null });
    await event('handoff_closed', { outcome: how, reason, by: closeRequest?.managerId ?? null });
    // The conversation first: nothing that may fail (the card, a message to the manager) stands before it.
    const tellFirst = patched('handoff-tell-before-card');
    if (tellFirst) await tellLeadWorkflow(manager ? 'closed' : 'expired', { handoffId: workflowId, outcome: how, summary });
    await editCard([[button(`🔒 Закрыт: ${how}${manager ? `, ${manager.managerName}` : ''}`, 'open')]]);
    if (manager) await toStaff(manager.managerId, `🔒 Диалог с лидом ${input.who} закрыт (${how}). Бот снова отвечает лиду.`);
    if (!tellFirst) await tellLeadWorkflow(manager ? 'closed' : 'expired', { handoffId: workflowId, outcome: how, summary });
    // A lead message that crossed the close still reaches the manager, never the void; a manager's
    // message that crossed it does not reach the lead, and the manager is told so.
    await condition(allHandlersFinished);
    await relayPending();
    await recordRefused();
    for (const reply of undelivered.splice(0)) {
      await toStaff(reply.managerId, `⚠️ Не доставлено лиду ${input.who}: диалог уже закрыт (${how}). «${reply.text.slice(0, 200)}»`);
    }
    return { outcome: how, summary, taken: manager !== null };
  }

  /** The handoff failed or was cancelled before it closed: the conversation is told, the row closed, the card and the holder told if they can be. */
  async function endedWithoutClose(how: 'failed' | 'cancelled'): Promise<void> {
    closed = true;
    await tellLeadWorkflow('ended', { handoffId: workflowId, failed: true, how, taken: s.manager !== null });
    await records.handoffAbandoned({ workflowId, reason: `handoff ${how}` });
    await editCard([[button(`🔒 Закрыт: ${how === 'failed' ? 'сбой' : 'отменён'}`, 'open')]]);
    const manager = s.manager;
    if (manager) {
      // Not under the lead: a cancelled handoff may be a reset whose lead is gone.
      await telegram
        .sendToLead({ outboundId: `${workflowId}/s${++s.sequence}`, leadId: null, chatId: manager.managerId, content: { type: 'text', text: `🔒 Диалог с лидом ${input.who} прерван (${how}). Бот снова отвечает лиду.` }, toStaff: true })
        .catch(() => undefined);
    }
  }

  /** Tells the lead's conversation; a conversation that is gone (reset, terminated) is only logged. */
  async function tellLeadWorkflow(what: 'taken' | 'closed' | 'expired' | 'ended', payload: Record<string, unknown>): Promise<void> {
    const names = { taken: 'dialog_taken', closed: 'dialog_closed', expired: 'handoff_expired', ended: 'handoff_ended' } as const;
    const domainEvent: DomainEvent = { id: `${workflowId}/${what}`, name: names[what], payload };
    await getExternalWorkflowHandle(input.leadWorkflowId)
      .signal(domainEventSignal, domainEvent)
      .catch((error: unknown) => log.warn('lead conversation not told', { workflowId, what, error: String(error) }));
  }

  /** The card's buttons show where the dialog stands; an edit that fails leaves them as they were. */
  async function editCard(buttons: OutboundButton[][]): Promise<void> {
    const card = s.card;
    if (!card) return;
    await cardEdits.editButtons({ ...card, buttons }).catch((error: unknown) => log.warn('card buttons not changed', { workflowId, error: String(error) }));
  }

  async function toLead(content: OutboundContent, direction: 'out' | 'manager'): Promise<void> {
    await telegram
      .sendToLead({ outboundId: `${workflowId}/l${++s.sequence}`, leadId: input.leadId, chatId: input.leadChatId, content, direction })
      .catch((error: unknown) => log.warn('message to the lead not delivered', { workflowId, error: String(error) }));
  }

  /** A private message to a staff member about this lead; false when it could not be delivered. */
  async function toStaff(chatId: number, text: string): Promise<boolean> {
    return telegram
      .sendToLead({ outboundId: `${workflowId}/s${++s.sequence}`, leadId: input.leadId, chatId, content: { type: 'text', text }, toStaff: true })
      .then(() => true)
      .catch(() => false);
  }

  async function event(type: string, payload: Record<string, unknown>): Promise<void> {
    await records.recordLeadEvent({ leadId: input.leadId, type, payload: { ...payload, handoffId: workflowId, at: new Date().toISOString() }, idempotencyKey: `${workflowId}/e${++s.sequence}` });
  }

  /** The card of a taken dialog: who has it, the script, and (since the patch) Pass for the holder. */
  function heldButtons(holder: string): OutboundButton[][] {
    const rows = [[button(`✅ Взял: ${holder}`, 'open')], [button('📋 Скрипт продаж', 'script')]];
    // A new button on the card: older histories edited the card without it.
    if (patched('handoff-card-pass')) rows.push([button('➡️ Передать', 'pass')]);
    return rows;
  }

  function takeButtons(): OutboundButton[][] {
    return [[button('🙋 Взять', 'take'), button('💬 Открыть диалог', 'open')], [button('📋 Скрипт продаж', 'script')]];
  }

  function button(text: string, action: CardAction): OutboundButton {
    return { text, data: encodeButton(HANDOFF_SCOPE, `${key}.${action}`) };
  }
}
