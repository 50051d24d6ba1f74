import type { FakeTelegramServer, FaultInjector, InjectedFailure, ConnectionFault } from '../../fakes/telegram-server';

/** The methods that put a message in a chat (the ones a fault can cost a lead a message). */
const SEND_METHODS = new Set(['sendMessage', 'sendDocument', 'sendPhoto', 'sendVideo', 'sendAudio', 'sendVoice', 'copyMessage']);

export interface TelegramFaultOptions {
  /** Only sends to these chats meet faults (a reference lead walks untouched). */
  chats: Set<number>;
  /** The share of sends that meet a fault. */
  rate: number;
  /** How many sends in a row a burst of 429 refuses; its retry_after grows 1, 2, 3… seconds. */
  burstLength: number;
  /** At most this many processed-but-unanswered sends (each costs the conversation the activity's 30 s timeout). */
  maxNoAnswer: number;
}

/** What the plan did, by kind: refused ones (429, 500) and processed ones whose answer was lost. */
export interface FaultCounts {
  tooManyRequests: number;
  serverErrors: number;
  noAnswer: number;
  resetAfter: number;
}

/**
 * Telegram misbehaving on sends the way it does in production: bursts of 429 with a growing
 * retry_after, 500s, and a network that loses the answer to a send Telegram has already processed
 * (no answer at all, or a reset). Refused sends never reached a chat; the others did, once.
 */
export class TelegramFaultPlan {
  readonly counts: FaultCounts = { tooManyRequests: 0, serverErrors: 0, noAnswer: 0, resetAfter: 0 };
  private burstLeft = 0;
  private burstRetryAfter = 0;
  /** The kinds take turns, so even a short run meets each of them. */
  private turn = 0;

  constructor(private readonly options: TelegramFaultOptions) {}

  /** Starts injecting on `telegram`; returns the function that stops it. */
  install(telegram: FakeTelegramServer): () => void {
    telegram.setFaultInjector(this.injector);
    return () => telegram.setFaultInjector();
  }

  private readonly injector: FaultInjector = ({ method, params }) => {
    if (!SEND_METHODS.has(method) || !this.options.chats.has(Number(params.chat_id))) return undefined;
    if (this.burstLeft > 0) return this.tooManyRequests();
    if (Math.random() >= this.options.rate) return undefined;
    const kinds: Array<() => InjectedFailure | ConnectionFault> = [
      () => {
        this.burstLeft = this.options.burstLength;
        this.burstRetryAfter = 0;
        return this.tooManyRequests();
      },
      () => {
        this.counts.serverErrors += 1;
        return { code: 500 };
      },
      () => {
        this.counts.resetAfter += 1;
        return 'reset-after';
      },
      ...(this.counts.noAnswer < this.options.maxNoAnswer
        ? [() => {
            this.counts.noAnswer += 1;
            return 'no-answer' as const;
          }]
        : []),
    ];
    return kinds[this.turn++ % kinds.length]();
  };

  private tooManyRequests(): InjectedFailure {
    this.burstLeft -= 1;
    this.burstRetryAfter += 1;
    this.counts.tooManyRequests += 1;
    return { code: 429, retryAfter: this.burstRetryAfter };
  }
}
