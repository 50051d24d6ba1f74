import ExcelJS from 'exceljs';
import pino from 'pino';
import type { CampaignCommand } from '../../../api/campaign-workflows';
import { createBot } from '../../../bot/bot';
import { createCampaign } from '../../../db/campaigns';
import type { Db } from '../../../db/knex';
import { setStaffRole } from '../../../db/staff';
import { campaignMessages } from '../../../domain/broadcasts/campaign-message';
import { encodeCampaignControl } from '../../../domain/broadcasts/campaign-report';
import type { InboundEvent } from '../../../domain/inbound-event';
import { FakeTelegramServer } from '../../fakes/telegram-server';
import { seedLeads, uniqueSource, type SeededLead } from '../../support/campaigns';
import { testDb, uniqueUserId } from '../../support/db';

const TOKEN = '123456:TEST-token-for-the-fake-server';
let fake: FakeTelegramServer;
let db: Db;
const owner = uniqueUserId();
const delivered: InboundEvent[] = [];
const signals: string[] = [];

beforeAll(async () => {
  fake = await FakeTelegramServer.start({ token: TOKEN });
  db = testDb();
});
afterAll(async () => {
  await Promise.all([fake?.stop(), db?.destroy()]);
});

async function bot() {
  const logger = pino({ level: 'silent' });
  const instance = createBot({
    token: TOKEN,
    apiRoot: fake.apiRoot,
    logger,
    conversations: { deliver: async (event) => void delivered.push(event) },
    staff: { db, owners: [owner], logger },
    campaigns: {
      db,
      owners: [owner],
      timeZone: 'Europe/Moscow',
      campaigns: {
        command: async (id: number, command: CampaignCommand) => (signals.push(`${id}:${command}`), true),
        pickWinner: async (id: number, variant: string) => (signals.push(`${id}:win:${variant}`), true),
      },
    },
  });
  await instance.init();
  return instance;
}

const press = async (from: number, data: string) => (await bot()).handleUpdate(fake.pushedUpdate(fake.pushCallback({ id: from, first_name: 'Лид' }, data, { message_id: 1 })));
const staleAnswers = () => fake.callsTo('answerCallbackQuery').filter((call) => call.params.text === 'Эта кнопка больше не работает.').length;

/** A sent delivery of a campaign with a consult button and an unsubscribe button; returns their callback data. */
async function sentCampaign(lead: SeededLead) {
  const campaign = await createCampaign(db, {
    name: 'Кнопки',
    createdBy: owner,
    content: { items: [{ kind: 'text', text: 'Новый поток' }], buttons: [[{ text: 'Записаться', action: 'command:consult' }, { text: 'Отписаться', action: 'unsubscribe' }]] },
    audience: {},
    scheduledAt: null,
  });
  const [row] = await db('campaign_deliveries').insert({ campaign_id: campaign.id, lead_id: lead.leadId, status: 'sent', sent_at: db.fn.now() }).returning('id');
  const [message] = campaignMessages(campaign.content, { deliveryId: Number(row.id), secret: 'x' });
  const [[consult, unsubscribe]] = message.buttons as { data: string }[][];
  return { campaignId: campaign.id, deliveryId: Number(row.id), consult: consult.data, unsubscribe: unsubscribe.data };
}

