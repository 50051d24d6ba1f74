import { z } from 'zod';
import {
  AB_METRICS,
  abTestSchema,
  campaignAudienceSchema,
  campaignButtonSchema,
  campaignContentSchema,
  campaignItemSchema,
  type AbMetric,
  type AbTestConfig,
  type CampaignAudience,
  type CampaignButton,
  type CampaignContent,
  type CampaignItem,
} from './campaign';

/**
 * A broadcast being composed in Telegram (docs/broadcasts.md): what the editor answered so far and
 * the step they stand at. Pure: the composer keeps it as the JSON state of its staff dialog, so the
 * draft lives in Postgres and survives a restart of the bot.
 */

/** The staff dialog flow name the composer's state is stored under. */
export const COMPOSER_FLOW = 'broadcast_composer';

/** Messages per broadcast (or per variant): Telegram albums stop at 10 too. */
export const ITEM_LIMIT = 10;
export const NAME_LIMIT = 200;

export const COMPOSER_STEPS = ['name', 'items', 'buttons', 'audience', 'ab', 'variant_items', 'variant_buttons', 'ab_settings', 'schedule', 'preview'] as const;
export type ComposerStep = (typeof COMPOSER_STEPS)[number];

/** The steps an editor can go back to from the preview (the A/B test's inner steps follow from `ab`). */
export const EDITABLE_STEPS = ['name', 'items', 'buttons', 'audience', 'ab', 'schedule'] as const;
export type EditableStep = (typeof EDITABLE_STEPS)[number];

/**
 * The steps at which each composer button means something. Pressed at another step it is left over
 * from an earlier message (the chat keeps old buttons) and does nothing.
 */
export const BUTTON_STEPS: Record<string, readonly ComposerStep[]> = {
  cancel: COMPOSER_STEPS,
  done: ['items', 'variant_items'],
  undo: ['items', 'variant_items'],
  nobuttons: ['buttons', 'variant_buttons'],
  keep: ['buttons'],
  asa: ['variant_buttons'],
  all: ['audience'],
  seg: ['audience'],
  next: ['audience'],
  abadd: ['ab', 'ab_settings'],
  abskip: ['ab'],
  abnone: ['ab_settings'],
  abok: ['ab_settings'],
  abm: ['ab_settings'],
  abw: ['ab_settings'],
  abp: ['ab_settings'],
  now: ['schedule'],
  edit: ['preview'],
  confirm: ['preview'],
};

export function buttonFits(draft: BroadcastDraft, action: string): boolean {
  return BUTTON_STEPS[action]?.includes(draft.step) ?? false;
}

/** A variant beyond A (A is the broadcast's own content). `buttons: 'as_a'` follows A's, even after A's change. */
export interface DraftVariant {
  key: 'B' | 'C';
  items: CampaignItem[];
  buttons: CampaignButton[][] | 'as_a';
}

export interface DraftAbTest {
  variants: DraftVariant[];
  /** Relative weights, A first, one per variant. */
  weights: number[];
  pilotShare: number;
  metric: AbMetric;
  windowHours: 12 | 18 | 24;
}

export interface BroadcastDraft {
  step: ComposerStep;
  /** The editor came here from the preview's Edit: when this part is done, back to the preview. */
  editing: boolean;
  name?: string;
  items: CampaignItem[];
  /** Rows under the last message; empty: no buttons. */
  buttons: CampaignButton[][];
  audience: CampaignAudience;
  ab: DraftAbTest | null;
  /** ISO time; null: now; absent: not chosen yet. */
  scheduledAt?: string | null;
}

export const AB_DEFAULTS = { pilotShare: 20, metric: 'click_rate', windowHours: 24 } as const satisfies Partial<DraftAbTest>;

export function newDraft(): BroadcastDraft {
  return { step: 'name', editing: false, items: [], buttons: [], audience: {}, ab: null };
}

const draftSchema = z.object({
  step: z.enum(COMPOSER_STEPS),
  editing: z.boolean(),
  name: z.string().optional(),
  items: z.array(campaignItemSchema),
  buttons: z.array(z.array(campaignButtonSchema)),
  audience: campaignAudienceSchema,
  ab: z
    .object({
      variants: z.array(z.object({ key: z.enum(['B', 'C']), items: z.array(campaignItemSchema), buttons: z.union([z.literal('as_a'), z.array(z.array(campaignButtonSchema))]) })),
      weights: z.array(z.number()),
      pilotShare: z.number(),
      metric: z.enum(AB_METRICS),
      windowHours: z.union([z.literal(12), z.literal(18), z.literal(24)]),
    })
    .nullable(),
  scheduledAt: z.string().nullable().optional(),
});

/** The draft from a dialog's stored state; null when the state is not a draft (written by another version). */
export function readDraft(state: Record<string, unknown>): BroadcastDraft | null {
  const parsed = draftSchema.safeParse(state);
  return parsed.success ? (parsed.data as BroadcastDraft) : null;
}

/** The variant the editor is composing now (the last one added), during the variant steps. */
export function currentVariant(draft: BroadcastDraft): DraftVariant | undefined {
  return draft.ab?.variants.at(-1);
}

/**
 * Where the editor goes when a step is done. Editing from the preview returns there once the part
 * is done; a new variant's items and buttons always lead on to the test's settings.
 */
export function stepAfter(draft: BroadcastDraft, done: ComposerStep): ComposerStep {
  if (done === 'variant_items') return 'variant_buttons';
  if (done === 'variant_buttons') return 'ab_settings';
  if (draft.editing || done === 'schedule') return 'preview';
  const order: Partial<Record<ComposerStep, ComposerStep>> = { name: 'items', items: 'buttons', buttons: 'audience', audience: 'ab', ab: 'schedule', ab_settings: 'schedule' };
  return order[done] ?? 'preview';
}

