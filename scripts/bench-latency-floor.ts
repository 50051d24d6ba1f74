/**
 * The floor for `bench-latency.ts`: a plain grammY bot answering /start and /help with one message,
 * no database, no Temporal. Long polling (grammY's own loop, one update after another) or, with
 * BENCH_MODE=webhook, grammY's webhook adapter on BENCH_PORT. Sends 'ready' to its parent once it
 * takes updates.
 */
import { createServer } from 'node:http';
import { Bot, webhookCallback } from 'grammy';

async function main(): Promise<void> {
  const token = process.env.BENCH_TOKEN;
  const apiRoot = process.env.BENCH_API_ROOT;
  if (!token || !apiRoot) throw new Error('BENCH_TOKEN and BENCH_API_ROOT are required');
  const bot = new Bot(token, { client: { apiRoot } });
  bot.command('start', (ctx) => ctx.reply('Hello!'));
  bot.command('help', (ctx) => ctx.reply('What I can do: …'));
  bot.catch(() => undefined);
  if (process.env.BENCH_MODE === 'webhook') {
    await bot.init();
    const handle = webhookCallback(bot, 'http');
    // A failed update answers 500 (Telegram would deliver it again) instead of ending the process.
    const server = createServer((req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(Number(process.env.BENCH_PORT), '127.0.0.1', resolve));
    process.send?.('ready');
    return;
  }
  void bot.start({ onStart: () => void process.send?.('ready') });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
