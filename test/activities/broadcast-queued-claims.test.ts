import { MockActivityEnvironment } from '@temporalio/testing';
import { Api } from 'grammy';
import pino from 'pino';
import { createBroadcastPacer, type BroadcastPacer } from '../../activities/broadcast-pacer';
import { createCampaignActivities } from '../../activities/campaigns';
import { createTelegramActivities, type OutboundMessage } from '../../activities/telegram';
import type { Db } from '../../db/knex';
import { campaignOutboundId } from '../../workflows/broadcast-campaign/contract';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { deliveryStatuses, seedCampaign, seedLeads, uniqueSource, type SeededLead } from '../support/campaigns';
import { testDb } from '../support/db';
import { eventually } from '../support/eventually';

/**
 * A campaign message is claimed `queued` while it waits for its slot and `sending` only right before
 * its request (docs/broadcasts.md#delivery): a worker killed meanwhile leaves the waiting ones to the
 * retry, which sends them once, and only a message that was on the wire `unknown`.
 */
const TOKEN = '123456:TEST-token-for-the-fake-server';
const logger = pino({ level: 'silent' });
const RATE = 50;

let fake: FakeTelegramServer;
let db: Db;

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
});

afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

const forever = () => new Promise<never>(() => undefined);

/** The campaign activities of one worker process: its own gateway and pacer (the pace row is shared). */
function campaignWorker(options: { api?: Api; pacer?: BroadcastPacer } = {}) {
  const api = options.api ?? new Api(TOKEN, { apiRoot: fake.apiRoot });
  return createCampaignActivities({
    db,
    logger,
    telegram: createTelegramActivities({ api, db, logger }),
    pacer: options.pacer ?? createBroadcastPacer({ db, ratePerSecond: RATE }),
    clickSecret: 'test-secret',
  });
}

/**
 * A worker that dies mid-batch, as a SIGKILL leaves it: the first `slots` senders get their slot, every
 * later one waits for it forever; of the messages that reach Telegram, the `onWire`-th (1-based) is
 * taken by Telegram but its answer never comes back (the process died with the request on the wire).
 */
function dyingWorker(slots: number, onWire: number) {
  const pacer = createBroadcastPacer({ db, ratePerSecond: RATE });
  let slotsLeft = slots;
  const dying: BroadcastPacer = {
    ...pacer,
    async reserve(whileWaiting) {
      const slot = await pacer.reserve(whileWaiting);
      return { go: (wire) => (slotsLeft-- > 0 ? slot.go(wire) : forever()) };
    },
  };
  const api = new Api(TOKEN, { apiRoot: fake.apiRoot });
  let sends = 0;
  api.config.use(async (prev, method, payload, signal) => {
    const answer = await prev(method, payload, signal);
    if (method === 'sendMessage' && ++sends === onWire) return forever();
    return answer;
  });
  return campaignWorker({ api, pacer: dying });
}

/** One attempt of the campaign's send batch, as Temporal runs it (`attempt` 2: its retry). */
function batch(worker: ReturnType<typeof campaignWorker>, campaignId: number, attempt: number) {
  return new MockActivityEnvironment({ attempt }).run(worker.sendCampaignBatch, { campaignId, limit: 50 }) as ReturnType<typeof worker.sendCampaignBatch>;
}

const sendsTo = (lead: SeededLead) => fake.callsTo('sendMessage', lead.telegramUserId).filter((c) => c.result !== undefined).length;

async function campaignRows(campaignId: number, leads: SeededLead[]): Promise<Map<number, string>> {
  const rows: { outbound_id: string; status: string }[] = await db('messages').whereIn('outbound_id', leads.map((l) => campaignOutboundId(campaignId, l.leadId)));
  return new Map(rows.map((r) => [Number(r.outbound_id.split('/')[1]), r.status]));
}

