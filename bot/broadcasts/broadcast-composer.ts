import { Composer, InlineKeyboard } from 'grammy';
import type { Message } from 'grammy/types';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { launchCampaign } from '../../api/campaign-launch';
import type { CampaignWorkflowsPort } from '../../api/campaign-workflows';
import { audienceSize } from '../../db/campaigns';
import { auditStaffCommand, roleOf } from '../../db/staff';
import { dialogOf, setDialog, takeDialog } from '../../db/staff-dialogs';
import { AB_METRICS, type AbMetric, type CampaignAudience, type Segment } from '../../domain/broadcasts/campaign';
import {
  addVariant,
  buttonFits,
  completeDraft,
  COMPOSER_FLOW,
  contentOfVariant,
  EDITABLE_STEPS,
  ITEM_LIMIT,
  itemsInProgress,
  mainContent,
  moveTo,
  NAME_LIMIT,
  newDraft,
  readDraft,
  startEdit,
  stepAfter,
  withItem,
  withoutLastItem,
  withVariantButtons,
  type BroadcastDraft,
  type EditableStep,
} from '../../domain/broadcasts/broadcast-draft';
import { parseAbSettings, parseAudienceLines, parseButtonRows, parseSchedule, type ScenarioVocabulary } from '../../domain/broadcasts/broadcast-input';
import { itemOf, losesFormatting, messageKind } from './broadcast-items';
import { sendContentPreview } from './broadcast-preview';
import { confirmKeyboard, editKeyboard, itemKeyboard, promptFor, SCOPE } from './broadcast-prompts';
import { BROADCAST_TEXTS as T, share } from './broadcast-texts';
import type { BotContext } from '../context';
import { requireRole, type StaffAccessDeps } from '../staff-access';

export interface BroadcastComposerDeps extends StaffAccessDeps {
  db: Knex;
  logger: Logger;
  /** Starts the campaign's workflow on Confirm (Temporal in production, a recording port in tests). */
  workflows: CampaignWorkflowsPort;
  /** The scenarios' commands and survey answers: a command button or a tag is checked as it is typed. */
  vocabulary?: () => ScenarioVocabulary;
  /** The clock a schedule must be after. */
  now?: () => Date;
  /** TZ_DEFAULT: the zone editors type and read schedule times in (default Moscow). */
  timeZone?: string;
}

const CALLBACK = /^bc:([a-z]+)(?::([a-z0-9_]+))?$/;

/**
 * `/broadcast`: an editor composes a broadcast step by step (name, messages, buttons, audience, an
 * optional A/B test, schedule), sees it as leads will, and confirms, edits a part or cancels. The
 * draft is the JSON state of the editor's staff dialog, so it survives a restart; every step checks
 * the role anew and is recorded in staff_audit. `/cancel` (here or in the admin panel) ends it.
 */
