import { leadWorkflowId } from '../../workflows/lead-conversation/contract';
import { leadRows } from '../support/db';
import { useLeadHarness } from '../support/lead-harness';
import { text } from '../support/updates';

const h = useLeadHarness();

/** What the conversation did with the last update it received, from its history. */
async function handlingOfLastUpdate(telegramUserId: number) {
  const events = (await h.env.client.workflow.getHandle(leadWorkflowId(telegramUserId)).fetchHistory()).events ?? [];
  const after = events.slice(events.map((e) => !!e.workflowExecutionSignaledEventAttributes).lastIndexOf(true));
  return {
    activityTasks: after.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name ?? ''] : [])),
    localActivities: after.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
    workflowTasks: after.filter((e) => e.workflowTaskCompletedEventAttributes).length,
  };
}

/**
 * A lead's update in a live conversation is recorded by the send of its answer, a local activity (issue
 * 23: one workflow task per reply instead of three, docs/testing.md#performance). What the lead and the dashboard see stays:
 * the message is logged once, before its answer, and is never lost when the answer is not delivered.
 */
describe('a reply records the lead message it answers', () => {
  it('answers /help within one workflow task, and the log shows the lead\'s /help before the answer', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.idle(lead);
      await h.conversations().deliver(text(lead, '/help'));
      await h.until('sendMessage', lead, 2);
      await h.idle(lead);
    });
    expect(h.texts(lead)[1]).toContain('/reset');
    // The send is a local activity of the workflow task that took the update: no activity task, no second workflow task.
    expect(await handlingOfLastUpdate(lead.id)).toEqual({ activityTasks: [], localActivities: 1, workflowTasks: 1 });
    const { lead: row, messages } = await leadRows(h.db, lead.id);
    expect(messages.map((m) => [m.direction, m.text?.slice(0, 5), m.lead_id])).toEqual([
      ['in', '/star', row.id],
      ['out', expect.any(String), row.id],
      ['in', '/help', row.id],
      ['out', expect.any(String), row.id],
    ]);
  });

  it('records the message once when the answer is retried after a 429', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.idle(lead);
      h.fake.failNext('sendMessage', { code: 429, retryAfter: 1 });
      await h.conversations().deliver(text(lead, '/help'));
      await h.until('sendMessage', lead, 2);
      await h.idle(lead);
    });
    const { messages } = await leadRows(h.db, lead.id);
    expect(messages.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual(['/start', '/help']);
    expect(messages.filter((m) => m.direction === 'out').map((m) => m.status)).toEqual(['sent', 'sent']);
  });

  it('keeps the message of a lead who blocked the bot, and marks them blocked', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.until('sendMessage', lead, 1);
      await h.idle(lead);
      h.fake.failNext('sendMessage', { code: 403, description: 'Forbidden: bot was blocked by the user' });
      await h.conversations().deliver(text(lead, '/help'));
      await h.idle(lead);
    });
    const { lead: row, messages } = await leadRows(h.db, lead.id);
    expect(messages.filter((m) => m.direction === 'in').map((m) => m.text)).toEqual(['/start', '/help']);
    expect(messages.filter((m) => m.direction === 'out').map((m) => m.status)).toEqual(['sent', 'failed']);
    expect(row.blocked).toBe(true);
  });
});
