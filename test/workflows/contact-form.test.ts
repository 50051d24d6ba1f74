import { leadRows } from '../support/db';
import { buttonsOf, MANAGERS_CHAT, useLeadHarness } from '../support/lead-harness';
import { press, text, toEvent, textUpdate, type TestUser } from '../support/updates';

const h = useLeadHarness({ serverPerTest: true });
const MINUTE = 60_000;

const managersAbout = (lead: TestUser) => h.fake.callsTo('sendMessage', MANAGERS_CHAT).map((c) => String(c.params.text)).filter((t) => t.includes(`(id ${lead.id})`));

/** A shared contact from the lead (Telegram's contact button). */
function sharedContact(lead: TestUser, phone: string, userId = lead.id) {
  const update = textUpdate(lead, 'x');
  const { text: _text, ...message } = update.message;
  return toEvent({ update_id: update.update_id, message: { ...message, contact: { phone_number: phone, first_name: lead.first_name, user_id: userId } } });
}

describe('the contact form ("Leave a request") on the time-skipping server', () => {
  it('phone (shared, own), name, e-mail: a lead card reaches the managers and the contact is stored', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.conversations().deliver(press(lead, 'greeting:request'));
      await h.until('sendMessage', lead, 2);
      expect(h.sent('sendMessage', lead)[1].params.reply_markup).toMatchObject({ keyboard: [[{ request_contact: true }]] });
      await h.conversations().deliver(sharedContact(lead, '79123456789', 999)); // someone else's contact
      await h.until('sendMessage', lead, 3);
      expect(h.texts(lead)[2]).toContain('своим номером');
      await h.conversations().deliver(sharedContact(lead, '79123456789'));
      await h.until('sendMessage', lead, 4);
      await h.conversations().deliver(text(lead, 'А'));
      await h.until('sendMessage', lead, 5);
      expect(h.texts(lead)[4]).toContain('не короче 2 букв');
      await h.conversations().deliver(text(lead, 'Анна Петрова'));
      await h.until('sendMessage', lead, 6);
      await h.conversations().deliver(text(lead, 'не почта'));
      await h.until('sendMessage', lead, 7);
      expect(h.texts(lead)[6]).toContain('Не похоже на e-mail');
      await h.conversations().deliver(text(lead, 'Anna@Mail.ru'));
      await h.until('sendMessage', lead, 8);
      await h.fake.waitFor(() => managersAbout(lead).length === 1);
      await h.endAfterHandoffAnnounced(lead);
    });
    expect(h.texts(lead)[7]).toContain('Заявка у менеджера');
    expect(managersAbout(lead)[0]).toContain('📝 Заявка: Анна Петрова, +79123456789, anna@mail.ru');
    const { lead: row, events } = await leadRows(h.db, lead.id);
    expect(row).toMatchObject({ phone: '+79123456789', first_name: 'Анна Петрова', email: 'anna@mail.ru' });
    expect(events.map((e) => e.type)).toContain('lead_created');
  });

  it('a typed phone is normalised and the e-mail can be skipped', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/contact'));
      await h.conversations().deliver(text(lead, '8 (912) 000-11-22'));
      await h.conversations().deliver(text(lead, 'Иван'));
      await h.until('sendMessage', lead, 3);
      const skip = buttonsOf(h.sent('sendMessage', lead)[2])[0].callback_data as string;
      await h.conversations().deliver(press(lead, skip));
      await h.until('sendMessage', lead, 4);
      await h.fake.waitFor(() => managersAbout(lead).length === 1);
      await h.endAfterHandoffAnnounced(lead);
    });
    expect(managersAbout(lead)[0]).toContain('📝 Заявка: Иван, +79120001122');
    expect((await leadRows(h.db, lead.id)).lead.email).toBeNull();
  });

  it('abandoned: after 10 minutes (not before) the managers get an incomplete card with the last 2 messages', async () => {
    const lead = h.newLead();
    await (await h.worker()).runUntil(async () => {
      await h.conversations().deliver(text(lead, '/start'));
      await h.conversations().deliver(press(lead, 'greeting:request'));
      await h.conversations().deliver(text(lead, '+7 912 555-44-33'));
      await h.until('sendMessage', lead, 3); // asked for the name, then silence
      await h.env.sleep(9 * MINUTE);
      expect(managersAbout(lead)).toHaveLength(0);
      await h.env.sleep(2 * MINUTE);
      await h.fake.waitFor(() => managersAbout(lead).length === 1);
    });
    const card = managersAbout(lead)[0];
    expect(card).toContain('⚠️ Незавершённая заявка (+79125554433)');
    expect(card).toContain('«[button] greeting:request» / «+7 912 555-44-33»');
    expect((await leadRows(h.db, lead.id)).events.map((e) => e.type)).toContain('lead_incomplete');
    // A card the managers act on, not plain text: Take dialog and Open, for this lead.
    const call = h.fake.callsTo('sendMessage', MANAGERS_CHAT).find((c) => String(c.params.text).includes(`(id ${lead.id})`));
    const leadId = (await leadRows(h.db, lead.id)).lead.id;
    expect(call && buttonsOf(call)).toEqual([
      { text: '🙋 Взять диалог', callback_data: `ld:${leadId}.take` },
      { text: '💬 Открыть диалог', callback_data: `ld:${leadId}.open` },
    ]);
  });
});
