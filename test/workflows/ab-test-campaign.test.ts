import { createLeadsActivities } from '../../activities/leads';
import { noteCampaignOutcome, recordClick } from '../../db/campaign-outcomes';
import { createCampaign } from '../../db/campaigns';
import { inPilot, variantFor } from '../../domain/broadcasts/ab-test';
import type { AbTestConfig, CampaignAudience } from '../../domain/broadcasts/campaign';
import {
  broadcastCampaignWorkflowType,
  campaignProgressQuery,
  campaignWorkflowId,
  pickWinnerSignal,
  deliverNowSignal,
  cancelCampaignSignal,
  type BroadcastCampaignInput,
  type CampaignProgress,
} from '../../workflows/broadcast-campaign/contract';
import { seedLeads, uniqueSource, type SeededLead } from '../support/campaigns';
import { uniqueUserId } from '../support/db';
import { useLeadHarness } from '../support/lead-harness';
import { resultInRealTime } from '../support/temporal';

const h = useLeadHarness({ serverPerTest: true });

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TEXTS: Record<string, string> = { A: 'Вариант A: старт 10 декабря', B: 'Вариант B: скидка до пятницы' };

function abTest(overrides: Partial<AbTestConfig> = {}): AbTestConfig {
  return {
    variants: (['A', 'B'] as const).map((key) => ({ key, weight: 50, content: { items: [{ kind: 'text' as const, text: TEXTS[key] }], buttons: [[{ text: 'Записаться', action: 'command:consult' }]] } })),
    pilotShare: 20,
    metric: 'click_rate',
    windowHours: 12,
    ...overrides,
  };
}

async function seedAbCampaign(audience: CampaignAudience, test: AbTestConfig, editor: number, scheduledAt: Date | null = null) {
  return createCampaign(h.db, { name: 'Декабрьский поток', createdBy: editor, content: test.variants[0].content, audience, abTest: test, scheduledAt });
}

function start(input: BroadcastCampaignInput) {
  return h.env.client.workflow.start(broadcastCampaignWorkflowType, { taskQueue: h.taskQueue, workflowId: campaignWorkflowId(input.campaignId), args: [input] });
}

/** The texts each lead received (campaign messages only go to these leads). */
function textsTo(lead: SeededLead): string[] {
  return h.fake.callsTo('sendMessage', lead.telegramUserId).map((call) => String(call.params.text));
}

function reportsTo(editor: number): string[] {
  return h.fake.callsTo('sendMessage', editor).map((call) => String(call.params.text));
}

