import type { WorkflowClient } from '@temporalio/client';
import { createBookingActivities } from './bookings';
import { createBroadcastPacer } from './broadcast-pacer';
import { createCampaignActivities } from './campaigns';
import { createDialogMirrorActivities } from './dialog-mirror';
import { createHandoffActivities } from './handoff';
import { createJourneyActivities, type JourneyDeps } from './journey';
import { createLeadProfileActivities } from './lead-profile';
import { createLeadsActivities, type LeadsDeps } from './leads';
import { createMaintenanceActivities, type RetentionPolicy } from './maintenance';
import { createLlmActivities, type LlmDeps } from './llm';
import { createDraftActivities, type ApprovalSettings } from './llm-drafts';
import type { TelegramPaymentSettings } from '../domain/payments/provider-invoice';
import { createPaymentActivities, type PaymentLinkMaker } from './payments';
import { createScenarioActivities } from './scenario';
import { createSpeechActivities, type SpeechDeps } from './speech';
import { createTelegramActivities, type TelegramDeps } from './telegram';

export type ActivityDeps = LeadsDeps &
  TelegramDeps &
  JourneyDeps &
  Partial<Pick<LlmDeps, 'openai' | 'model' | 'timeoutMs'>> &
  Partial<Pick<SpeechDeps, 'downloadFile' | 'sttModel' | 'maxSeconds'>> & {
    /** How long one transcription may take (default 30 s). */
    sttTimeoutMs?: number; scenarioPath?: (language: 'ru' | 'en') => string; approval?: ApprovalSettings; retention?: RetentionPolicy; owners?: readonly number[];
    /** Lets the handoff activities ask whether a handoff still runs (campaigns never ask conversations: they read rows). */
    leadWorkflows?: Pick<WorkflowClient, 'getHandle' | 'withAbortSignal'>;
    /** Tracked broadcast links: the api's public address and the signing secret (see config `clickTracking`). */
    clickTracking?: { publicBaseUrl?: string; secret: string };
    /** BROADCAST_FREQUENCY_CAP_HOURS (0: none, the default here; the system passes the configured value). */
    frequencyCapHours?: number;
    /** Campaign messages per second across every worker (BROADCAST_RATE_PER_SECOND, default 25), paced through Postgres. */
    broadcastRatePerSecond?: number;
    /** Payment pages made through a provider's API for products without their own link (YooKassa). */
    paymentLinks?: PaymentLinkMaker;
    /** Telegram Payments with a provider token: invoices inside Telegram for products in its currencies. */
    telegramPayments?: TelegramPaymentSettings;
    /** DIALOGS_CHAT_ID: the forum group the leads' dialogs are mirrored into (unset: no mirror). */
    dialogsChatId?: number;
    /** The zone staff read times in (the lead card in a topic). */
    timeZone?: string };

/** Every activity the worker registers, built from injected clients (the composition root passes real ones). */
export function createActivities(deps: ActivityDeps) {
  const telegram = createTelegramActivities(deps);
  const broadcastRate = deps.broadcastRatePerSecond ?? 25;
  return {
    ...createLeadsActivities(deps),
    ...telegram,
    ...createScenarioActivities({ scenarioPath: deps.scenarioPath, db: deps.db }),
    ...createJourneyActivities(deps),
    ...createLeadProfileActivities(deps),
    ...createBookingActivities(deps),
    ...createDraftActivities(deps),
    ...createMaintenanceActivities(deps),
    ...createHandoffActivities({ ...deps, openai: deps.openai ?? null }),
    ...createPaymentActivities(deps),
    ...createCampaignActivities({
      db: deps.db,
      logger: deps.logger,
      telegram,
      pacer: createBroadcastPacer({ db: deps.db, ratePerSecond: broadcastRate }),
      // A lane sends about 10 messages a second at Telegram's ~100 ms a message; 8 at least.
      sendLanes: Math.max(8, Math.ceil(broadcastRate / 10)),
      publicBaseUrl: deps.clickTracking?.publicBaseUrl,
      clickSecret: deps.clickTracking?.secret ?? '',
      frequencyCapHours: deps.frequencyCapHours,
      owners: deps.owners,
    }),
    ...createLlmActivities({ ...deps, openai: deps.openai ?? null, model: deps.model ?? 'gpt-4o-mini' }),
    ...createDialogMirrorActivities({ db: deps.db, api: deps.api, logger: deps.logger, telegram, dialogsChatId: deps.dialogsChatId, timeZone: deps.timeZone }),
    ...createSpeechActivities({ api: deps.api, logger: deps.logger, openai: deps.openai ?? null, downloadFile: deps.downloadFile, sttModel: deps.sttModel, maxSeconds: deps.maxSeconds, timeoutMs: deps.sttTimeoutMs }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
