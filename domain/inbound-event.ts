/** Who wrote: the Telegram user behind an update. */
export interface TelegramPerson {
  id: number;
  firstName: string;
  lastName?: string;
  username?: string;
  languageCode?: string;
}

interface InboundBase {
  /** Telegram's update id: the conversation ignores one it has already seen. */
  updateId: number;
  /** ISO time the update was sent (Telegram's date). */
  sentAt: string;
  from: TelegramPerson;
  chatId: number;
}

/**
 * One thing a lead did in the private chat, already validated by the bot.
 * Plain data (ISO strings, no Date) so it travels through Temporal unchanged.
 */
export type InboundEvent =
  | (InboundBase & { kind: 'command'; command: string; payload?: string; text: string; messageId: number })
  | (InboundBase & { kind: 'text'; text: string; messageId: number })
  | (InboundBase & { kind: 'button'; data: string; callbackQueryId: string; messageId?: number })
  | (InboundBase & { kind: 'other'; messageType: string; messageId: number; contact?: SharedContact })
  | VoiceEvent
  | MediaEvent;

/**
 * A voice note or a round video note. The bot fills in what Telegram says; the conversation adds
 * the transcript (or why there is none) before the message is recorded (docs/lead-journey.md).
 */
export interface VoiceEvent extends InboundBase {
  kind: 'voice';
  messageType: 'voice' | 'video_note';
  messageId: number;
  fileId: string;
  durationSeconds: number;
  fileSize?: number;
  transcript?: string;
  /** Why there is no transcript: no key, too long, the provider failed… */
  unheard?: string;
}

/** A photo or a document, kept by its file id; its caption is the lead's text. */
export interface MediaEvent extends InboundBase {
  kind: 'media';
  messageType: 'photo' | 'document';
  messageId: number;
  fileId: string;
  fileName?: string;
  caption?: string;
}

/** A phone number shared with Telegram's contact button; `userId` tells whose it is. */
export interface SharedContact {
  phoneNumber: string;
  userId?: number;
}

/** What a lead's message becomes in the message log. */
export function describeInbound(event: InboundEvent): string {
  switch (event.kind) {
    case 'command':
    case 'text':
      return event.text;
    case 'button':
      return `[button] ${event.data}`;
    case 'other':
      return `[${event.messageType}]`;
    case 'voice': {
      const length = `${Math.floor(event.durationSeconds / 60)}:${String(event.durationSeconds % 60).padStart(2, '0')}`;
      return `[${event.messageType} ${length}]${event.transcript ? ` ${event.transcript}` : ''}`;
    }
    case 'media':
      return `[${event.messageType}]${event.caption ? ` ${event.caption}` : ''}`;
  }
}