export function broadcastComposer(deps: BroadcastComposerDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const privateChats = composer.chatType('private');
  const zone = deps.timeZone ?? 'Europe/Moscow';
  const now = deps.now ?? (() => new Date());

  const save = (editor: number, draft: BroadcastDraft) => setDialog(deps.db, editor, { kind: 'flow', flow: COMPOSER_FLOW, state: { ...draft } });

  async function draftOf(editor: number): Promise<BroadcastDraft | null | undefined> {
    const dialog = await dialogOf(deps.db, editor);
    if (dialog?.kind !== 'flow' || dialog.flow !== COMPOSER_FLOW) return undefined;
    return readDraft(dialog.state);
  }

  /** Saves the draft at its step and asks what that step needs. */
  async function goTo(ctx: BotContext, draft: BroadcastDraft): Promise<void> {
    await save(ctx.from!.id, draft);
    if (draft.step === 'preview') return showPreview(ctx, draft);
    await ctx.reply(...(await promptFor(draft, { audienceSize: (audience) => audienceSize(deps.db, audience), commands: commands(), zone })));
  }

  function commands(): string[] | undefined {
    return deps.vocabulary ? [...deps.vocabulary().commands] : undefined;
  }

  /** Every variant's messages as leads will get them, then the summary with Confirm / Edit / Cancel. */
  async function showPreview(ctx: BotContext, draft: BroadcastDraft): Promise<void> {
    const chatId = ctx.chat!.id;
    await ctx.reply(T.previewHeader);
    const variants = draft.ab
      ? [{ key: 'A', content: mainContent(draft) }, ...draft.ab.variants.map((v) => ({ key: v.key, content: contentOfVariant(draft, v) }))]
      : [{ key: undefined, content: mainContent(draft) }];
    for (const [index, variant] of variants.entries()) {
      if (variant.key && draft.ab) await ctx.reply(T.variantHeader(variant.key, share(draft.ab.weights, index)));
      const sent = await sendContentPreview(ctx.api, chatId, variant.content);
      if (!sent.ok) {
        // No Confirm under a broadcast Telegram refuses: only Edit and Cancel.
        return void (await ctx.reply(sent.problem, { reply_markup: new InlineKeyboard().text(T.buttons.edit, `${SCOPE}:edit`).text(T.buttons.cancel, `${SCOPE}:cancel`) }));
      }
    }
    await ctx.reply(T.summary(draft, await audienceSize(deps.db, draft.audience), zone), { reply_markup: confirmKeyboard() });
  }

  /** `/broadcast` or the panel's button: a new draft, or the unfinished one where it stopped. */
  async function begin(ctx: BotContext): Promise<void> {
    if (!(await requireRole(deps, ctx, 'editor', 'broadcast'))) return;
    if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
    const existing = await draftOf(ctx.from!.id);
    if (existing) {
      await ctx.reply(T.resumed(existing.name));
      return goTo(ctx, existing);
    }
    await goTo(ctx, newDraft());
  }

  privateChats.command('broadcast', begin);

  // Reached when the admin panel (which ends any dialog on /cancel) is not installed.
  privateChats.command('cancel', async (ctx, next) => {
    if ((await draftOf(ctx.from.id)) === undefined) return next();
    await takeDialog(deps.db, ctx.from.id);
    await auditStaffCommand(deps.db, { actor: ctx.from.id, actorRole: await roleOf(deps.db, ctx.from.id, deps.owners), command: 'broadcast:cancel', details: { by: '/cancel' }, allowed: true });
    await ctx.reply(T.cancelled);
  });
  privateChats.callbackQuery(`${SCOPE}:start`, begin);

  privateChats.callbackQuery(CALLBACK, async (ctx) => {
    const [action, argument] = [ctx.match[1], ctx.match[2]];
    const editor = ctx.from.id;
    if (!(await requireRole(deps, ctx, 'editor', `broadcast:${action}`, argument ? { argument } : {}))) return void (await dropDraft(editor));
    const draft = await draftOf(editor);
    if (draft === null) await takeDialog(deps.db, editor);
    if (!draft || !buttonFits(draft, action)) return void (await ctx.answerCallbackQuery({ text: draft === null ? T.broken : T.stale }).catch(() => undefined));
    await ctx.answerCallbackQuery().catch(() => undefined); // at once: a preview takes a few sends
    const next = await onButton(ctx, draft, action, argument);
    if (next === 'stale') return void (await ctx.reply(T.stale));
    if (next) await goTo(ctx, next);
  });

  /**
   * What a button does at the draft's step (`buttonFits` has checked that it belongs there): the draft
   * to go on with, nothing (already answered), or stale for an argument no keyboard of ours carries.
   */
  async function onButton(ctx: BotContext, draft: BroadcastDraft, action: string, argument: string | undefined): Promise<BroadcastDraft | undefined | 'stale'> {
    const settings = draft.ab;
    switch (action) {
      case 'cancel':
        await takeDialog(deps.db, ctx.from!.id);
        await ctx.reply(T.cancelled);
        return undefined;
      case 'done':
        if (!itemsInProgress(draft).length) return void (await ctx.reply(T.noItems));
        return moveTo(draft, stepAfter(draft, draft.step));
      case 'undo': {
        const undone = withoutLastItem(draft);
        await save(ctx.from!.id, undone);
        const left = itemsInProgress(undone).length;
        await ctx.reply(T.itemRemoved(left));
        return left ? undefined : undone; // with none left, the prompt again (without Done)
      }
      case 'nobuttons':
        return draft.step === 'buttons' ? moveTo({ ...draft, buttons: [] }, stepAfter(draft, 'buttons')) : moveTo(withVariantButtons(draft, []), stepAfter(draft, 'variant_buttons'));
      case 'keep':
        return moveTo(draft, stepAfter(draft, 'buttons'));
      case 'asa':
        return moveTo(withVariantButtons(draft, 'as_a'), stepAfter(draft, 'variant_buttons'));
      case 'all':
        return { ...draft, audience: {} };
      case 'seg':
        return argument === 'hot' || argument === 'warm' || argument === 'cold' ? { ...draft, audience: toggleSegment(draft.audience, argument) } : 'stale';
      case 'next':
        return moveTo(draft, stepAfter(draft, 'audience'));
      case 'abadd':
        return (settings?.variants.length ?? 0) < 2 ? addVariant(draft) : 'stale';
      case 'abskip':
        return moveTo({ ...draft, ab: null }, stepAfter(draft, 'ab'));
      case 'abnone':
        return moveTo({ ...draft, ab: null }, stepAfter(draft, 'ab_settings'));
      case 'abok':
        return moveTo(draft, stepAfter(draft, 'ab_settings'));
      case 'abm':
        return settings && (AB_METRICS as readonly string[]).includes(argument ?? '') ? { ...draft, ab: { ...settings, metric: argument as AbMetric } } : 'stale';
      case 'abw':
        return settings && ['12', '18', '24'].includes(argument ?? '') ? { ...draft, ab: { ...settings, windowHours: Number(argument) as 12 | 18 | 24 } } : 'stale';
      case 'abp':
        return settings && ['10', '20', '30', '50'].includes(argument ?? '') ? { ...draft, ab: { ...settings, pilotShare: Number(argument) } } : 'stale';
      case 'now':
        return moveTo({ ...draft, scheduledAt: null }, 'preview');
      case 'edit':
        if (!argument) return void (await ctx.reply(T.editWhat, { reply_markup: editKeyboard() }));
        return (EDITABLE_STEPS as readonly string[]).includes(argument) ? startEdit(draft, argument as EditableStep) : 'stale';
      case 'confirm':
        await confirm(ctx, draft);
        return undefined;
      default:
        return 'stale';
    }
  }

  /** Launches the previewed draft; the dialog is taken first, so a double press launches once. */
  async function confirm(ctx: BotContext, draft: BroadcastDraft): Promise<void> {
    const editor = ctx.from!.id;
    const taken = await takeDialog(deps.db, editor);
    if (taken?.kind !== 'flow' || taken.flow !== COMPOSER_FLOW) return void (await ctx.reply(T.stale));
    const completed = completeDraft(draft);
    if (!completed.ok) {
      await save(editor, draft);
      return void (await ctx.reply(T.invalid(completed.problem), { reply_markup: confirmKeyboard() }));
    }
    const { campaign } = completed;
    if (campaign.scheduledAt && campaign.scheduledAt.getTime() <= now().getTime()) {
      await ctx.reply(T.schedulePassed(campaign.scheduledAt, zone));
      return goTo(ctx, { ...draft, step: 'schedule', editing: true });
    }
    const launch = await launchCampaign(deps, { ...campaign, createdBy: editor });
    if (!launch.launched) {
      await save(editor, draft);
      return void (await ctx.reply(T.notLaunched(launch.reason), { reply_markup: confirmKeyboard() }));
    }
    await auditStaffCommand(deps.db, {
      actor: editor,
      actorRole: await roleOf(deps.db, editor, deps.owners),
      command: 'broadcast_launched',
      details: { campaignId: launch.campaign.id, name: campaign.name, scheduledAt: campaign.scheduledAt?.toISOString() ?? null, abTest: Boolean(campaign.abTest) },
      allowed: true,
    });
    await ctx.reply(T.launched(launch.campaign.id, campaign.name, campaign.scheduledAt, zone));
  }

  // The editor's answer to the current step. Commands pass by, so /cancel and the rest work mid-dialog.
  privateChats.on('message', async (ctx, next) => {
    if (ctx.message.text?.startsWith('/')) return next();
    const editor = ctx.from.id;
    const draft = await draftOf(editor);
    if (draft === undefined) return next();
    if (!(await requireRole(deps, ctx, 'editor', `broadcast:${draft?.step ?? 'broken'}`, { kind: messageKind(ctx.message) }))) return void (await dropDraft(editor));
    if (draft === null) {
      await takeDialog(deps.db, editor); // unreadable: keeping it would swallow every message
      return void (await ctx.reply(T.broken));
    }
    const answered = await onMessage(ctx, draft, ctx.message);
    if (answered) await goTo(ctx, answered);
  });

  /** What a message does at the draft's step: the draft to go on with, or nothing (answered). */
  async function onMessage(ctx: BotContext, draft: BroadcastDraft, message: Message): Promise<BroadcastDraft | undefined> {
    const text = message.text;
    switch (draft.step) {
      case 'name': {
        const name = text?.trim();
        if (!name || name.length > NAME_LIMIT) return void (await ctx.reply(T.nameNeeded));
        await ctx.reply(T.nameSaved(name));
        return moveTo({ ...draft, name }, stepAfter(draft, 'name'));
      }
      case 'items':
      case 'variant_items': {
        if (itemsInProgress(draft).length >= ITEM_LIMIT) return void (await ctx.reply(T.itemLimit, { reply_markup: itemKeyboard() }));
        const item = itemOf(message);
        if (typeof item === 'string') return void (await ctx.reply(item));
        const updated = withItem(draft, item);
        await save(ctx.from!.id, updated);
        const added = T.itemAdded(itemsInProgress(updated).length, item);
        await ctx.reply(losesFormatting(message) ? `${added}\n${T.formattingLost}` : added, { reply_markup: itemKeyboard() });
        return undefined;
      }
      case 'buttons':
      case 'variant_buttons': {
        if (!text) return void (await ctx.reply(T.textNeeded));
        const rows = parseButtonRows(text, deps.vocabulary?.());
        if (!rows.ok) return void (await ctx.reply(T.buttonsProblems(rows.problems)));
        await ctx.reply(T.buttonsSaved(rows.value));
        if (draft.step === 'buttons') return moveTo({ ...draft, buttons: rows.value }, stepAfter(draft, 'buttons'));
        return moveTo(withVariantButtons(draft, rows.value), stepAfter(draft, 'variant_buttons'));
      }
      case 'audience': {
        if (!text) return void (await ctx.reply(T.textNeeded));
        const audience = parseAudienceLines(text, draft.audience, deps.vocabulary?.());
        if (!audience.ok) return void (await ctx.reply(T.audienceProblems(audience.problems)));
        return { ...draft, audience: audience.value };
      }
      case 'ab_settings': {
        if (!text) return void (await ctx.reply(T.textNeeded));
        const change = parseAbSettings(text, draft.ab!.variants.length + 1);
        if (!change.ok) return void (await ctx.reply(T.abProblems(change.problems)));
        return { ...draft, ab: { ...draft.ab!, ...change.value } };
      }
      case 'schedule': {
        if (!text) return void (await ctx.reply(T.textNeeded));
        const at = parseSchedule(text, now(), zone);
        if (!at.ok) return void (await ctx.reply(T.scheduleProblem(at.problems.join('\n'))));
        return moveTo({ ...draft, scheduledAt: at.value?.toISOString() ?? null }, 'preview');
      }
      case 'ab':
        return void (await ctx.reply(T.pressAButton));
      case 'preview':
        return void (await ctx.reply(T.previewWaits, { reply_markup: confirmKeyboard() }));
    }
  }

  /** Someone who lost the role mid-dialog: the draft goes, nothing of it can be launched. */
  async function dropDraft(editor: number): Promise<void> {
    if ((await draftOf(editor)) !== undefined) await takeDialog(deps.db, editor);
  }

  return composer;
}

function toggleSegment(audience: CampaignAudience, segment: Segment): CampaignAudience {
  const { segments: before = [], ...rest } = audience;
  const segments = before.includes(segment) ? before.filter((s) => s !== segment) : [...before, segment];
  return segments.length ? { ...rest, segments } : rest;
}
