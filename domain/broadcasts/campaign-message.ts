import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AbVariant, CampaignButton, CampaignContent, CampaignItem, VariantKey } from './campaign';
import type { OutboundButton, OutboundContent } from '../conversation';

/**
 * How a broadcast becomes Telegram messages for one recipient. Every button is tracked: an action
 * button's callback data is `cmp:<delivery>.<button>` (a few bytes, far inside Telegram's 64), a URL
 * button points at the api's redirect `/c/<delivery>.<button>.<signature>`, which counts the click
 * and forwards to the URL the campaign holds (so the redirect can never be aimed elsewhere).
 */

export const CAMPAIGN_BUTTON_SCOPE = 'cmp';

export interface ClickTracking {
  deliveryId: number;
  /** The api's public address; without it URL buttons go straight to their URL, uncounted. */
  publicBaseUrl?: string;
  /** Signs redirect links so that click counts cannot be forged by guessing ids. */
  secret: string;
}

/** The content a delivery gets: its variant's in an A/B test, the campaign's otherwise. */
export function contentFor(campaign: { content: CampaignContent; ab_test: { variants: AbVariant[] } | null }, variant: string | null): CampaignContent {
  const chosen = variant ? campaign.ab_test?.variants.find((v) => v.key === (variant as VariantKey)) : undefined;
  return chosen?.content ?? campaign.content;
}

/** The messages in order; the buttons ride on the last one. */
export function campaignMessages(content: CampaignContent, tracking: ClickTracking): OutboundContent[] {
  const buttons = content.buttons ? trackedButtons(content.buttons, tracking) : undefined;
  return content.items.map((item, index) => toOutbound(item, index === content.items.length - 1 ? buttons : undefined));
}

/** Buttons in reading order get indexes 0, 1, 2…: the click id names the delivery and the index. */
export function trackedButtons(rows: CampaignButton[][], tracking: ClickTracking): OutboundButton[][] {
  let index = 0;
  return rows.map((row) =>
    row.map((button) => {
      const clickId = `${tracking.deliveryId.toString(36)}.${index++}`;
      if ('action' in button) return { text: button.text, data: `${CAMPAIGN_BUTTON_SCOPE}:${clickId}` };
      if (!tracking.publicBaseUrl) return { text: button.text, url: button.url };
      return { text: button.text, url: `${tracking.publicBaseUrl.replace(/\/+$/, '')}/c/${clickId}.${clickSignature(clickId, tracking.secret)}` };
    }),
  );
}

/** The button at `index` in reading order. */
export function buttonAt(rows: CampaignButton[][] | undefined, index: number): CampaignButton | undefined {
  return rows?.flat()[index];
}

export interface ClickId {
  deliveryId: number;
  button: number;
}

/** `<delivery base36>.<button>`, as in callback data after `cmp:`. */
export function parseClickId(value: string): ClickId | null {
  const match = /^([0-9a-z]{1,12})\.(\d{1,2})$/.exec(value);
  if (!match) return null;
  const deliveryId = parseInt(match[1], 36);
  return Number.isSafeInteger(deliveryId) && deliveryId > 0 ? { deliveryId, button: Number(match[2]) } : null;
}

/** `<delivery>.<button>.<signature>` from a redirect link; null when malformed or forged. */
export function parseSignedClick(value: string, secret: string): ClickId | null {
  const at = value.lastIndexOf('.');
  if (at <= 0) return null;
  const clickId = value.slice(0, at);
  const parsed = parseClickId(clickId);
  const given = Buffer.from(value.slice(at + 1));
  const expected = Buffer.from(clickSignature(clickId, secret));
  if (!parsed || given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return parsed;
}

function clickSignature(clickId: string, secret: string): string {
  return createHmac('sha256', secret).update(clickId).digest('base64url').slice(0, 10);
}

function toOutbound(item: CampaignItem, buttons: OutboundButton[][] | undefined): OutboundContent {
  const extra = buttons ? { buttons } : {};
  if (item.kind === 'text') return { type: 'text', text: item.text, ...(item.entities?.length ? { entities: item.entities } : {}), ...extra };
  const caption = { caption: item.caption, ...(item.captionEntities?.length ? { captionEntities: item.captionEntities } : {}) };
  // The gateway reads a bare document name as a file shipped with the scenario: a file_id says so.
  if (item.kind === 'document') return { type: 'document', document: /^(https?:\/\/|tg:)/.test(item.file) ? item.file : `tg:${item.file}`, ...caption, ...extra };
  return { type: item.kind, file: item.file, ...caption, ...extra };
}
