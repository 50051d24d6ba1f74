import { z } from 'zod';

/**
 * What a broadcast is made of (docs/broadcasts.md), shared by the api, the Telegram composer and the
 * sender. Pure: no I/O, so the workflow, the bot and the tests read the same rules.
 */

export const CAMPAIGN_MEDIA_KINDS = ['photo', 'video', 'document', 'audio', 'voice'] as const;
export type CampaignMediaKind = (typeof CAMPAIGN_MEDIA_KINDS)[number];

/**
 * Formatting of a text or a caption as Telegram describes it (bold, italic, a link under words…):
 * offsets and lengths in UTF-16 code units, as JavaScript strings count. Sent back as `entities`, so
 * a broadcast looks as the editor wrote it, with no markup to escape.
 */
export interface TextEntity {
  type: string;
  offset: number;
  length: number;
  /** `text_link` */
  url?: string;
  /** `pre` */
  language?: string;
}

/** One message of a broadcast: a text, or a file Telegram already holds (by file_id or an https URL). */
export type CampaignItem =
  | { kind: 'text'; text: string; entities?: TextEntity[] }
  | { kind: CampaignMediaKind; file: string; caption?: string; captionEntities?: TextEntity[] };

/**
 * A button under the broadcast's last message. URL buttons go through the api's click redirect;
 * action buttons carry a short id and do, for the lead who presses them, what a command would:
 * - `unsubscribe`: the lead opts out of broadcasts, as with /stop (counted as an unsubscribe);
 * - `command:<name>`: as if the lead typed /<name>, e.g. `command:consult` books a consultation,
 *   `command:contact` leaves a request for a manager (the scenario's `commands` say where each leads).
 */
export type CampaignButton = { text: string; url: string } | { text: string; action: string };

export interface CampaignContent {
  items: CampaignItem[];
  /** Rows of buttons, attached to the last item. */
  buttons?: CampaignButton[][];
}

export type Segment = 'cold' | 'warm' | 'hot';

/** Who gets a broadcast. Every absent or empty filter means "any"; opted-out leads never receive. */
export interface CampaignAudience {
  segments?: Segment[];
  /** Deep-link sources (`leads.source`). */
  sources?: string[];
  scoreMin?: number;
  scoreMax?: number;
  /** Funnel stages (`leads.stage`). */
  stages?: string[];
  /** Survey answers the lead gave, as `question=answer` (`leads.answers`). */
  tags?: string[];
  /** Wrote to the bot within this many days. */
  activeWithinDays?: number;
  /** Has not written for at least this many days. */
  inactiveForDays?: number;
}

export const AB_METRICS = ['click_rate', 'reply_rate', 'lead_conversion', 'payment_conversion'] as const;
export type AbMetric = (typeof AB_METRICS)[number];
export const AB_WINDOW_HOURS = [12, 18, 24] as const;
export const VARIANT_KEYS = ['A', 'B', 'C'] as const;
export type VariantKey = (typeof VARIANT_KEYS)[number];

export interface AbVariant {
  key: VariantKey;
  /** Relative weight within the pilot (e.g. 50/50, or 50/25/25). */
  weight: number;
  content: CampaignContent;
}

export interface AbTestConfig {
  variants: AbVariant[];
  /** Percent of the audience in the pilot, 10–50. */
  pilotShare: number;
  metric: AbMetric;
  windowHours: (typeof AB_WINDOW_HOURS)[number];
}

// --- Validation, shared by the api (JSON) and the composer (dialog answers) ---------------------

const TEXT_LIMIT = 4096;
const CAPTION_LIMIT = 1024;
const BUTTON_TEXT_LIMIT = 64;
const ACTION_LIMIT = 40;

/** Entities a broadcast keeps; `text_mention` (needs the user) and `custom_emoji` (needs a Fragment username) are not among them. */
export const SENDABLE_ENTITY_TYPES = [
  'mention', 'hashtag', 'cashtag', 'bot_command', 'url', 'email', 'phone_number', 'bold', 'italic', 'underline',
  'strikethrough', 'spoiler', 'blockquote', 'expandable_blockquote', 'code', 'pre', 'text_link',
] as const;

export const textEntitySchema: z.ZodType<TextEntity> = z.object({
  type: z.enum(SENDABLE_ENTITY_TYPES),
  offset: z.number().int().min(0),
  length: z.number().int().positive(),
  url: z.url().optional(),
  language: z.string().max(64).optional(),
});
const entitiesSchema = z.array(textEntitySchema).max(100, 'at most 100 formatting entities').optional();

