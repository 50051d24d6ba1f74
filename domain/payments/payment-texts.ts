/**
 * What leads and managers read about a payment. Placeholders: {product}, {amount}, {order}, {landing},
 * and for instalments {n} (this payment's number) and {of} (how many there are).
 */
export const PAYMENT_TEXTS = {
  ru: {
    offer: 'Заказ №{order}: «{product}», к оплате {amount}. Оплатите по кнопке ниже — доступ откроется сразу после оплаты.',
    offerInstalment: 'Заказ №{order}: «{product}» в рассрочку. Первый платёж — {amount}, остальные — раз в месяц. Оплатите по кнопке ниже.',
    payButton: '💳 Оплатить',
    invoiceTitle: '{product}',
    invoiceDescription: 'Заказ №{order}: доступ к программе «{product}».',
    reminder1: 'Напоминаю: заказ №{order} («{product}», {amount}) ждёт оплаты. Если что-то не получилось — напишите, поможем.',
    reminder2: 'Заказ №{order} («{product}») ещё не оплачен. Ссылка действует до завтра, потом заказ закроется.',
    expired: 'Заказ №{order} закрыт: оплата не поступила за 72 часа. Если захотите вернуться к программе — просто напишите.',
    failed: 'Платёж по заказу №{order} не прошёл. Попробуйте ещё раз по кнопке ниже или напишите — менеджер поможет.',
    retryButton: '🔁 Попробовать ещё раз',
    onboarding:
      'Оплата получена, спасибо! 🎉 Добро пожаловать в «{product}».\n\nДоступ: {landing}\nКуратор добавит вас в чат потока в течение дня. Если появятся вопросы — пишите сюда.',
    cancelled: 'Заказ №{order} отменён. Если это ошибка — напишите нам.',
    instalmentDue: 'Пора внести платёж {n} из {of} по рассрочке (заказ №{order}, «{product}»): {amount}. Оплатите по кнопке ниже.',
    instalmentReminder1: 'Напоминаю: платёж {n} из {of} по заказу №{order} ({amount}) ждёт оплаты. Если что-то не получилось — напишите, поможем.',
    instalmentReminder2: 'Платёж {n} из {of} по заказу №{order} ({amount}) ещё не внесён. Если нужна отсрочка — напишите, менеджер поможет.',
    instalmentPaid: 'Платёж {n} из {of} по заказу №{order} получен, спасибо! Следующий — через 30 дней, я пришлю ссылку.',
    fullyPaid: 'Последний платёж по заказу №{order} получен — рассрочка полностью оплачена. Спасибо! 🎉',
  },
  en: {
    offer: 'Order #{order}: "{product}", {amount} to pay. Pay with the button below: access opens right after the payment.',
    offerInstalment: 'Order #{order}: "{product}" in instalments. The first payment is {amount}, the rest monthly. Pay with the button below.',
    payButton: '💳 Pay',
    invoiceTitle: '{product}',
    invoiceDescription: 'Order #{order}: access to "{product}".',
    reminder1: 'A reminder: order #{order} ("{product}", {amount}) is waiting for payment. If something went wrong, write to us.',
    reminder2: 'Order #{order} ("{product}") is still unpaid. The link works until tomorrow, then the order closes.',
    expired: 'Order #{order} is closed: no payment arrived within 72 hours. If you want to come back to the programme, just write.',
    failed: 'The payment for order #{order} did not go through. Try again with the button below, or write to us and a manager will help.',
    retryButton: '🔁 Try again',
    onboarding:
      'Payment received, thank you! 🎉 Welcome to "{product}".\n\nAccess: {landing}\nA curator will add you to the cohort chat within a day. Any questions, write here.',
    cancelled: 'Order #{order} is cancelled. If this is a mistake, write to us.',
    instalmentDue: 'Payment {n} of {of} for your instalment plan (order #{order}, "{product}") is due: {amount}. Pay with the button below.',
    instalmentReminder1: 'A reminder: payment {n} of {of} for order #{order} ({amount}) is waiting. If something went wrong, write to us.',
    instalmentReminder2: 'Payment {n} of {of} for order #{order} ({amount}) is still unpaid. If you need more time, write and a manager will help.',
    instalmentPaid: 'Payment {n} of {of} for order #{order} received, thank you! The next one is in 30 days; I will send the link.',
    fullyPaid: 'The last payment for order #{order} is in: your instalment plan is fully paid. Thank you! 🎉',
  },
} as const;

