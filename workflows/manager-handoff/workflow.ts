import { allHandlersFinished, condition, getExternalWorkflowHandle, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
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
  salesScriptUpdate,
  takeLeadUpdate,
  type CloseRequest,
  type HandoffResult,
  type LeadMessage,
  type ManagerHandoffInput,
  type ManagerReply,
  type TakeRequest,
} from './contract';

const telegram = proxyActivities<TelegramActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

const records = proxyActivities<HandoffActivities & Pick<LeadsActivities, 'recordLeadEvent'>>({
  startToCloseTimeout: '30s',
  // Postgres being down delays the handoff, never drops it.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
});

type Relay = { from: 'lead'; message: LeadMessage } | { from: 'manager'; message: ManagerReply };

/**
 * One escalation of a lead to the managers: the card, the take (one manager only), the relay both
 * ways, the SLA and the silence timers, the close. The lead's conversation is told when the dialog
 * is taken (the bot falls silent) and when it closes (the bot resumes with the summary).
 */
export async function managerHandoffWorkflow(input: ManagerHandoffInput): Promise<HandoffResult> {
  const workflowId = workflowInfo().workflowId;
  const key = workflowId.slice('handoff-'.length);
  let status: 'waiting' | 'taken' | 'closed' = 'waiting';
  let manager: TakeRequest | null = null;
  let closeRequest: CloseRequest | null = null;
  let outcome: HandoffOutcome | null = null;
  let escalated = false;
  let lastActivityAt = Date.now();
  let card: { chatId: number; messageId: number } | null = null;
  let sequence = 0;
  const relays: Relay[] = [];
  const leadTexts: string[] = [];
  const managerTexts: string[] = [];

  // The take is decided synchronously in the handler: of two managers pressing at once, the first
  // one's update runs first and the second sees the lead taken. The side effects follow in the main flow.
  setHandler(takeLeadUpdate, (request): ReturnType<typeof takeResult> => takeResult(request));
  setHandler(closeDialogUpdate, (request) => {
    if (status === 'waiting') return { closed: false, why: 'лид ещё не взят' };
    if (status === 'closed' || closeRequest) return { closed: false, why: 'диалог уже закрыт' };
    if (request.managerId !== manager?.managerId) return { closed: false, why: `лида ведёт ${manager?.managerName ?? 'другой менеджер'}` };
    closeRequest = request;
    return { closed: true };
  });
  setHandler(salesScriptUpdate, async () => {
    const { script } = await records.salesScript({
      leadId: input.leadId,
      facts: { firstName: input.who.split(' ')[0] ?? null, segment: input.segment, score: input.score, stage: input.stage, product: input.product, trigger: input.trigger, facts: input.facts },
    });
    return script;
  });
  setHandler(managerReplySignal, (reply) => {
    if (status === 'taken' && reply.managerId === manager?.managerId) relays.push({ from: 'manager', message: reply });
  });
  setHandler(leadMessageSignal, (message) => {
    relays.push({ from: 'lead', message });
  });
  setHandler(handoffStateQuery, () => ({
    status,
    managerId: manager?.managerId ?? null,
    managerName: manager?.managerName ?? null,
    escalated,
    relayed: { fromLead: leadTexts.length, fromManager: managerTexts.length },
    outcome,
  }));

  await records.openHandoff({ workflowId, leadId: input.leadId, trigger: input.trigger, priority: input.priority });
  await event('handoff_created', { trigger: input.trigger, priority: input.priority });
  await announce(false);

  if (!(await condition(() => status !== 'waiting', TAKE_SLA_MS))) await escalate();
  if (!(await condition(() => status !== 'waiting', SILENCE_CLOSE_MS - TAKE_SLA_MS))) return finish('timeout', null);
  await taken(holder());

  for (;;) {
    const quietFor = lastActivityAt + SILENCE_CLOSE_MS - Date.now();
    if (!(await condition(() => relays.length > 0 || closeRequest !== null, Math.max(1, quietFor)))) return finish('timeout', null);
    await relayPending();
    const close = pendingClose();
    if (close) return finish(close.outcome, close.reason);
  }

  // Handlers change these behind the flow's back; reading through a function keeps TypeScript honest.
  function holder(): TakeRequest {
    return manager as TakeRequest;
  }

  function pendingClose(): CloseRequest | null {
    return closeRequest;
  }

  function takeResult(request: TakeRequest) {
    if (status !== 'waiting') return { taken: false as const, heldBy: manager?.managerName ?? null, closed: status === 'closed' };
    status = 'taken';
    manager = request;
    lastActivityAt = Date.now();
    return { taken: true as const };
  }

  /** Posts the lead card to the managers' chat (again, louder, when the SLA ran out). */
  async function announce(again: boolean): Promise<void> {
    const text = await records.leadCard(input);
    // The post is the last step before the timers: nothing trails the card the managers see.
    await event('handoff_announced', { again });
    const posted = await telegram
      .notifyManagers({
        outboundId: `${workflowId}/card${again ? '-again' : ''}`,
        leadId: input.leadId,
        text: again ? `⏰ Лида не взяли за 15 минут!\n${text}` : text,
        buttons: [[button('🙋 Взять', 'take'), button('💬 Открыть диалог', 'open')], [button('📋 Скрипт продаж', 'script')]],
      })
      .catch((error: unknown) => {
        log.error('lead card not posted', { workflowId, error: String(error) });
        return { delivered: false, chatId: undefined, messageId: undefined };
      });
    if (posted.delivered && posted.chatId !== undefined && posted.messageId !== undefined) card = { chatId: posted.chatId, messageId: posted.messageId };
  }

  /** Nobody took the lead within the SLA: the card again, the admins told, the lead told the honest wait. */
  async function escalate(): Promise<void> {
    escalated = true;
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
    if (card) await telegram.editButtons({ ...card, buttons: [[button(`✅ Взял: ${by.managerName}`, 'open')], [button('📋 Скрипт продаж', 'script')]] });
    const cardText = await records.leadCard(input);
    const delivered = await toStaff(
      by.managerId,
      `✅ Вы взяли лида.\n${cardText}\n\nОтвечайте ответом (reply) на его сообщения или командой /r ${input.leadId} текст. Закрыть: /close ${input.leadId} done|paid|cancelled причина`,
    );
    if (!delivered) {
      await telegram
        .notifyManagers({ outboundId: `${workflowId}/no-private`, leadId: input.leadId, text: `${by.managerName}, откройте личный чат с ботом (/start), чтобы получать сообщения лида ${input.who}.` })
        .catch(() => undefined);
    }
  }

  async function relayPending(): Promise<void> {
    for (let next = relays.shift(); next; next = relays.shift()) {
      lastActivityAt = Date.now();
      if (next.from === 'lead') await relayFromLead(next.message);
      else await relayFromManager(next.message);
    }
  }

  async function relayFromLead(message: LeadMessage): Promise<void> {
    leadTexts.push(message.text);
    if (!manager) return;
    const header = `💬 ${input.who}:`;
    const outboundId = `${workflowId}/r${++sequence}`;
    const sent =
      message.media && message.messageId !== null
        ? telegram.copyMessage({ outboundId, leadId: input.leadId, fromChatId: message.chatId, messageId: message.messageId, chatId: manager.managerId, caption: header, toStaff: true })
        : telegram.sendToLead({ outboundId, leadId: input.leadId, chatId: manager.managerId, content: { type: 'text', text: `${header}\n${message.text}` }, toStaff: true });
    const ok = await sent.then(() => true).catch(() => false);
    await event('message_relayed', { from: 'lead', to: manager.managerId, delivered: ok });
  }

  async function relayFromManager(reply: ManagerReply): Promise<void> {
    const first = managerTexts.length === 0;
    managerTexts.push(reply.text);
    const outboundId = `${workflowId}/r${++sequence}`;
    const sent = reply.media
      ? telegram.copyMessage({ outboundId, leadId: input.leadId, fromChatId: reply.chatId, messageId: reply.messageId, chatId: input.leadChatId, direction: 'manager' })
      : telegram.sendToLead({ outboundId, leadId: input.leadId, chatId: input.leadChatId, content: { type: 'text', text: reply.text }, direction: 'manager' });
    const ok = await sent.then(() => true).catch(() => false);
    if (first) await records.leadInDialog({ leadId: input.leadId });
    await event('message_relayed', { from: 'manager', by: reply.managerId, delivered: ok });
    if (!ok) await toStaff(reply.managerId, `⚠️ Сообщение не доставлено лиду ${input.who}: возможно, он заблокировал бота.`);
  }

  async function finish(how: HandoffOutcome, reason: string | null): Promise<HandoffResult> {
    status = 'closed';
    outcome = how;
    const summary = dialogSummary({ manager: manager?.managerName ?? null, outcome: how, reason, leadTexts, managerTexts });
    await records.handoffClosed({ workflowId, outcome: how, reason, summary, wasTaken: manager !== null });
    await event('handoff_closed', { outcome: how, reason, by: closeRequest?.managerId ?? null });
    if (card) await telegram.editButtons({ ...card, buttons: [[button(`🔒 Закрыт: ${how}${manager ? `, ${manager.managerName}` : ''}`, 'open')]] });
    if (manager) await toStaff(manager.managerId, `🔒 Диалог с лидом ${input.who} закрыт (${how}). Бот снова отвечает лиду.`);
    await tellLeadWorkflow(manager ? 'closed' : 'expired', { handoffId: workflowId, outcome: how, summary });
    // A lead message that crossed the close still reaches the manager, never the void.
    await condition(allHandlersFinished);
    await relayPending();
    return { outcome: how, summary };
  }

  /** Tells the lead's conversation; a conversation that is gone (reset, terminated) is only logged. */
  async function tellLeadWorkflow(what: 'taken' | 'closed' | 'expired', payload: Record<string, unknown>): Promise<void> {
    const names = { taken: 'dialog_taken', closed: 'dialog_closed', expired: 'handoff_expired' } as const;
    const domainEvent: DomainEvent = { id: `${workflowId}/${what}`, name: names[what], payload };
    await getExternalWorkflowHandle(input.leadWorkflowId)
      .signal(domainEventSignal, domainEvent)
      .catch((error: unknown) => log.warn('lead conversation not told', { workflowId, what, error: String(error) }));
  }

  async function toLead(content: OutboundContent, direction: 'out' | 'manager'): Promise<void> {
    await telegram
      .sendToLead({ outboundId: `${workflowId}/l${++sequence}`, leadId: input.leadId, chatId: input.leadChatId, content, direction })
      .catch((error: unknown) => log.warn('message to the lead not delivered', { workflowId, error: String(error) }));
  }

  /** A private message to a staff member about this lead; false when it could not be delivered. */
  async function toStaff(chatId: number, text: string): Promise<boolean> {
    return telegram
      .sendToLead({ outboundId: `${workflowId}/s${++sequence}`, leadId: input.leadId, chatId, content: { type: 'text', text }, toStaff: true })
      .then(() => true)
      .catch(() => false);
  }

  async function event(type: string, payload: Record<string, unknown>): Promise<void> {
    await records.recordLeadEvent({ leadId: input.leadId, type, payload: { ...payload, handoffId: workflowId, at: new Date().toISOString() }, idempotencyKey: `${workflowId}/e${++sequence}` });
  }

  function button(text: string, action: CardAction): OutboundButton {
    return { text, data: encodeButton(HANDOFF_SCOPE, `${key}.${action}`) };
  }
}
