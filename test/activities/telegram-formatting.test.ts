import { Api } from 'grammy';
import pino from 'pino';
import { createLeadsActivities } from '../../activities/leads';
import { createTelegramActivities } from '../../activities/telegram';
import type { Db } from '../../db/knex';
import { campaignMessages } from '../../domain/broadcasts/campaign-message';
import { FakeTelegramServer } from '../fakes/telegram-server';
import { testDb, uniqueUserId } from '../support/db';
import { text, type TestUser } from '../support/updates';

const TOKEN = '123456:TEST-token-for-the-fake-server';
let fake: FakeTelegramServer;
let db: Db;

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

async function newLead(): Promise<{ user: TestUser; leadId: number }> {
  const user: TestUser = { id: uniqueUserId(), first_name: 'Anna' };
  const { leadId } = await createLeadsActivities({ db, logger: pino({ level: 'silent' }) }).recordInbound(text(user, '/start'));
  return { user, leadId };
}

const bold = { type: 'bold', offset: 0, length: 5 };
const link = { type: 'text_link', offset: 6, length: 4, url: 'https://school.example.com/' };

describe('a broadcast keeps the formatting the editor wrote', () => {
  it('a text and a caption go out with their entities, as the gateway sends them to a lead', async () => {
    const lead = await newLead();
    const telegram = createTelegramActivities({ api: new Api(TOKEN, { apiRoot: fake.apiRoot }), db, logger: pino({ level: 'silent' }) });
    const [first, second] = campaignMessages(
      {
        items: [
          { kind: 'text', text: 'Старт скоро', entities: [bold, link] },
          { kind: 'photo', file: 'ph-1', caption: 'Жирно здесь', captionEntities: [bold] },
        ],
      },
      { deliveryId: 7, secret: 's' },
    );
    await telegram.sendToLead({ outboundId: `campaign-x/${lead.leadId}`, leadId: lead.leadId, chatId: lead.user.id, content: first });
    await telegram.sendToLead({ outboundId: `campaign-x/${lead.leadId}/1`, leadId: lead.leadId, chatId: lead.user.id, content: second });
    expect(fake.callsTo('sendMessage', lead.user.id).at(-1)!.params).toMatchObject({ text: 'Старт скоро', entities: [bold, link] });
    expect(fake.callsTo('sendPhoto', lead.user.id).at(-1)!.params).toMatchObject({ photo: 'ph-1', caption: 'Жирно здесь', caption_entities: [bold] });
  });

  it('a text split into parts goes out plain rather than with offsets that no longer fit', async () => {
    const lead = await newLead();
    const telegram = createTelegramActivities({ api: new Api(TOKEN, { apiRoot: fake.apiRoot }), db, logger: pino({ level: 'silent' }) });
    const long = `${'а'.repeat(3000)}\n\n${'б'.repeat(3000)}`;
    await telegram.sendToLead({ outboundId: `split-${lead.leadId}`, leadId: lead.leadId, chatId: lead.user.id, content: { type: 'text', text: long, entities: [bold] } });
    const parts = fake.callsTo('sendMessage', lead.user.id);
    expect(parts).toHaveLength(2);
    expect(parts.map((p) => p.params.entities)).toEqual([undefined, undefined]);
  });
});
