/**
 * The fake Bot API's global send limit, shaped like Telegram's flood control: at most
 * `messagesPerSecond` messages in any sliding second; over it, a 429 with `retry_after`. Until that
 * wait is over every message gets a 429 too, and each 429 within `memoryMs` of earlier ones doubles
 * the wait (1, 2, 4 … up to `maxRetryAfterSeconds`), as Telegram's grows for a bot that keeps pushing.
 */
export interface FloodControlOptions {
  messagesPerSecond: number;
  /** How long a 429 counts towards a longer next wait (default 5 s). */
  memoryMs?: number;
  /** The longest retry_after (default 30 s). */
  maxRetryAfterSeconds?: number;
}

export type FloodVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export class FloodControl {
  private readonly accepted: number[] = [];
  private acceptedStart = 0;
  private strikes: number[] = [];
  private floodUntil = 0;

  constructor(private readonly options: FloodControlOptions) {}

  /** Decides one message arriving at `now` (ms); an allowed one counts towards the window. */
  admit(now: number): FloodVerdict {
    while (this.acceptedStart < this.accepted.length && this.accepted[this.acceptedStart] <= now - 1000) this.acceptedStart++;
    if (this.acceptedStart > 10_000) {
      this.accepted.splice(0, this.acceptedStart);
      this.acceptedStart = 0;
    }
    const inWindow = this.accepted.length - this.acceptedStart;
    if (now >= this.floodUntil && inWindow < this.options.messagesPerSecond) {
      this.accepted.push(now);
      return { allowed: true };
    }
    this.strikes = this.strikes.filter((at) => at > now - (this.options.memoryMs ?? 5000));
    this.strikes.push(now);
    const grown = 2 ** (this.strikes.length - 1);
    const stillWaiting = Math.ceil((this.floodUntil - now) / 1000);
    const retryAfterSeconds = Math.min(Math.max(grown, stillWaiting, 1), this.options.maxRetryAfterSeconds ?? 30);
    this.floodUntil = Math.max(this.floodUntil, now + retryAfterSeconds * 1000);
    return { allowed: false, retryAfterSeconds };
  }
}
