/**
 * A fake Bot API server in a process of its own, for `bench-broadcast.ts`: two fakes in one event
 * loop would delay each other's answers, and the delays would look like a sender breaking the limit.
 * Started with fork(); sends { apiRoot } when listening, and answers 'report' with what it counted.
 */
import { FakeTelegramServer } from '../test/fakes/telegram-server';

export interface FakeReport {
  /** Arrival times (ms) of the accepted sendMessage calls. */
  times: number[];
  tooManyRequests: number;
  /** Arrival times (ms) of the sendMessage calls flood control refused. */
  refusedTimes: number[];
  /** [chat id, messages received] for every chat that received any. */
  deliveries: [number, number][];
}

async function main(): Promise<void> {
  const token = process.env.BENCH_TOKEN;
  const limit = Number(process.env.BENCH_LIMIT);
  const campaignText = process.env.BENCH_TEXT;
  if (!token || !limit) throw new Error('BENCH_TOKEN and BENCH_LIMIT are required');
  const fake = await FakeTelegramServer.start({ token, floodControl: { messagesPerSecond: limit } });
  process.on('message', (message) => {
    if (message !== 'report') return;
    // Only the campaign's messages count: the conversations seeded before it sent their own.
    const campaign = fake.calls.filter((call) => call.method === 'sendMessage' && (!campaignText || call.params.text === campaignText));
    const accepted = campaign.filter((call) => call.error === undefined);
    const refused = campaign.filter((call) => call.error?.error_code === 429);
    const deliveries = new Map<number, number>();
    for (const call of accepted) deliveries.set(Number(call.params.chat_id), (deliveries.get(Number(call.params.chat_id)) ?? 0) + 1);
    const report: FakeReport = {
      times: accepted.map((call) => call.at),
      tooManyRequests: refused.length,
      refusedTimes: refused.map((call) => call.at),
      deliveries: [...deliveries],
    };
    process.send?.(report, () => void fake.stop().then(() => process.exit(0)));
  });
  process.send?.({ apiRoot: fake.apiRoot });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
