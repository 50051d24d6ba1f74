import { ApplicationFailure } from '@temporalio/common';
import { Composer, GrammyError } from 'grammy';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { createOrder } from '../../activities/payments';
import { listInstalments } from '../../db/instalments';
import { findOrder, markOrderRefunded, starsPayerOf } from '../../db/orders';
import { auditStaffCommand } from '../../db/staff';
import { formatAmount, STARS_CURRENCY } from '../../domain/payments/payments';
import type { Role } from '../../domain/staff/roles';
import { roleFor } from '../../domain/staff/command-table';
import type { ManagerActionResult } from '../../workflows/payment/contract';
import type { BotContext } from '../context';
import type { PaymentWorkflowsPort } from './payment-workflows';
import { flagProviderRefund } from './provider-refund';
import { refundFlaggedCharge } from './refund-charge';
import { recordProviderRefund } from './refund-done';
import { checkStaffAction, refusalText, type StaffAccessDeps } from '../staff-access';

export interface PaymentCommandsDeps extends StaffAccessDeps {
  db: Knex;
  logger: Logger;
  workflows: PaymentWorkflowsPort;
}

/** Who may run each payment command (domain/staff/command-table.ts): managers confirm, cancel and send personal links; admins refund. */
export const PAYMENT_COMMANDS: Record<string, Role> = Object.fromEntries(
  (['order_confirm', 'order_cancel', 'order_link', 'refund', 'refund_charge', 'refund_done'] as const).map((command) => [command, roleFor(command)]),
);

const TEXTS = {
  refused: '⛔ Недостаточно прав для этой команды. Попытка записана.',
  usage: {
    order_confirm: 'Как подтвердить оплату: /order_confirm <номер заказа>',
    order_cancel: 'Как отменить заказ: /order_cancel <номер заказа>',
    order_link: 'Как отправить персональную ссылку: /order_link <telegram id лида> <код продукта> <сумма> <https-ссылка>',
    refund: 'Как вернуть оплату: /refund <номер заказа> (Stars возвращает бот; оплату через платёжную систему — её кабинет)',
  } as Record<string, string>,
  noOrder: (id: number) => `Заказа №${id} нет.`,
  confirmed: (id: number) => `✅ Заказ №${id} подтверждён: лид получил доступ и стал клиентом.`,
  instalmentConfirmed: (id: number, n: number) => `✅ Платёж ${n} по рассрочке заказа №${id} подтверждён.`,
  cancelled: (id: number) => `✅ Заказ №${id} отменён, лиду сообщили.`,
  alreadyPaid: (id: number) => `Заказ №${id} уже оплачен — повторно ничего не делаю.`,
  closed: (id: number, status: string) => `Заказ №${id} уже закрыт (${status}) — ничего не изменено.`,
  inProgress: (id: number) => `⏳ Заказ №${id}: команда принята и выполняется — итог придёт в чат менеджеров.`,
  linkSent: (id: number, lead: number, amount: string) => `✅ Заказ №${id} на ${amount} создан, персональная ссылка отправлена лиду ${lead}.`,
  orderRefused: (reason: string) => `Заказ не создан: ${reason}.`,
  notStars: (id: number) => `Заказ №${id} оплачен не в Stars: вернуть можно только Stars, остальное — через платёжную систему. Когда вернёте — /refund_done ${id}.`,
  notPaid: (id: number, status: string) => `Заказ №${id} не оплачен (${status}) — возвращать нечего.`,
  refunded: (id: number, amount: string) => `✅ Возврат по заказу №${id} (${amount}) выполнен.`,
  refundFailed: (id: number, reason: string) => `Telegram не выполнил возврат по заказу №${id}: ${reason}`,
};

/**
 * Payment commands for staff, in any chat (the managers' group or a private chat with the bot).
 * The role is checked on every call; every command, allowed or refused, is recorded in
 * `staff_audit`; a refused one never reaches the lead flow.
 */
