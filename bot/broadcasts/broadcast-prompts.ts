import { InlineKeyboard } from 'grammy';
import type { AudienceSize } from '../../db/campaigns';
import { AB_METRICS, type CampaignAudience, type Segment } from '../../domain/broadcasts/campaign';
import { currentVariant, EDITABLE_STEPS, itemsInProgress, type BroadcastDraft } from '../../domain/broadcasts/broadcast-draft';
import { BROADCAST_TEXTS as T, describeButtons, METRIC_NAMES } from './broadcast-texts';
import type { BotContext } from '../context';

/** Callback data of the composer's buttons: `bc:<action>[:<argument>]`. */
export const SCOPE = 'bc';

type Reply = Parameters<BotContext['reply']>;

export interface PromptContext {
  /** The audience estimate shown while the editor chooses it. */
  audienceSize(audience: CampaignAudience): Promise<AudienceSize>;
  /** The scenarios' commands, listed where buttons are typed. */
  commands?: string[];
  /** The zone schedule times are typed in (TZ_DEFAULT). */
  zone: string;
}

/**
 * What the editor is asked at the draft's step, with the buttons that answer it. Every keyboard
 * ends with Cancel on a row of its own.
 */
export async function promptFor(draft: BroadcastDraft, context: PromptContext): Promise<Reply> {
  // Cancel on a row of its own, without leaving an empty row in front of it.
  const cancel = (keyboard = new InlineKeyboard()) => (keyboard.inline_keyboard.at(-1)?.length ? keyboard.row() : keyboard).text(T.buttons.cancel, `${SCOPE}:cancel`);
  switch (draft.step) {
    case 'name':
      return [T.start, { reply_markup: cancel() }];
    case 'items':
    case 'variant_items': {
      const keyboard = new InlineKeyboard();
      if (itemsInProgress(draft).length) keyboard.text(T.buttons.done, `${SCOPE}:done`).text(T.buttons.undo, `${SCOPE}:undo`);
      return [T.itemsPrompt(draft.step === 'variant_items' ? currentVariant(draft)?.key : undefined), { reply_markup: cancel(keyboard) }];
    }
    case 'buttons': {
      const keyboard = new InlineKeyboard().text(T.buttons.noButtons, `${SCOPE}:nobuttons`);
      if (draft.editing && draft.buttons.length) keyboard.text(T.buttons.keep, `${SCOPE}:keep`);
      const current = draft.buttons.length ? `\n\nСейчас:\n${describeButtons(draft.buttons)}` : '';
      return [`${T.buttonsPrompt(undefined, context.commands)}${current}`, { reply_markup: cancel(keyboard) }];
    }
    case 'variant_buttons':
      return [T.buttonsPrompt(currentVariant(draft)?.key, context.commands), { reply_markup: cancel(new InlineKeyboard().text(T.buttons.asA, `${SCOPE}:asa`).text(T.buttons.noButtons, `${SCOPE}:nobuttons`)) }];
    case 'audience': {
      const chosen = new Set(draft.audience.segments ?? []);
      const keyboard = new InlineKeyboard().text(`${chosen.size ? '' : '✓ '}${T.buttons.everyone}`, `${SCOPE}:all`);
      for (const segment of ['hot', 'warm', 'cold'] as Segment[]) keyboard.text(`${chosen.has(segment) ? '✓ ' : ''}${segment}`, `${SCOPE}:seg:${segment}`);
      keyboard.row().text(T.buttons.next, `${SCOPE}:next`);
      return [T.audiencePrompt(draft.audience, await context.audienceSize(draft.audience)), { reply_markup: cancel(keyboard) }];
    }
    case 'ab':
      return [T.abPrompt, { reply_markup: cancel(new InlineKeyboard().text(T.buttons.addB, `${SCOPE}:abadd`).text(T.buttons.noTest, `${SCOPE}:abskip`)) }];
    case 'ab_settings': {
      const ab = draft.ab!;
      const mark = (on: boolean, label: string) => `${on ? '✓ ' : ''}${label}`;
      const keyboard = new InlineKeyboard();
      for (const metric of AB_METRICS) keyboard.text(mark(ab.metric === metric, METRIC_NAMES[metric]), `${SCOPE}:abm:${metric}`);
      keyboard.row();
      for (const hours of [12, 18, 24]) keyboard.text(mark(ab.windowHours === hours, `${hours} ч`), `${SCOPE}:abw:${hours}`);
      keyboard.row();
      for (const pilot of [10, 20, 30, 50]) keyboard.text(mark(ab.pilotShare === pilot, `пилот ${pilot} %`), `${SCOPE}:abp:${pilot}`);
      keyboard.row();
      if (ab.variants.length < 2) keyboard.text(T.buttons.addC, `${SCOPE}:abadd`);
      keyboard.text(T.buttons.dropTest, `${SCOPE}:abnone`).text(T.buttons.next, `${SCOPE}:abok`);
      return [T.abSettings(ab), { reply_markup: cancel(keyboard) }];
    }
    case 'schedule':
      return [T.schedulePrompt(context.zone), { reply_markup: cancel(new InlineKeyboard().text(T.buttons.now, `${SCOPE}:now`)) }];
    case 'preview':
      return [T.previewWaits, { reply_markup: confirmKeyboard() }];
  }
}

export function confirmKeyboard(): InlineKeyboard {
  return new InlineKeyboard().text(T.buttons.confirm, `${SCOPE}:confirm`).text(T.buttons.edit, `${SCOPE}:edit`).text(T.buttons.cancel, `${SCOPE}:cancel`);
}

export function editKeyboard(): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  EDITABLE_STEPS.forEach((part, i) => {
    keyboard.text(T.editParts[part], `${SCOPE}:edit:${part}`);
    if (i % 2 === 1) keyboard.row(); // two a row; six parts end on a full row, so Cancel gets its own
  });
  return keyboard.text(T.buttons.cancel, `${SCOPE}:cancel`);
}

export function itemKeyboard(): InlineKeyboard {
  return new InlineKeyboard().text(T.buttons.done, `${SCOPE}:done`).text(T.buttons.undo, `${SCOPE}:undo`).row().text(T.buttons.cancel, `${SCOPE}:cancel`);
}