describe('campaign claims that wait for their slot', () => {
  it('a batch killed while some claims wait for their slot: the retry sends those once; the one on the wire stays unknown', async () => {
    const source = uniqueSource();
    const leads = await seedLeads(db, source, 5);
    const campaign = await seedCampaign(db, { sources: [source] });
    await campaignWorker().snapshotCampaignAudience({ campaignId: campaign.id, afterLeadId: 0, limit: 100 });

    // The first worker: one message goes out and is answered, one is on the wire when the process
    // dies, three are claimed and waiting for their slot. Its batch never returns (the process is gone).
    const killed = dyingWorker(2, 2);
    void batch(killed, campaign.id, 1);
    await eventually('five claims, two of them sent to Telegram', async () => (await campaignRows(campaign.id, leads)).size === 5 && fake.callsTo('sendMessage').filter((c) => leads.some((l) => l.telegramUserId === c.params.chat_id)).length === 2);
    const [answered, onWire] = fake.callsTo('sendMessage').filter((c) => leads.some((l) => l.telegramUserId === c.params.chat_id)).map((c) => leads.find((l) => l.telegramUserId === c.params.chat_id) as SeededLead);
    const waiting = leads.filter((l) => l !== answered && l !== onWire);
    expect(waiting).toHaveLength(3);

    // Temporal's retry of the batch, on a worker that lives.
    const retry = await batch(campaignWorker(), campaign.id, 2);

    expect(leads.map(sendsTo)).toEqual([1, 1, 1, 1, 1]);
    const deliveries = await deliveryStatuses(db, campaign.id);
    expect(deliveries.get(answered.leadId)?.status).toBe('sent');
    expect(deliveries.get(onWire.leadId)?.status).toBe('unknown');
    expect(waiting.map((l) => deliveries.get(l.leadId)?.status)).toEqual(['sent', 'sent', 'sent']);
    const rows = await campaignRows(campaign.id, leads);
    expect(rows.get(onWire.leadId)).toBe('unknown');
    expect([answered, ...waiting].map((l) => rows.get(l.leadId))).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(retry.counts).toMatchObject({ sent: 4, unknown: 1, queued: 0 });
  });

  it('two attempts holding the same waiting claim (a retry and the attempt it replaced, still alive): only one sends it', async () => {
    const [lead] = await seedLeads(db, uniqueSource(), 1);
    const message: OutboundMessage = { outboundId: `campaign-test/${lead.leadId}`, leadId: lead.leadId, chatId: lead.telegramUserId, content: { type: 'text', text: 'Открыт набор' } };
    const telegram = createTelegramActivities({ api: new Api(TOKEN, { apiRoot: fake.apiRoot }), db, logger });
    const turn = () => {
      let go!: () => void;
      let reached!: () => void;
      const arrived = new Promise<void>((resolve) => (reached = resolve));
      const slot = new Promise<void>((resolve) => (go = resolve));
      return { go, arrived, beforeSend: () => (reached(), slot) };
    };
    const [earlier, later] = [turn(), turn()];

    const first = telegram.sendToLead(message, { afterCutOff: 'unknown', beforeSend: earlier.beforeSend });
    await earlier.arrived;
    const second = telegram.sendToLead(message, { afterCutOff: 'unknown', beforeSend: later.beforeSend });
    await Promise.race([later.arrived, second]); // (before the fix the retry gave up on the claim at once)
    later.go();
    const sent = await second;
    earlier.go();
    const replaced = await first;

    expect(sent).toEqual({ status: 'sent', telegramMessageIds: [expect.any(Number)] });
    expect(replaced).toEqual(sent);
    expect(sendsTo(lead)).toBe(1);
    expect((await db('messages').where({ outbound_id: message.outboundId }).first()).status).toBe('sent');
  });

  it('a retried batch: a waiting claim whose lead a manager took since is released, not sent; the lead is skipped', async () => {
    const source = uniqueSource();
    const [taken, still] = await seedLeads(db, source, 2);
    const campaign = await seedCampaign(db, { sources: [source] });
    await campaignWorker().snapshotCampaignAudience({ campaignId: campaign.id, afterLeadId: 0, limit: 100 });
    // What a worker killed while both messages waited for their slot leaves behind; then a manager takes one lead.
    await db('messages').insert([taken, still].map((lead) => ({ lead_id: lead.leadId, chat_id: lead.telegramUserId, direction: 'out', text: 'x', outbound_id: campaignOutboundId(campaign.id, lead.leadId), status: 'queued' })));
    await db('leads').where({ id: taken.leadId }).update({ conversation_mode: 'with_manager' });

    const retry = await batch(campaignWorker(), campaign.id, 2);

    expect([taken, still].map(sendsTo)).toEqual([0, 1]);
    expect((await deliveryStatuses(db, campaign.id)).get(taken.leadId)).toEqual({ status: 'skipped', reason: 'in a manager dialog' });
    const rows = await campaignRows(campaign.id, [taken, still]);
    expect([rows.get(taken.leadId), rows.get(still.leadId)]).toEqual(['failed', 'sent']);
    expect(retry.counts).toMatchObject({ sent: 1, skipped: 1, queued: 0 });
  });

  it('the pacer marks each message on the wire just before its turn; one another attempt holds is not sent', async () => {
    const pacer = createBroadcastPacer({ db, ratePerSecond: 20 });
    const events: string[] = [];
    const wire = (i: number) => ({
      mark: async () => (events.push(`mark ${i}`), i !== 1),
      unmark: async () => void events.push(`unmark ${i}`),
    });
    const go = await Promise.all([0, 1, 2].map((i) => pacer.turn(undefined, wire(i)).then((send) => (events.push(`turn ${i}`), send))));
    expect(go).toEqual([true, false, true]);
    for (const i of [0, 1, 2]) expect(events.indexOf(`mark ${i}`)).toBeLessThan(events.indexOf(`turn ${i}`));
  });
});
