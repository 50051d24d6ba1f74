import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultScenarioPath } from '../../scenarios/loader';
import { domainEventSignal, leadStateQuery, leadWorkflowId } from '../../workflows/lead-conversation/contract';
import { leadRows } from '../support/db';
import { useLeadHarness } from '../support/lead-harness';
import { text, type TestUser } from '../support/updates';

const h = useLeadHarness();

const HOUR = 3_600_000;

/** A copy of the Russian scenario with its follow-ups changed, for one test. */
function scenarioCopy(change: (source: string) => string): (language: 'ru' | 'en') => string {
  const dir = mkdtempSync(join(tmpdir(), 'follow-ups-'));
  cpSync(join(defaultScenarioPath('ru'), '..', 'media'), join(dir, 'media'), { recursive: true });
  const path = join(dir, 'scenario.ru.yaml');
  writeFileSync(path, change(readFileSync(defaultScenarioPath('ru'), 'utf8')));
  return () => path;
}
const MSK = 3 * HOUR;

/** Skips server time to the next given Moscow wall-clock time (HH:MM). */
async function skipToMoscow(hour: number, minute: number): Promise<void> {
  const now = await h.env.currentTimeMs();
  const msk = new Date(now + MSK);
  let target = Date.UTC(msk.getUTCFullYear(), msk.getUTCMonth(), msk.getUTCDate(), hour, minute) - MSK;
  if (target <= now) target += 24 * HOUR;
  await h.env.sleep(target - now);
}

const followUps = (lead: TestUser) => h.texts(lead).filter((t) => /вчера заглядывали|напомню о себе|давно не общались/.test(t));
const sentEvents = async (lead: TestUser) => (await leadRows(h.db, lead.id)).events.filter((e) => e.type === 'follow_up_sent').map((e) => e.payload);

/** Moscow wall-clock HH:MM of a server-time ISO instant. */
const moscowTime = (iso: string) => new Date(Date.parse(iso) + MSK).toISOString().slice(11, 16);

