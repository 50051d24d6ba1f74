import { leadRows } from '../support/db';
import { buttonsOf, MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { press, text, type TestUser } from '../support/updates';

const h = useLeadHarness();

const MSK_OFFSET_MS = 3 * 3600_000;

/** Server time of the time-skipping environment (it moves only when we skip it). */
async function serverNow(): Promise<number> {
  return h.env.currentTimeMs();
}

/** Skips server time forward to the next Friday 17:50 Moscow time. */
async function skipToFriday1750(): Promise<void> {
  const now = await serverNow();
  const msk = new Date(now + MSK_OFFSET_MS);
  const target = new Date(Date.UTC(msk.getUTCFullYear(), msk.getUTCMonth(), msk.getUTCDate(), 17, 50) - MSK_OFFSET_MS);
  while (new Date(target.getTime() + MSK_OFFSET_MS).getUTCDay() !== 5 || target.getTime() <= now) target.setUTCDate(target.getUTCDate() + 1);
  await h.env.sleep(target.getTime() - now);
}

const lastMessage = (lead: TestUser) => h.sent('sendMessage', lead).at(-1)!;
const dataOf = (lead: TestUser) => buttonsOf(lastMessage(lead)).map((b) => b.callback_data as string);

/** Delivers an event and waits for the next message to the lead. */
async function step(lead: TestUser, event: ReturnType<typeof text>): Promise<string> {
  const before = h.sent('sendMessage', lead).length;
  await h.conversations().deliver(event);
  await h.until('sendMessage', lead, before + 1);
  await h.idle(lead); // a second message of the same step has arrived by now, if there is one
  return String(lastMessage(lead).params.text);
}

async function bookFirstSlot(lead: TestUser, slotIndex: number): Promise<void> {
  await step(lead, text(lead, '/consult'));
  await step(lead, press(lead, dataOf(lead)[0])); // the first offered day
  await step(lead, press(lead, dataOf(lead)[slotIndex]));
}

describe('consultation booking on the time-skipping server', () => {
  it('Friday 17:50 Moscow: Monday and Tuesday offered; phone asked; booked; managers told; reminder 15 minutes before', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await step(lead, text(lead, '/start'));
      await skipToFriday1750();
      await step(lead, text(lead, '/consult'));
      const days = dataOf(lead).filter((d) => d.startsWith('bk:d.'));
      const weekdays = days.map((d) => new Date(`${d.slice(5)}T12:00:00Z`).getUTCDay());
      expect(weekdays).toEqual([1, 2]); // Monday, Tuesday
      expect(buttonsOf(lastMessage(lead))[0].text).toMatch(/^Пн/);

      const slots = await step(lead, press(lead, days[0]));
      expect(slots).toMatch(/^Свободное время на /);
      expect(buttonsOf(lastMessage(lead)).map((b) => b.text).slice(0, 4)).toEqual(['12:00', '14:00', '16:00', '18:00']);
      const askPhone = await step(lead, press(lead, dataOf(lead)[1])); // 14:00
      expect(askPhone).toContain('номер телефона');
      expect(lastMessage(lead).params.reply_markup).toMatchObject({ keyboard: [[{ request_contact: true }]] });

      expect(await step(lead, text(lead, '12345'))).toContain('Не похоже на номер телефона');
      const confirm = await step(lead, text(lead, '8 (912) 345-67-89'));
      expect(confirm).toMatch(/^Консультация: понедельник, \d+ \S+, 14:00 \(МСК\)\. Подтверждаете\?/);
      const booked = await step(lead, press(lead, dataOf(lead)[0]));
      expect(booked).toMatch(/^Готово! Консультация: понедельник/);

      const { lead: row } = await leadRows(h.db, lead.id);
      expect(row.phone).toBe('+79123456789');
      const [booking] = await h.db('bookings').where({ lead_id: row.id });
      expect(booking.status).toBe('scheduled');
      expect(new Date(booking.starts_at).getUTCHours()).toBe(11); // 14:00 Moscow
      await h.fake.waitFor(() => h.fake.callsTo('sendMessage', MANAGERS_CHAT).some((c) => /Запись на консультацию: понедельник/.test(String(c.params.text))));

      // Skip to 5 minutes before the reminder: nothing yet; then past it: the reminder, once.
      const reminderAt = new Date(booking.starts_at).getTime() - 15 * 60_000;
      // Skip to 5 minutes before the reminder: nothing yet (follow-ups may go out meanwhile); then past it: the reminder, once.
      const reminders = () => h.sent('sendMessage', lead).filter((c) => String(c.params.text).startsWith('⏰'));
      await h.env.sleep(reminderAt - (await serverNow()) - 5 * 60_000);
      expect(reminders()).toHaveLength(0);
      await h.env.sleep(10 * 60_000);
      await h.fake.waitFor(() => reminders().length === 1);
      expect(String(reminders()[0].params.text)).toMatch(/^⏰ Напоминаю: консультация через 15 минут/);
      expect(buttonsOf(reminders()[0]).map((b) => b.callback_data)).toEqual([`bk:rok.${booking.id}`, `bk:rcn.${booking.id}`]);
      expect(await step(lead, press(lead, `bk:rok.${booking.id}`))).toContain('менеджер ждёт вас');
      expect((await h.db('bookings').where({ id: booking.id }).first()).reminded_at).not.toBeNull();
    });
  });

  it('a typed time 30 minutes ahead is refused with guidance', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await step(lead, text(lead, '/start'));
      await skipToFriday1750();
      await h.env.sleep(3 * 24 * 3600_000 - 5 * 3600_000 - 50 * 60_000); // Monday 12:00 Moscow
      await step(lead, text(lead, '/consult'));
      const prompt = await step(lead, press(lead, dataOf(lead).find((d) => d === 'bk:type') as string));
      expect(prompt).toContain('Напишите дату и время');
      const refusal = await step(lead, text(lead, 'сегодня 12:30'));
      expect(refusal).toMatch(/минимум за 45 минут/);
      const accepted = await step(lead, text(lead, 'сегодня 13:00'));
      expect(accepted).toContain('номер телефона'); // on to the phone: the time was taken
    });
  });

  it('a rescheduled booking: the old reminder never fires, the new one does', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await step(lead, text(lead, '/start'));
      await skipToFriday1750();
      await bookFirstSlot(lead, 0); // Monday 12:00
      await step(lead, text(lead, '+7 912 000-00-01'));
      await step(lead, press(lead, 'bk:ok'));
      const { lead: row } = await leadRows(h.db, lead.id);
      const [first] = await h.db('bookings').where({ lead_id: row.id });

      const already = await step(lead, text(lead, '/consult'));
      expect(already).toMatch(/^У вас уже есть запись: понедельник/);
      await step(lead, press(lead, `bk:resch.${first.id}`));
      await step(lead, press(lead, dataOf(lead)[0]));
      await step(lead, press(lead, dataOf(lead)[2])); // Monday 16:00; phone known: straight to confirm
      expect(await step(lead, press(lead, 'bk:ok'))).toMatch(/^Перенёс консультацию на понедельник, \d+ \S+, 16:00/);

      const bookings = await h.db('bookings').where({ lead_id: row.id }).orderBy('id');
      expect(bookings.map((b) => b.status)).toEqual(['cancelled', 'scheduled']);
      const reminders = () => h.sent('sendMessage', lead).filter((c) => String(c.params.text).startsWith('⏰'));
      await h.env.sleep(new Date(first.starts_at).getTime() - (await serverNow()) + 60_000); // past the old consultation
      expect(reminders()).toHaveLength(0);
      await h.env.sleep(new Date(bookings[1].starts_at).getTime() - (await serverNow()));
      await h.fake.waitFor(() => reminders().length === 1);
      expect(String(reminders()[0].params.text)).toMatch(/16:00/);
    });
  });
});
