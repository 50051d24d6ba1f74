import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';

/**
 * How long an idle keep-alive connection to the Bot API is kept when the server names no limit.
 * A server that names one (`Keep-Alive: timeout=N`) gets its connections dropped 1 s before it would.
 */
export const IDLE_CONNECTION_MS = 30_000;

/**
 * The connections messages go out on. grammY's default agent keeps idle connections for ever, so a
 * send can go out on one the server is closing that very moment: it fails with ECONNRESET, its
 * outcome is unknown, and it is never repeated although Telegram never got it (found by the fault
 * suite: a lost message). Dropping idle connections before the server does closes that window.
 */
export function telegramHttpAgent(apiRoot: string): HttpAgent | HttpsAgent {
  const options = { keepAlive: true, timeout: IDLE_CONNECTION_MS };
  return apiRoot.startsWith('https:') ? new HttpsAgent(options) : new HttpAgent(options);
}
