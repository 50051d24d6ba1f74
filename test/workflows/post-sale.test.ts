import { domainEventSignal, leadStateQuery, leadWorkflowId } from '../../workflows/lead-conversation/contract';
import { leadRows } from '../support/db';
import { useLeadHarness } from '../support/lead-harness';
import { text, type TestUser } from '../support/updates';

const h = useLeadHarness();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const MSK = 3 * HOUR;

/** Skips server time to the next given Moscow wall-clock time (HH:MM). */
async function skipToMoscow(hour: number, minute: number): Promise<void> {
  const now = await h.env.currentTimeMs();
  const msk = new Date(now + MSK);
  let target = Date.UTC(msk.getUTCFullYear(), msk.getUTCMonth(), msk.getUTCDate(), hour, minute) - MSK;
  if (target <= now) target += 24 * HOUR;
  await h.env.sleep(target - now);
}

/** The lead's payment went through (what the payment workflow signals once an order is fulfilled). */
async function paid(lead: TestUser, orderId: number): Promise<void> {
  await h.env.client.workflow
    .getHandle(leadWorkflowId(lead.id))
    .signal(domainEventSignal, { id: `payment-${orderId}-paid`, name: 'payment_paid', payload: { orderId } });
}

const postSale = (lead: TestUser) => h.texts(lead).filter((t) => /первые шаги|три дня в программе|первая неделя позади/.test(t));
const warmUps = (lead: TestUser) => h.texts(lead).filter((t) => /вчера заглядывали|напомню о себе|давно не общались/.test(t));
const eventsOf = async (lead: TestUser, type: string) => (await leadRows(h.db, lead.id)).events.filter((e) => e.type === type).map((e) => e.payload);
/** Moscow wall-clock "day HH:MM" of a server-time ISO instant. */
const moscow = (iso: string) => new Date(Date.parse(iso) + MSK).toISOString().slice(8, 16).replace('T', ' ');

describe('the post-sale sequence on the time-skipping server', () => {
  it('paid at 14:00: day 1, day 3 and day 7 messages at 14:00 on those days, once each; no warm-up follow-up', async () => {
    const lead = h.newLead();
    let paidAt = '';
    await (await h.worker()).runUntil(async () => {
      await skipToMoscow(12, 0);
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.env.sleep(2 * HOUR);
      paidAt = new Date(await h.env.currentTimeMs()).toISOString();
      await paid(lead, 1);

      await h.env.sleep(24 * HOUR - MINUTE);
      expect(postSale(lead)).toHaveLength(0);
      await h.env.sleep(2 * MINUTE);
      await h.fake.waitFor(() => postSale(lead).length === 1);
      expect(postSale(lead)[0]).toContain('Анна, как первые шаги?');

      await h.env.sleep(48 * HOUR - 2 * MINUTE); // 71 h 59 min after the payment
      expect(postSale(lead)).toHaveLength(1);
      await h.env.sleep(2 * MINUTE);
      await h.fake.waitFor(() => postSale(lead).length === 2);
      expect(postSale(lead)[1]).toContain('три дня в программе');

      await h.env.sleep(96 * HOUR); // 168 h 1 min
      await h.fake.waitFor(() => postSale(lead).length === 3);
      expect(postSale(lead)[2]).toContain('первая неделя позади');
      await h.env.sleep(10 * 24 * HOUR);
      expect(await h.env.client.workflow.getHandle(leadWorkflowId(lead.id)).query(leadStateQuery)).toMatchObject({ mode: 'customer' });
    });
    expect(postSale(lead)).toHaveLength(3);
    expect(warmUps(lead)).toEqual([]);
    expect(await eventsOf(lead, 'follow_up_sent')).toEqual([]);
    const sent = await eventsOf(lead, 'post_sale_sent');
    expect(sent.map((e) => e.id)).toEqual(['day1', 'day3', 'day7']);
    const day = (offsetDays: number) => moscow(new Date(Date.parse(paidAt) + offsetDays * 24 * HOUR).toISOString()).slice(0, 2);
    expect(sent.map((e) => moscow(e.at as string))).toEqual([`${day(1)} 14:00`, `${day(3)} 14:00`, `${day(7)} 14:00`]);
  });

  it('paid late in the evening: day 1 waits for 09:00 (quiet hours); after /stop nothing more', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await skipToMoscow(22, 30);
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await paid(lead, 2);
      await h.env.sleep(24 * HOUR + 10 * MINUTE); // 22:40 the next day: inside the quiet hours
      expect(postSale(lead)).toHaveLength(0);
      await h.env.sleep(11 * HOUR); // 09:40
      await h.fake.waitFor(() => postSale(lead).length === 1);

      const before = h.texts(lead).length;
      await h.conversations().deliver(text(lead, '/stop'));
      await h.until('sendMessage', lead, before + 1);
      await h.env.sleep(10 * 24 * HOUR);
    });
    expect(postSale(lead)).toHaveLength(1);
    const [day1] = await eventsOf(lead, 'post_sale_sent');
    expect(moscow(day1.at as string).slice(3)).toBe('09:00');
    expect(warmUps(lead)).toEqual([]);
  });
});