async function untilPhase(handle: { query: (q: typeof campaignProgressQuery) => Promise<CampaignProgress> }, phase: CampaignProgress['phase']): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await handle.query(campaignProgressQuery)).phase !== phase) {
    if (Date.now() > deadline) throw new Error(`campaign never reached ${phase}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function pilotDeliveries(campaignId: number): Promise<{ id: number; lead_id: number; variant: string }[]> {
  const rows = await h.db('campaign_deliveries').where({ campaign_id: campaignId, pilot: true }).orderBy('id');
  return rows.map((r: { id: string; lead_id: string; variant: string }) => ({ id: Number(r.id), lead_id: Number(r.lead_id), variant: r.variant }));
}

describe('A/B test campaigns on the time-skipping server', () => {
  it('sends the variants to a 20 % pilot split by the hash, waits the window, and sends the winner by clicks to the other 80 % by itself', async () => {
    const source = uniqueSource();
    const audience = await seedLeads(h.db, source, 700);
    const editor = uniqueUserId();
    const scheduledAt = new Date((await h.env.currentTimeMs()) + HOUR);
    const campaign = await seedAbCampaign({ sources: [source] }, abTest(), editor, scheduledAt);
    const worker = await h.worker();

    const outcome = (await worker.runUntil(async () => {
      const handle = await start({ campaignId: campaign.id, scheduledAt: scheduledAt.toISOString(), ab: { windowHours: 12 } });
      await h.env.sleep(59 * MINUTE);
      expect(audience.filter((lead) => textsTo(lead).length > 0)).toHaveLength(0);
      await h.env.sleep(2 * MINUTE); // time moves only while the test sleeps or awaits a result
      await untilPhase(handle, 'observing');

      // The pilot is exactly the leads the hash of (test, lead) names, each on its hashed variant.
      const pilot = await pilotDeliveries(campaign.id);
      const expectedPilot = audience.filter((lead) => inPilot(campaign.id, lead.leadId, 20));
      expect(pilot.map((d) => d.lead_id)).toEqual(expectedPilot.map((lead) => lead.leadId));
      expect(pilot.length).toBeGreaterThan(100);
      for (const d of pilot) expect(d.variant).toBe(variantFor(campaign.id, d.lead_id, abTest().variants));
      for (const lead of audience) expect(textsTo(lead)).toEqual(inPilot(campaign.id, lead.leadId, 20) ? [TEXTS[variantFor(campaign.id, lead.leadId, abTest().variants)]] : []);
      expect((await h.db('campaigns').where({ id: campaign.id }).first()).status).toBe('observing');

      // B's buttons get pressed four times as often; a few leads write back.
      const byVariant = (key: string) => pilot.filter((d) => d.variant === key);
      for (const d of byVariant('B').filter((_, i) => i % 5 < 2)) await recordClick(h.db, d.id, 0);
      for (const d of byVariant('A').filter((_, i) => i % 10 === 0)) await recordClick(h.db, d.id, 0);
      const repliers = pilot.slice(0, 3).map((d) => audience.find((lead) => lead.leadId === d.lead_id) as SeededLead);
      const leads = createLeadsActivities({ db: h.db, logger: h.logger });
      for (const [i, lead] of repliers.entries()) {
        await leads.recordInbound({ kind: 'text', text: 'А сколько стоит?', messageId: 50 + i, updateId: uniqueUserId(), sentAt: new Date().toISOString(), chatId: lead.telegramUserId, from: { id: lead.telegramUserId, firstName: 'Лид' } });
      }
      await h.env.sleep(11 * HOUR);
      expect((await handle.query(campaignProgressQuery)).phase).toBe('observing');
      await h.env.sleep(2 * HOUR);
      return handle.result();
    })) as CampaignProgress;

    expect(outcome).toMatchObject({ phase: 'completed', ab: { winner: 'B' }, counts: { sent: 700, queued: 0 } });
    for (const lead of audience) {
      expect(textsTo(lead)).toEqual(inPilot(campaign.id, lead.leadId, 20) ? [TEXTS[variantFor(campaign.id, lead.leadId, abTest().variants)]] : [TEXTS.B]);
    }
    const row = await h.db('campaigns').where({ id: campaign.id }).first();
    expect(row.status).toBe('completed');
    expect(row.ab_result).toMatchObject({ winner: 'B', metric: 'click_rate' });
    expect(await h.db('campaign_deliveries').where({ campaign_id: campaign.id }).whereNotNull('replied_at').count('* as n').first()).toEqual({ n: 3 });
    const reports = reportsTo(editor);
    expect(reports[0]).toMatch(/победил вариант B/);
    expect(reports[0]).toMatch(/Победитель уходит остальным: \d{3}/);
    expect(reports[1]).toMatch(/завершена\.\nОтправлено: 700/);
  }, 120_000);

  it('a tie on the metric goes to the variant with fewer unsubscribes', async () => {
    const source = uniqueSource();
    const audience = await seedLeads(h.db, source, 260);
    const editor = uniqueUserId();
    const campaign = await seedAbCampaign({ sources: [source] }, abTest({ pilotShare: 50, metric: 'reply_rate' }), editor);
    const worker = await h.worker();
    const outcome = (await worker.runUntil(async () => {
      const handle = await start({ campaignId: campaign.id, ab: { windowHours: 12 } });
      await untilPhase(handle, 'observing');
      const pilot = await pilotDeliveries(campaign.id);
      for (const d of pilot.filter((p) => p.variant === 'A').slice(0, 4)) await noteCampaignOutcome(h.db, d.lead_id, 'unsubscribed');
      for (const d of pilot.filter((p) => p.variant === 'B').slice(0, 1)) await noteCampaignOutcome(h.db, d.lead_id, 'unsubscribed');
      await h.env.sleep(13 * HOUR);
      return handle.result();
    })) as CampaignProgress;
    expect(outcome.ab?.winner).toBe('B');
    expect(reportsTo(editor)[0]).toMatch(/ничья по метрике/);
    const rest = audience.filter((lead) => !inPilot(campaign.id, lead.leadId, 50));
    for (const lead of rest) expect(textsTo(lead)).toEqual([TEXTS.B]);
  });

  it('a too-small sample extends the window twice, then asks the editor, whose pick goes to the rest', async () => {
    const source = uniqueSource();
    const audience = await seedLeads(h.db, source, 40);
    const editor = uniqueUserId();
    const campaign = await seedAbCampaign({ sources: [source] }, abTest({ pilotShare: 50 }), editor);
    const rest = audience.filter((lead) => !inPilot(campaign.id, lead.leadId, 50));
    const worker = await h.worker();
    const outcome = (await worker.runUntil(async () => {
      const handle = await start({ campaignId: campaign.id, ab: { windowHours: 12 } });
      await untilPhase(handle, 'observing');
      await h.env.sleep(12 * HOUR + MINUTE);
      await h.fake.waitFor(() => reportsTo(editor).length === 1, 10_000);
      expect(reportsTo(editor)[0]).toMatch(/данных мало \(доставлено \d+ из нужных 100; окно продлено до 24 ч\)/);
      await h.env.sleep(24 * HOUR);
      await h.fake.waitFor(() => reportsTo(editor).length === 3, 10_000);
      expect(reportsTo(editor)[1]).toMatch(/окно продлено до 36 ч/);
      expect(reportsTo(editor)[2]).toMatch(/Решите сами/);
      const [question] = h.fake.callsTo('sendMessage', editor).slice(-1);
      expect(JSON.stringify(question.params.reply_markup)).toContain(`cmpctl:${campaign.id}:win:A`);
      // Nobody outside the pilot has heard anything while the test waited.
      await h.env.sleep(48 * HOUR);
      for (const lead of rest) expect(textsTo(lead)).toEqual([]);
      expect((await handle.query(campaignProgressQuery)).phase).toBe('observing');
      await handle.signal(pickWinnerSignal, 'A');
      return handle.result();
    })) as CampaignProgress;
    expect(outcome.ab?.winner).toBe('A');
    for (const lead of rest) expect(textsTo(lead)).toEqual([TEXTS.A]);
    expect((await h.db('campaigns').where({ id: campaign.id }).first()).ab_result).toMatchObject({ winner: 'A', reason: 'выбран редактором' });
  });

  it("the editor's pick during the pilot survives continue-as-new and goes to the rest without waiting the window", async () => {
    const source = uniqueSource();
    const audience = await seedLeads(h.db, source, 40);
    const editor = uniqueUserId();
    const campaign = await seedAbCampaign({ sources: [source] }, abTest({ pilotShare: 50 }), editor);
    const worker = await h.worker();
    const started = await h.env.currentTimeMs();
    const outcome = (await worker.runUntil(async () => {
      // Batches of two, two batches a run: the pilot alone continues as new several times.
      const handle = await start({ campaignId: campaign.id, ab: { windowHours: 12 }, batchSize: 2, batchesPerRun: 2 });
      await handle.signal(pickWinnerSignal, 'B');
      return resultInRealTime(handle); // nothing here waits on a timer: no clock may be skipped
    })) as CampaignProgress;
    expect(outcome).toMatchObject({ phase: 'completed', ab: { winner: 'B' }, counts: { sent: 40 } });
    // When it closed, not the server's clock now: other tests' campaigns on this server wait on long
    // timers, and the clock jumps to them as soon as nothing runs.
    const { closeTime } = await h.env.client.workflow.getHandle(campaignWorkflowId(campaign.id)).describe();
    expect(closeTime!.getTime() - started).toBeLessThan(HOUR);
    for (const lead of audience.filter((l) => !inPilot(campaign.id, l.leadId, 50))) expect(textsTo(lead)).toEqual([TEXTS.B]);
  });

  it('"now" pressed while the pilot is still going out does not cut the observation window short', async () => {
    const source = uniqueSource();
    const audience = await seedLeads(h.db, source, 40);
    const campaign = await seedAbCampaign({ sources: [source] }, abTest({ pilotShare: 50 }), uniqueUserId());
    const rest = audience.filter((lead) => !inPilot(campaign.id, lead.leadId, 50));
    const worker = await h.worker();
    await worker.runUntil(async () => {
      const handle = await start({ campaignId: campaign.id, ab: { windowHours: 12 }, batchSize: 2 });
      await handle.signal(deliverNowSignal);
      await untilPhase(handle, 'observing');
      await h.env.sleep(6 * HOUR);
      expect((await handle.query(campaignProgressQuery)).phase).toBe('observing');
      for (const lead of rest) expect(textsTo(lead)).toEqual([]);
      await handle.signal(cancelCampaignSignal);
      await handle.result();
    });
  });
});
