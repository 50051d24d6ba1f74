/**
 * The broadcast loop grammY's documentation recommends (https://grammy.dev/advanced/flood.html and
 * the auto-retry plugin page): send one message after another; on a 429, auto-retry waits
 * retry_after and tries again. Run as its own process by `bench-broadcast.ts`, so its peak memory
 * is its own. Prints one JSON line: { failed, maxRssBytes }.
 */
import { autoRetry } from '@grammyjs/auto-retry';
import { Bot } from 'grammy';

async function main(): Promise<void> {
  const { BENCH_API_ROOT, BENCH_TOKEN, BENCH_CHAT_IDS, BENCH_TEXT } = process.env;
  if (!BENCH_API_ROOT || !BENCH_TOKEN || !BENCH_CHAT_IDS || !BENCH_TEXT) throw new Error('BENCH_API_ROOT, BENCH_TOKEN, BENCH_CHAT_IDS and BENCH_TEXT are required');
  const [first, count] = BENCH_CHAT_IDS.split('+').map(Number);
  const bot = new Bot(BENCH_TOKEN, { client: { apiRoot: BENCH_API_ROOT } });
  bot.api.config.use(autoRetry());
  let failed = 0;
  for (let chatId = first; chatId < first + count; chatId++) {
    try {
      await bot.api.sendMessage(chatId, BENCH_TEXT);
    } catch {
      failed += 1; // auto-retry gave up (its default: 3 attempts)
    }
  }
  console.log(JSON.stringify({ failed, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