describe('follow-ups on the time-skipping server', () => {
  it('silence: the 24h template at 24 hours, the 72h one at 72 hours, each once; the re-engagement once, later', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await skipToMoscow(12, 0); // the lead writes at noon, so no message falls into the quiet hours
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.env.sleep(23 * HOUR);
      expect(followUps(lead)).toHaveLength(0);
      await h.env.sleep(2 * HOUR);
      await h.until('sendMessage', lead, 2);
      expect(followUps(lead)).toEqual([expect.stringContaining('Анна, вы вчера заглядывали к нам')]);
      await h.env.sleep(48 * HOUR);
      await h.until('sendMessage', lead, 3);
      expect(followUps(lead)[1]).toContain('напомню о себе');
      await h.env.sleep(48 * HOUR); // 121 h: the re-engagement
      await h.until('sendMessage', lead, 4);
      await h.env.sleep(10 * 24 * HOUR);
    });
    expect(followUps(lead)).toHaveLength(3);
    expect((await sentEvents(lead)).map((e) => e.id)).toEqual(['h24', 'h72', 'reengage']);
  });

  it('a reply at 30 hours resets the silence: no 72h message at 72 hours, the next 24h one 24 hours after the reply', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await skipToMoscow(10, 0);
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.env.sleep(25 * HOUR);
      await h.until('sendMessage', lead, 2); // h24
      await h.env.sleep(5 * HOUR); // 30 h
      await h.conversations().deliver(text(lead, 'ещё думаю'));
      await h.until('sendMessage', lead, 3);
      await h.env.sleep(43 * HOUR); // 73 h after /start, 43 h after the reply
      await h.until('sendMessage', lead, 4);
    });
    const events = await sentEvents(lead);
    expect(events.map((e) => e.id)).toEqual(['h24', 'h24']);
    // the second one went out 24 h after the reply (10:00 + 30 h = 16:00 next day → 16:00 the day after)
    expect(moscowTime(events[1].at as string)).toBe('16:00');
  });

  it('quiet hours: a message due at 23:30 Moscow time goes out at 09:00', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await skipToMoscow(23, 30);
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.env.sleep(24 * HOUR + 5 * 60_000); // 23:35 the next day: still quiet
      expect(followUps(lead)).toHaveLength(0);
      await h.env.sleep(10 * HOUR);
      await h.until('sendMessage', lead, 2);
    });
    const [event] = await sentEvents(lead);
    expect(moscowTime(event.at as string)).toBe('09:00');
  });

  it('nothing after /stop, however long the silence', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.conversations().deliver(text(lead, '/stop'));
      await h.until('sendMessage', lead, 2);
      await h.env.sleep(8 * 24 * HOUR);
      await h.idle(lead);
    });
    expect(followUps(lead)).toHaveLength(0);
    expect(await sentEvents(lead)).toEqual([]);
  });

  it('nothing after the lead paid: a payment_paid event at 2 hours stops the 24h and 72h messages', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.env.sleep(2 * HOUR);
      await h.env.client.workflow.getHandle(leadWorkflowId(lead.id)).signal(domainEventSignal, { id: 'payment-1-paid', name: 'payment_paid', payload: { orderId: 1 } });
      await h.env.sleep(8 * 24 * HOUR);
      expect(await h.env.client.workflow.getHandle(leadWorkflowId(lead.id)).query(leadStateQuery)).toMatchObject({ mode: 'customer' });
    });
    expect(followUps(lead)).toHaveLength(0);
    expect(await sentEvents(lead)).toEqual([]);
  });

  it('a conversation that continued as new still gets its follow-up on time', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await skipToMoscow(12, 0);
      await h.env.client.workflow.signalWithStart('leadConversationWorkflow', {
        workflowId: leadWorkflowId(lead.id),
        taskQueue: h.taskQueue,
        args: [{ telegramUserId: lead.id, chatId: lead.id, maxEventsPerRun: 1 }],
        signal: 'inbound',
        signalArgs: [text(lead, '/start')],
      });
      await h.until('sendMessage', lead, 1);
      const firstRun = (await h.env.client.workflow.getHandle(leadWorkflowId(lead.id)).describe()).runId;
      await h.env.sleep(25 * HOUR);
      await h.until('sendMessage', lead, 2);
      expect((await h.env.client.workflow.getHandle(leadWorkflowId(lead.id)).describe()).runId).not.toBe(firstRun);
    });
    const [event] = await sentEvents(lead);
    expect(moscowTime(event.at as string)).toBe('12:00');
  });

  it('after an outage, each overdue lead gets exactly one follow-up, spread over the catch-up interval', async () => {
    // The time-skipping server does not skip time while a fired timer waits for a worker, so the
    // outage is simulated at scale: "24h" after 8 s, "72h" after 16 s (room for four starts on a loaded
    // machine before the first is due), "late" beyond 1 s; the worker is stopped until the server's
    // clock has passed both; then the catch-up spread (60 min) is skipped.
    const folder = scenarioCopy((source) =>
      source
        .replace('after_hours: 24\n', 'after_hours: 0.00222\n')
        .replace('after_hours: 72\n', 'after_hours: 0.00444\n')
        .replace('catch_up_spread_minutes: 60', 'catch_up_spread_minutes: 60\n  late_after_minutes: 0.02')
        .replace('quiet_hours: { from: "22:00", to: "09:00" }', 'quiet_hours: null'),
    );
    const leads = [h.newLead(), h.newLead(), h.newLead(), h.newLead()];
    const worker = () => h.worker({ scenarioPath: folder }, { maxCachedWorkflows: 0 });
    let lastStartAt = 0;
    await (await worker()).runUntil(async () => {
      for (const lead of leads) await h.conversations().deliver(text(lead, '/start'));
      for (const lead of leads) await h.until('sendMessage', lead, 1);
      lastStartAt = await h.env.currentTimeMs();
    });
    expect(leads.every((lead) => h.sent('sendMessage', lead).length === 1)).toBe(true); // nothing was due yet
    // The outage lasts until the server's clock is 2 s past the last lead's "72h".
    while ((await h.env.currentTimeMs()) <= lastStartAt + 18_000) await new Promise((resolve) => setTimeout(resolve, 200));
    const restartedAt = await h.env.currentTimeMs();
    await (await worker()).runUntil(async () => {
      await h.env.sleep(2 * HOUR); // longer than the 60-minute spread
      for (const lead of leads) await h.until('sendMessage', lead, 2);
    });
    const times: number[] = [];
    for (const lead of leads) {
      expect(followUps(lead)).toHaveLength(1);
      const [event] = await sentEvents(lead);
      expect(event).toMatchObject({ id: 'h72', skipped: ['h24'] });
      times.push(Date.parse(event.at as string));
    }
    expect(new Set(times).size).toBe(leads.length); // one after another, not all at once
    for (const at of times) {
      expect(at).toBeGreaterThanOrEqual(restartedAt);
      expect(at).toBeLessThanOrEqual(restartedAt + 61 * 60_000);
    }
  });
});

describe('an edited template', () => {
  it('the follow-up goes out with the text editors published, not the scenario default', async () => {
    const lead = h.newLead();
    await h.db('message_templates').insert({ key: 'follow_up.h24', language: 'ru', text: '{first_name}, новый текст от редактора', updated_by: 1 }).onConflict(['key', 'language']).merge();
    try {
      await (await h.worker()).runUntil(async () => {
        await skipToMoscow(12, 0);
        await h.conversations().deliver(text(lead, '/start'));
        await h.until('sendMessage', lead, 1);
        await h.env.sleep(25 * HOUR);
        await h.until('sendMessage', lead, 2);
      });
      expect(h.texts(lead)[1]).toBe('Анна, новый текст от редактора');
    } finally {
      await h.db('message_templates').where({ key: 'follow_up.h24', language: 'ru' }).delete();
    }
  });

  it('a template an editor gave a file goes out as that file with the text as its caption', async () => {
    const lead = h.newLead();
    await h.db('message_templates').insert({ key: 'follow_up.h24', language: 'ru', text: '{first_name}, гайд во вложении', updated_by: 1, document: 'tg:doc-editor-1' }).onConflict(['key', 'language']).merge();
    try {
      await (await h.worker()).runUntil(async () => {
        await skipToMoscow(12, 0);
        await h.conversations().deliver(text(lead, '/start'));
        await h.until('sendMessage', lead, 1);
        const documentsBefore = h.sent('sendDocument', lead).length;
        await h.env.sleep(25 * HOUR);
        await h.until('sendDocument', lead, documentsBefore + 1);
      });
      const sent = h.sent('sendDocument', lead).at(-1)!;
      expect(sent.params).toMatchObject({ document: 'doc-editor-1', caption: 'Анна, гайд во вложении' });
    } finally {
      await h.db('message_templates').where({ key: 'follow_up.h24', language: 'ru' }).delete();
    }
  });
});