/** The draft moved to `step`; leaving for the preview ends an edit. */
export function moveTo(draft: BroadcastDraft, step: ComposerStep): BroadcastDraft {
  return { ...draft, step, editing: step === 'preview' ? false : draft.editing };
}

/** Going back from the preview to change one part. Items are composed anew; the rest is kept to change. */
export function startEdit(draft: BroadcastDraft, part: EditableStep): BroadcastDraft {
  const step: ComposerStep = part === 'ab' && draft.ab ? 'ab_settings' : part;
  return { ...draft, step, editing: true, ...(part === 'items' ? { items: [] } : {}) };
}

/** Adds variant B (or C) with empty content and equal weights. */
export function addVariant(draft: BroadcastDraft): BroadcastDraft {
  const variants = draft.ab?.variants ?? [];
  if (variants.length >= 2) return draft;
  const key: DraftVariant['key'] = variants.length === 0 ? 'B' : 'C';
  const count = variants.length + 2;
  const ab: DraftAbTest = {
    pilotShare: draft.ab?.pilotShare ?? AB_DEFAULTS.pilotShare,
    metric: draft.ab?.metric ?? AB_DEFAULTS.metric,
    windowHours: draft.ab?.windowHours ?? AB_DEFAULTS.windowHours,
    variants: [...variants, { key, items: [], buttons: 'as_a' }],
    weights: equalWeights(count),
  };
  return { ...draft, ab, step: 'variant_items' };
}

/** Equal shares that read as percents: 50/50, 34/33/33. */
export function equalWeights(count: number): number[] {
  const base = Math.floor(100 / count);
  return Array.from({ length: count }, (_, i) => base + (i < 100 - base * count ? 1 : 0));
}

/** Items of the part being composed: the broadcast's own, or the current variant's. */
export function itemsInProgress(draft: BroadcastDraft): CampaignItem[] {
  return draft.step === 'variant_items' ? (currentVariant(draft)?.items ?? []) : draft.items;
}

export function withItem(draft: BroadcastDraft, item: CampaignItem): BroadcastDraft {
  if (draft.step !== 'variant_items' || !draft.ab) return { ...draft, items: [...draft.items, item] };
  const variants = draft.ab.variants.map((v, i, all) => (i === all.length - 1 ? { ...v, items: [...v.items, item] } : v));
  return { ...draft, ab: { ...draft.ab, variants } };
}

/** The last item of the part being composed taken back. */
export function withoutLastItem(draft: BroadcastDraft): BroadcastDraft {
  if (draft.step !== 'variant_items' || !draft.ab) return { ...draft, items: draft.items.slice(0, -1) };
  const variants = draft.ab.variants.map((v, i, all) => (i === all.length - 1 ? { ...v, items: v.items.slice(0, -1) } : v));
  return { ...draft, ab: { ...draft.ab, variants } };
}

export function withVariantButtons(draft: BroadcastDraft, buttons: DraftVariant['buttons']): BroadcastDraft {
  if (!draft.ab) return draft;
  const variants = draft.ab.variants.map((v, i, all) => (i === all.length - 1 ? { ...v, buttons } : v));
  return { ...draft, ab: { ...draft.ab, variants } };
}

/** A variant without items (the editor left the variant steps by Edit) does not count. */
export function contentOfVariant(draft: BroadcastDraft, variant: DraftVariant): CampaignContent {
  const buttons = variant.buttons === 'as_a' ? draft.buttons : variant.buttons;
  return { items: variant.items, ...(buttons.length ? { buttons } : {}) };
}

export function mainContent(draft: BroadcastDraft): CampaignContent {
  return { items: draft.items, ...(draft.buttons.length ? { buttons: draft.buttons } : {}) };
}

/** What the campaign will be, checked by the same schemas as the api's JSON. */
export type CompletedDraft = { name: string; content: CampaignContent; audience: CampaignAudience; abTest: AbTestConfig | null; scheduledAt: Date | null };

export function completeDraft(draft: BroadcastDraft): { ok: true; campaign: CompletedDraft } | { ok: false; problem: string } {
  if (!draft.name) return { ok: false, problem: 'no name' };
  if (draft.scheduledAt === undefined) return { ok: false, problem: 'no schedule' };
  const content = campaignContentSchema.safeParse(mainContent(draft));
  if (!content.success) return { ok: false, problem: content.error.issues[0].message };
  const audience = campaignAudienceSchema.safeParse(draft.audience);
  if (!audience.success) return { ok: false, problem: audience.error.issues[0].message };
  let abTest: AbTestConfig | null = null;
  if (draft.ab) {
    const parsed = abTestSchema.safeParse({
      variants: [
        { key: 'A', weight: draft.ab.weights[0], content: content.data },
        ...draft.ab.variants.map((v, i) => ({ key: v.key, weight: draft.ab!.weights[i + 1], content: contentOfVariant(draft, v) })),
      ],
      pilotShare: draft.ab.pilotShare,
      metric: draft.ab.metric,
      windowHours: draft.ab.windowHours,
    });
    if (!parsed.success) return { ok: false, problem: parsed.error.issues[0].message };
    abTest = parsed.data;
  }
  return {
    ok: true,
    campaign: { name: draft.name, content: content.data, audience: audience.data, abTest, scheduledAt: draft.scheduledAt === null ? null : new Date(draft.scheduledAt) },
  };
}
