import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Bot } from 'grammy';
import type { Logger } from 'pino';
import type { BotContext } from '../bot/context';
import { analyticsRoutes, type AnalyticsDeps } from './analytics-routes';
import { DEFAULT_BAD_TOKEN_LIMIT, type BadTokenLimit } from './bearer-auth';
import { campaignRoutes, type CampaignRoutesDeps } from './campaign-routes';
import { clickRedirectRoutes, type ClickRedirectDeps } from './click-redirect-routes';
import { dashboardRoutes } from './dashboard-routes';
import { payLinksThroughWebhook } from '../sandbox/pay-link';
import { sandboxRoutes, type SandboxPageDeps } from '../sandbox/sandbox-routes';
import { healthRoutes, type HealthChecks } from './health-routes';
import type { Metrics } from './metrics';
import { metricsRoutes } from './metrics-routes';
import { paymentWebhookRoutes, type PaymentWebhookDeps } from './payment-webhook-routes';
import { cloudPaymentsRoutes, type CloudPaymentsDeps } from './payments/cloudpayments-routes';
import { prodamusRoutes, type ProdamusDeps } from './payments/prodamus-routes';
import { yooKassaRoutes, type YooKassaDeps } from './payments/yookassa-routes';
import { telegramWebhookRoutes } from './telegram-webhook-routes';

export interface ApiDeps {
  logger: Logger;
  health: HealthChecks;
  metrics: Metrics;
  /** Present in webhook mode: the bot whose updates Telegram posts to us. */
  webhook?: { bot: Bot<BotContext>; secretToken: string; timeoutMs?: number };
  /** Present when PAYMENT_WEBHOOK_SECRET is set: the payment provider's webhook. */
  payments?: PaymentWebhookDeps;
  /** Present when the provider's secret settings are: its notifications (api/payments/). */
  cloudPayments?: CloudPaymentsDeps;
  prodamus?: ProdamusDeps;
  yooKassa?: YooKassaDeps;
  /** `/analytics`, its CSV exports and the web dashboard. */
  analytics?: AnalyticsDeps;
  /** `/campaigns`: broadcasts through the api. */
  campaigns?: CampaignRoutesDeps;
  /** `/c/...`: tracked links of broadcasts (public: leads open them). */
  clicks?: ClickRedirectDeps;
  /** METRICS_TOKEN: set, `/metrics` wants it as a bearer token; unset, `/metrics` is public. */
  metricsToken?: string;
  /** `npm start` in sandbox mode: the web chat at /sandbox. */
  sandbox?: SandboxPageDeps;
  /** Wrong bearer tokens a client may present per window before 429 (default 10 a minute). */
  badTokenLimit?: BadTokenLimit;
  /** TRUST_PROXY: the proxies whose X-Forwarded-For names the client (unset: the connection's address is the client). */
  trustProxy?: number | string[];
}

/** A number of proxies trusts that many hops (Fastify does the same; its types only take the function form). */
function trustedProxies(setting: number | string[] | undefined) {
  if (setting === undefined) return false;
  if (typeof setting === 'number') return (_address: string, hop: number) => hop < setting;
  return setting;
}

/** The api as a Fastify instance, not yet listening (tests use `inject`). */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: 1_048_576,
    trustProxy: trustedProxies(deps.trustProxy),
  });

  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpRequests
      .labels(request.method, request.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error, url: request.url }, 'request failed');
    // Never a stack trace to the client: the reason for client errors, a plain word for ours.
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : error.message });
  });

  // Counts wrong bearer tokens per client IP for every guarded route (see bearerGuard); nothing else is limited.
  const limit = deps.badTokenLimit ?? DEFAULT_BAD_TOKEN_LIMIT;
  app.register(rateLimit, { global: false, max: limit.max, timeWindow: limit.timeWindowMs });
  app.register(healthRoutes, deps.health);
  app.register(metricsRoutes, { metrics: deps.metrics, token: deps.metricsToken });
  if (deps.webhook) app.register(telegramWebhookRoutes, deps.webhook);
  if (deps.payments) app.register(paymentWebhookRoutes, deps.payments);
  if (deps.cloudPayments) app.register(cloudPaymentsRoutes, deps.cloudPayments);
  if (deps.prodamus) app.register(prodamusRoutes, deps.prodamus);
  if (deps.yooKassa) app.register(yooKassaRoutes, deps.yooKassa);
  if (deps.analytics) {
    app.register(analyticsRoutes, deps.analytics);
    app.register(dashboardRoutes);
  }
  if (deps.campaigns) app.register(campaignRoutes, deps.campaigns);
  if (deps.clicks) app.register(clickRedirectRoutes, deps.clicks);
  if (deps.sandbox) {
    const payLink = deps.payments && payLinksThroughWebhook(app, deps.payments);
    app.register(sandboxRoutes, { ...deps.sandbox, ...(payLink && { payLink }) });
  }
  return app;
}