/** Managers work in Russian whatever the lead's language. */
export const PAYMENT_STAFF_TEXTS = {
  paid: '💰 Оплачен заказ №{order}: «{product}», {amount} ({via}), лид {lead}. Лид стал клиентом, онбординг отправлен.',
  failed: '⚠️ Платёж по заказу №{order} («{product}», {amount}, лид {lead}) не прошёл: {reason}. Лиду предложена повторная оплата — помогите ему.',
  flagged: '🚩 Заказ №{order} («{product}», лид {lead}) помечен: {reason}. Заказ НЕ выполнен — проверьте платёж вручную (/order_confirm {order}, если всё верно).',
  cancelled: '✖️ Заказ №{order} («{product}», лид {lead}) отменён.',
  /** The link or invoice never reached the lead (blocked the bot, Telegram refused the invoice): a person must act. */
  offerUndelivered:
    '📭 Лид {lead} не получил ссылку или счёт на оплату заказа №{order} («{product}», {amount}): {reason}. Заказ открыт — отправьте ссылку вручную (/order_link) или подтвердите оплату (/order_confirm {order}).',
  expired: '⌛ Заказ №{order} («{product}», {amount}, лид {lead}) истёк без оплаты.',
  instalmentPaid: '💰 Платёж {n} из {of} по заказу №{order} («{product}», {amount}, {via}), лид {lead}.',
  fullyPaid: '✅ Рассрочка по заказу №{order} («{product}», лид {lead}) полностью оплачена.',
  instalmentOverdue:
    '⏰ Платёж {n} из {of} по заказу №{order} («{product}», {amount}, лид {lead}) не внесён за 72 часа после ссылки и двух напоминаний. Доступ НЕ отозван — свяжитесь с лидом. Оплатил иначе: /order_confirm {order}; списать остаток: /order_cancel {order}.',
  instalmentsCancelled: '✖️ Остаток рассрочки по заказу №{order} («{product}», лид {lead}) списан; доступ сохранён.',
  paidAfterClose: '🚨 Деньги пришли по закрытому заказу №{order} («{product}», лид {lead}): {reason}. Заказ не выполнен — проверьте платёж и верните деньги или выдайте доступ вручную.',
  /** The same money, for an order that was paid and fulfilled: this charge is one too many. */
  paidTwice: '🚨 Деньги пришли по закрытому заказу №{order} («{product}», лид {lead}): {reason}. Заказ уже оплачен и выполнен, это лишний платёж — проверьте и верните его.',
  /** Stars money for no order we know; the charge id is what /refund_charge takes. */
  /** A provider's money for no order we know: found and returned in the provider's account. */
  unmatchedProvider: '🚨 Пришли деньги без известного заказа: {reason}. Заказ не выполнен — найдите платёж в кабинете платёжной системы и верните его или выдайте доступ вручную.',
  /** Money paid through Telegram Payments (a provider token) for no order we know: the bot cannot return it. */
  unmatchedTelegramProvider:
    '🚨 Пришла оплата {amount} через Telegram без известного заказа (плательщик id {payer}, счёт «{payload}», платёж провайдера {providerCharge}, платёж Telegram {charge}). Заказ не выполнен — разберитесь с клиентом; бот не может вернуть такие деньги: верните их в кабинете платёжной системы по id платежа провайдера.',
  unmatched: '🚨 Пришла оплата {amount} без известного заказа (плательщик id {payer}, счёт «{payload}»). Заказ не выполнен — разберитесь с клиентом; вернуть деньги: /refund_charge {charge}',
} as const;

export type PaymentLanguage = keyof typeof PAYMENT_TEXTS;

export function fillPaymentText(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_m, key: string) => String(values[key] ?? ''));
}
