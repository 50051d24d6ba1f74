import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { recordClick } from '../db/campaign-outcomes';
import { findCampaign } from '../db/campaigns';
import { buttonAt, contentFor, parseSignedClick } from '../domain/broadcasts/campaign-message';

export interface ClickRedirectDeps {
  db: Knex;
  /** The secret tracked links were signed with (config `clickTracking`). */
  secret: string;
}

/**
 * `GET /c/<delivery>.<button>.<signature>`: a broadcast's URL button. Counts the click and
 * forwards to the URL the campaign holds for that button; a forged or unknown link is a 404 and
 * never forwards anywhere (this is not an open redirect).
 */
export async function clickRedirectRoutes(app: FastifyInstance, deps: ClickRedirectDeps): Promise<void> {
  // No automatic HEAD route: a link preview's HEAD request must not count as a click.
  app.get<{ Params: { click: string } }>('/c/:click', { exposeHeadRoute: false }, async (request, reply) => {
    const click = deps.secret ? parseSignedClick(request.params.click, deps.secret) : null;
    if (!click) {
      request.log.warn({ click: request.params.click.slice(0, 80), ip: request.ip }, 'click link refused: malformed or forged');
      return reply.code(404).type('text/plain; charset=utf-8').send('This link is not valid.');
    }
    const delivery = await deps.db('campaign_deliveries').where({ id: click.deliveryId }).first('campaign_id', 'variant');
    const campaign = delivery ? await findCampaign(deps.db, Number(delivery.campaign_id)) : undefined;
    const button = campaign ? buttonAt(contentFor(campaign, delivery.variant).buttons, click.button) : undefined;
    if (!button || !('url' in button)) return reply.code(404).type('text/plain; charset=utf-8').send('This link is no longer available.');
    await recordClick(deps.db, click.deliveryId, click.button);
    return reply.code(302).header('cache-control', 'no-store').redirect(button.url);
  });
}