export const campaignItemSchema: z.ZodType<CampaignItem> = z.union([
  z.object({ kind: z.literal('text'), text: z.string().trim().min(1, 'a text item needs a text').max(TEXT_LIMIT, `a text is at most ${TEXT_LIMIT} characters (Telegram's limit)`), entities: entitiesSchema }),
  z.object({
    kind: z.enum(CAMPAIGN_MEDIA_KINDS, { error: `an item is text, ${CAMPAIGN_MEDIA_KINDS.join(', ')}` }),
    file: z.string().trim().min(1, 'a media item needs a file (a Telegram file_id or an https URL)').max(1000),
    caption: z.string().trim().max(CAPTION_LIMIT, `a caption is at most ${CAPTION_LIMIT} characters (Telegram's limit)`).optional(),
    captionEntities: entitiesSchema,
  }),
]);

export const campaignButtonSchema: z.ZodType<CampaignButton> = z.union([
  z.object({
    text: z.string().trim().min(1, 'a button needs a text').max(BUTTON_TEXT_LIMIT, `a button text is at most ${BUTTON_TEXT_LIMIT} characters`),
    url: z.url({ protocol: /^https?$/, error: 'a button url must be an http(s) address' }),
  }),
  z.object({
    text: z.string().trim().min(1, 'a button needs a text').max(BUTTON_TEXT_LIMIT, `a button text is at most ${BUTTON_TEXT_LIMIT} characters`),
    action: z
      .string()
      .trim()
      .max(ACTION_LIMIT, `an action is at most ${ACTION_LIMIT} characters`)
      .regex(/^(unsubscribe|command:[a-z0-9_]+)$/, 'an action is unsubscribe or command:<scenario command>, e.g. command:consult'),
  }),
]);

export const campaignContentSchema: z.ZodType<CampaignContent> = z.object({
  items: z.array(campaignItemSchema).min(1, 'a broadcast needs at least one item').max(10, 'at most 10 items'),
  buttons: z.array(z.array(campaignButtonSchema).min(1).max(8, 'at most 8 buttons a row')).max(10, 'at most 10 rows of buttons').optional(),
});

export const campaignAudienceSchema: z.ZodType<CampaignAudience> = z
  .object({
    segments: z.array(z.enum(['cold', 'warm', 'hot'], { error: 'segments are cold, warm or hot' })).optional(),
    sources: z.array(z.string().trim().min(1).max(64)).optional(),
    scoreMin: z.number().int().min(0).max(100).optional(),
    scoreMax: z.number().int().min(0).max(100).optional(),
    stages: z.array(z.string().trim().min(1).max(32)).optional(),
    tags: z.array(z.string().trim().regex(/^[^=]+=.+$/, 'a tag is question=answer')).optional(),
    activeWithinDays: z.number().int().min(1).max(3650).optional(),
    inactiveForDays: z.number().int().min(1).max(3650).optional(),
  })
  .refine((a) => a.scoreMin === undefined || a.scoreMax === undefined || a.scoreMin <= a.scoreMax, 'scoreMin must not exceed scoreMax');

export const abTestSchema: z.ZodType<AbTestConfig> = z
  .object({
    variants: z
      .array(z.object({ key: z.enum(VARIANT_KEYS), weight: z.number().positive('a weight is above 0').max(100), content: campaignContentSchema }))
      .min(2, 'an A/B test has 2 or 3 variants')
      .max(3, 'an A/B test has 2 or 3 variants'),
    pilotShare: z.number().int().min(10, 'the pilot share is 10–50 %').max(50, 'the pilot share is 10–50 %'),
    metric: z.enum(AB_METRICS, { error: `the metric is one of ${AB_METRICS.join(', ')}` }),
    windowHours: z.union([z.literal(12), z.literal(18), z.literal(24)], { error: 'the window is 12, 18 or 24 hours' }),
  })
  .refine((t) => new Set(t.variants.map((v) => v.key)).size === t.variants.length, 'variant keys must differ');

/** Rows written before content had items (`{ text, buttons }`) read as one text item. */
export function normaliseContent(stored: unknown): CampaignContent {
  const value = stored as { items?: CampaignItem[]; text?: string; buttons?: CampaignButton[][] };
  if (Array.isArray(value.items)) return value as CampaignContent;
  return { items: [{ kind: 'text', text: value.text ?? '' }], ...(value.buttons ? { buttons: value.buttons } : {}) };
}