describe('broadcast buttons', () => {
  it("a lead's press is counted as a click and does what the command does, in the lead's own conversation", async () => {
    const [lead] = await seedLeads(db, uniqueSource(), 1);
    const { deliveryId, consult, unsubscribe } = await sentCampaign(lead);
    await press(lead.telegramUserId, consult);
    await press(lead.telegramUserId, unsubscribe);
    const events = delivered.filter((e) => e.from.id === lead.telegramUserId);
    expect(events.map((e) => [e.kind, e.kind === 'command' ? e.command : null])).toEqual([
      ['command', 'consult'],
      ['command', 'stop'],
    ]);
    expect((await db('campaign_clicks').where({ delivery_id: deliveryId }).orderBy('button')).map((c: { button: number; clicks: number }) => [c.button, c.clicks])).toEqual([[0, 1], [1, 1]]);
    expect((await db('campaign_deliveries').where({ id: deliveryId }).first()).clicked_at).toBeInstanceOf(Date);
  });

  it("someone else pressing a lead's button, or a made-up one, gets a stale answer and counts nothing", async () => {
    const [lead] = await seedLeads(db, uniqueSource(), 1);
    const { deliveryId, consult } = await sentCampaign(lead);
    const stranger = uniqueUserId();
    const before = staleAnswers();
    for (const data of [consult, 'cmp:zzzzzz.0', 'cmp:garbage', `${consult.slice(0, -1)}7`]) await press(stranger, data);
    await press(lead.telegramUserId, `${consult.slice(0, -1)}7`); // no such button
    expect(delivered.filter((e) => e.from.id === stranger || e.from.id === lead.telegramUserId)).toEqual([]);
    expect(await db('campaign_clicks').where({ delivery_id: deliveryId })).toEqual([]);
    expect(staleAnswers() - before).toBe(5);
  });

  it("an editor's press on an A/B report signals the campaign; a manager's is refused and recorded", async () => {
    const editor = uniqueUserId();
    const manager = uniqueUserId();
    await setStaffRole(db, editor, 'editor', owner);
    await setStaffRole(db, manager, 'manager', owner);
    const [lead] = await seedLeads(db, uniqueSource(), 2);
    const first = await sentCampaign(lead);
    const second = await sentCampaign(lead);
    const content = { items: [{ kind: 'text', text: 'x' }] };
    await db('campaigns').where({ id: first.campaignId }).update({ ab_test: JSON.stringify({ variants: [{ key: 'A', weight: 1, content }, { key: 'B', weight: 1, content }], pilotShare: 20, metric: 'click_rate', windowHours: 12 }) });
    await press(editor, encodeCampaignControl(first.campaignId, { command: 'win', variant: 'C' }));
    expect(String(fake.callsTo('sendMessage', editor).at(-1)?.params.text)).toBe(`#${first.campaignId}: варианта C в этой рассылке нет.`);
    await press(editor, encodeCampaignControl(first.campaignId, { command: 'win', variant: 'B' }));
    await press(editor, encodeCampaignControl(second.campaignId, { command: 'now' }));
    expect(signals.slice(-2)).toEqual([`${first.campaignId}:win:B`, `${second.campaignId}:deliver-now`]);
    expect(String(fake.callsTo('sendMessage', editor).at(-1)?.params.text)).toBe(`#${second.campaignId}: Сейчас: запланированная рассылка стартует, A/B-тест решается по собранным данным.`);
    const before = signals.length;
    await press(manager, encodeCampaignControl(first.campaignId, { command: 'cancel' }));
    expect(signals).toHaveLength(before);
    expect(String(fake.callsTo('sendMessage', manager).at(-1)?.params.text)).toMatch(/^⛔ Это доступно редакторам/);
    const audit = await db('staff_audit').where({ actor_telegram_id: manager, command: 'campaign_control' }).first();
    expect(audit).toMatchObject({ allowed: false });
  });

  it('an editor sees a campaign with its controls, pauses it and gets every recipient as CSV and as .xlsx', async () => {
    const editor = uniqueUserId();
    await setStaffRole(db, editor, 'editor', owner);
    const [lead] = await seedLeads(db, uniqueSource(), 1);
    const { campaignId } = await sentCampaign(lead);
    await db('campaigns').where({ id: campaignId }).update({ status: 'running' });
    await (await bot()).handleUpdate(fake.pushedUpdate(fake.pushText({ id: editor, first_name: "Редактор" }, `/campaign ${campaignId}`)));
    const card = fake.callsTo('sendMessage', editor).at(-1);
    expect(String(card?.params.text)).toContain(`📣 #${campaignId} «Кнопки» — running\nЗапуск: сразу (Europe/Moscow)\nВ очереди 0, отправлено 1`);
    const buttons = (card?.params.reply_markup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard.flat();
    expect(buttons.map((b) => b.callback_data)).toEqual([`cmpctl:${campaignId}:pause`, `cmpctl:${campaignId}:cancel`, `cmpctl:${campaignId}:show`, `cmpctl:${campaignId}:csv`, `cmpctl:${campaignId}:xlsx`]);
    await press(editor, `cmpctl:${campaignId}:pause`);
    expect(signals.at(-1)).toBe(`${campaignId}:pause`);
    await press(editor, `cmpctl:${campaignId}:csv`);
    const csv = fake.callsTo('sendDocument', editor).at(-1);
    expect(String(csv?.params.caption)).toBe(`#${campaignId}: получателей 1`);
    const csvFile = fake.sentFile((csv?.result as { document: { file_id: string } }).document.file_id);
    expect(csvFile?.name).toBe(`campaign-${campaignId}-deliveries.csv`);

    await press(editor, `cmpctl:${campaignId}:xlsx`);
    const xlsx = fake.callsTo('sendDocument', editor).at(-1);
    expect(String(xlsx?.params.caption)).toBe(`#${campaignId}: получателей 1`);
    const file = fake.sentFile((xlsx?.result as { document: { file_id: string } }).document.file_id);
    expect(file?.name).toBe(`campaign-${campaignId}-deliveries.xlsx`);
    // The same rows as the CSV, typed: the lead id a number, the send time a date.
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(file?.content ?? []).buffer);
    const sheet = workbook.worksheets[0];
    const csvRows = String(csvFile?.content.toString('utf8')).replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(sheet.rowCount).toBe(csvRows.length);
    expect((sheet.getRow(1).values as unknown[]).slice(1).join(',')).toBe(csvRows[0]);
    expect(sheet.getRow(2).getCell(2).value).toBe(lead.leadId);
    expect(sheet.getRow(2).getCell(9).value).toBeInstanceOf(Date);
  });
});
