import { TELEGRAM_WEBHOOK_PATH } from '../../../api/telegram-webhook-routes';
import { WEBHOOK_SECRET } from './running-system';

/** Posts an update to the api's webhook route as Telegram does (with the secret); the status answered. */
export async function postWebhook(apiUrl: string, update: unknown, secret = WEBHOOK_SECRET): Promise<number> {
  const response = await fetch(`${apiUrl}${TELEGRAM_WEBHOOK_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    body: JSON.stringify(update),
  });
  await response.arrayBuffer();
  return response.status;
}