export function paymentCommands(deps: PaymentCommandsDeps): Composer<BotContext> {
  const { db, logger, workflows } = deps;
  const composer = new Composer<BotContext>();

  composer.command(Object.keys(PAYMENT_COMMANDS), async (ctx) => {
    if (!ctx.from || !ctx.message) return;
    const actor = ctx.from.id;
    const command = ctx.message.text.split(/[\s@]/)[0].slice(1).toLowerCase();
    const args = ctx.match.trim().split(/\s+/).filter(Boolean);
    const required = PAYMENT_COMMANDS[command];
    const check = await checkStaffAction(deps, ctx, required, command, { args }, { recordAllowed: false });
    if (!check.allowed) {
      logger.warn({ actor, command, reason: check.reason }, 'payment command refused');
      await ctx.reply(refusalText(deps, required, TEXTS.refused));
      return;
    }
    const actorRole = check.role;
    const audit = (allowed: boolean, reason?: string, details: Record<string, unknown> = {}) =>
      auditStaffCommand(db, { actor, actorRole, command, details: { args, ...details }, allowed, reason });

    if (command === 'refund_charge') {
      await ctx.reply(await refundFlaggedCharge(db, ctx.api, args[0], audit));
      return;
    }

    if (command === 'order_link') {
      const [leadArg, productCode, amountArg, url] = args;
      const leadId = Number(leadArg);
      const amount = Number(amountArg?.replace(',', '.'));
      if (!Number.isSafeInteger(leadId) || !productCode || !(amount > 0) || !url) {
        await audit(false, 'bad arguments');
        await ctx.reply(TEXTS.usage.order_link);
        return;
      }
      try {
        const input = await createOrder(db, logger, { telegramUserId: leadId, productCode, type: 'manual', method: 'link', amount, paymentUrl: url, createdBy: actor });
        await workflows.start(input);
        await audit(true, undefined, { orderId: input.orderId });
        await ctx.reply(TEXTS.linkSent(input.orderId, leadId, formatAmount(input.amount, input.currency)));
      } catch (error) {
        if (!(error instanceof ApplicationFailure)) throw error;
        await audit(false, error.message);
        await ctx.reply(TEXTS.orderRefused(error.message));
      }
      return;
    }

    const orderId = Number(args[0]);
    const order = Number.isSafeInteger(orderId) && orderId > 0 ? await findOrder(db, orderId) : undefined;
    if (command === 'refund_done') {
      await ctx.reply(await recordProviderRefund({ db, api: ctx.api, logger, managersChatId: deps.managersChatId }, order, args, actor, audit));
      return;
    }
    if (!order) {
      await audit(false, args[0] ? 'no such order' : 'bad arguments', { orderId: args[0] });
      await ctx.reply(args[0] ? TEXTS.noOrder(orderId) : TEXTS.usage[command]);
      return;
    }

    if (command === 'refund' && order.method === 'telegram') {
      await ctx.reply(await flagProviderRefund({ db, api: ctx.api, logger, managersChatId: deps.managersChatId }, order, actor, audit));
      return;
    }

    if (command === 'refund') {
      const amount = formatAmount(Number(order.amount), order.currency);
      if (order.currency !== STARS_CURRENCY || !order.telegram_payment_charge_id) {
        await audit(false, 'not a Stars payment', { orderId });
        await ctx.reply(order.status === 'paid' ? TEXTS.notStars(orderId) : TEXTS.notPaid(orderId, order.status));
        return;
      }
      if (order.status !== 'paid') {
        await audit(false, `order is ${order.status}`, { orderId });
        await ctx.reply(TEXTS.notPaid(orderId, order.status));
        return;
      }
      // After a /reset the lead is gone; the order kept the payer's id for exactly this.
      const payer = await starsPayerOf(db, order);
      // An instalment order paid in Stars holds one charge per paid instalment: every one goes back.
      const later = (await listInstalments(db, orderId)).filter((i) => i.number > 1 && i.status === 'paid' && i.telegram_payment_charge_id);
      const charges = [{ chargeId: order.telegram_payment_charge_id, amount: Number(order.amount) }, ...later.map((i) => ({ chargeId: i.telegram_payment_charge_id as string, amount: Number(i.amount) }))];
      for (const charge of charges) {
        try {
          await ctx.api.refundStarPayment(Number(payer), charge.chargeId);
        } catch (error) {
          if (!(error instanceof GrammyError)) throw error;
          // A repeated /refund after a partial failure: the charges already returned are skipped.
          if (error.description.includes('CHARGE_ALREADY_REFUNDED')) continue;
          await audit(false, `telegram: ${error.description}`, { orderId, chargeId: charge.chargeId });
          await ctx.reply(TEXTS.refundFailed(orderId, error.description));
          return;
        }
      }
      const total = charges.reduce((sum, c) => sum + c.amount, 0);
      await markOrderRefunded(db, orderId);
      await audit(true, undefined, { orderId, amount: total, chargeIds: charges.map((c) => c.chargeId) });
      logger.info({ orderId, actor, charges: charges.length }, 'stars payment refunded');
      await ctx.reply(TEXTS.refunded(orderId, charges.length === 1 ? amount : formatAmount(total, order.currency)));
      return;
    }

    const result = command === 'order_confirm' ? await workflows.confirm(orderId, actor) : await workflows.cancel(orderId, actor);
    // null: the workflow has ended; Postgres says how.
    const settled: ManagerActionResult = result ?? (await endedOrderResult(db, orderId));
    const carried = settled.outcome === 'confirmed' || settled.outcome === 'cancelled' || settled.outcome === 'in_progress';
    await audit(carried, carried ? undefined : settled.outcome, { orderId });
    await ctx.reply(
      settled.outcome === 'confirmed'
        ? settled.instalment
          ? TEXTS.instalmentConfirmed(orderId, settled.instalment)
          : TEXTS.confirmed(orderId)
        : settled.outcome === 'cancelled'
          ? TEXTS.cancelled(orderId)
          : settled.outcome === 'already_paid'
            ? TEXTS.alreadyPaid(orderId)
            : settled.outcome === 'in_progress'
              ? TEXTS.inProgress(orderId)
              : TEXTS.closed(orderId, settled.status),
    );
  });

  return composer;
}

/** What a command on an order whose workflow has ended finds: Postgres has the last word. */
async function endedOrderResult(db: Knex, orderId: number): Promise<ManagerActionResult> {
  const status = (await findOrder(db, orderId))?.status ?? 'expired';
  return status === 'paid' ? { outcome: 'already_paid' } : { outcome: 'already_closed', status };
}
